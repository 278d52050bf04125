"""API URLs of the results part (included under /api/v1/performance/, names in namespace "api")."""

from django.urls import path

from . import views_results as v

urlpatterns: list = [
    path("results/plans/<int:pk>/", v.ResultsListView.as_view(), name="performance-results-list"),
    path(
        "results/plans/<int:pk>/publish/",
        v.PublishView.as_view(),
        name="performance-results-publish",
    ),
    path("results/plans/<int:pk>/close/", v.CloseView.as_view(), name="performance-results-close"),
    path(
        "results/plans/<int:pk>/reopen/", v.ReopenView.as_view(), name="performance-results-reopen"
    ),
    path("results/cards/<int:pk>/", v.ReportView.as_view(), name="performance-results-report"),
    path(
        "results/cards/<int:pk>/calibrate/",
        v.CalibrateView.as_view(),
        name="performance-results-calibrate",
    ),
    path(
        "results/cards/<int:pk>/acknowledge/",
        v.AcknowledgeView.as_view(),
        name="performance-results-acknowledge",
    ),
    path(
        "results/cards/<int:pk>/appeal/",
        v.AppealCreateView.as_view(),
        name="performance-results-appeal",
    ),
    path(
        "results/cards/<int:pk>/improvement-plan/",
        v.ImprovementPlanView.as_view(),
        name="performance-results-improvement",
    ),
    path(
        "results/appeals/<int:pk>/handle/",
        v.AppealHandleView.as_view(),
        name="performance-results-appeal-handle",
    ),
]
