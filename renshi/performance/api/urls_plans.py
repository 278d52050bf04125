"""API URLs of the plans part (included under /api/v1/performance/, names in namespace "api")."""

from django.urls import path

from . import views_plans as views

urlpatterns = [
    path("library/", views.LibraryListView.as_view(), name="performance-library-list"),
    path("library/<int:pk>/", views.LibraryDetailView.as_view(), name="performance-library-detail"),
    path("plans/", views.PlanListView.as_view(), name="performance-plans-list"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="performance-plans-detail"),
    path("plans/<int:pk>/copy/", views.PlanCopyView.as_view(), name="performance-plans-copy"),
    path(
        "plans/<int:pk>/transition/",
        views.PlanTransitionView.as_view(),
        name="performance-plans-transition",
    ),
    path(
        "plans/<int:pk>/parts/<int:part>/review/",
        views.PlanPartReviewView.as_view(),
        name="performance-plans-part-review",
    ),
]
