"""360 API endpoints (included under /api/v1/performance/, names in namespace "api")."""

from django.urls import path

from . import views_360

urlpatterns: list = [
    path(
        "r360/scorecards/<int:pk>/raters/",
        views_360.RatersView.as_view(),
        name="performance-r360-raters",
    ),
    path("r360/requests/", views_360.MyRequestsView.as_view(), name="performance-r360-requests"),
    path(
        "r360/requests/<int:pk>/",
        views_360.AnswerView.as_view(),
        name="performance-r360-answer",
    ),
    path(
        "r360/scorecards/<int:pk>/aggregate/",
        views_360.AggregateView.as_view(),
        name="performance-r360-aggregate",
    ),
]
