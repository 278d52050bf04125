"""/api/v1/ — the REST API (namespace "api"). Router basenames are explicit and plural
("employees" → "api:employees-list"), so they never clash with the page names (``key_list``).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from renshi.goals.api import views as goals_views
from renshi.org.api import views as org_views

from . import pages, views

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("departments", org_views.DepartmentViewSet, basename="departments")
router.register("positions", org_views.PositionViewSet, basename="positions")
router.register("employees", org_views.EmployeeViewSet, basename="employees")
router.register("api-keys", views.ApiKeyViewSet, basename="api-keys")
router.register("strategy-maps", goals_views.StrategyMapViewSet, basename="strategy-maps")
router.register("goals", goals_views.GoalViewSet, basename="goals")
_suggestion = "goals/<int:goal_pk>/target-suggestions/<int:pk>/"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("me/", org_views.MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.SwaggerView.as_view(), name="docs"),
    path("metrics/", include("renshi.metrics.api.urls")),
    path("alerts/", include("renshi.alerts.api.urls")),
    path("performance/", include("renshi.performance.api.urls")),
    path("", include("renshi.notifications.api.urls")),
    # pages (HTML, session login)
    path("keys/", pages.key_list, name="key_list"),
    path("keys/<int:pk>/revoke/", pages.key_revoke, name="key_revoke"),
    *router.urls,
    path(
        _suggestion + "accept/",
        goals_views.TargetSuggestionViewSet.as_view({"post": "accept"}),
        name="goals-target-suggestion-accept",
    ),
    path(
        _suggestion + "override/",
        goals_views.TargetSuggestionViewSet.as_view({"post": "override"}),
        name="goals-target-suggestion-override",
    ),
]
