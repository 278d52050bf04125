"""API URLs of the cards part (included under /api/v1/performance/, names in namespace "api")."""

from django.urls import path

from .views_cards import DepartmentSubmitViewSet, ItemCommentViewSet, ScorecardViewSet

cards = ScorecardViewSet.as_view
urlpatterns: list = [
    path("scorecards/", cards({"get": "list"}), name="performance-scorecards-list"),
    path("scorecards/items/", cards({"post": "batch"}), name="performance-scorecards-items-batch"),
    path("scorecards/<int:pk>/", cards({"get": "retrieve"}), name="performance-scorecards-detail"),
    path(
        "scorecards/<int:pk>/items/",
        cards({"patch": "items"}),
        name="performance-scorecards-items",
    ),
    path(
        "scorecards/<int:pk>/send/",
        cards({"post": "step"}),
        {"step": "send"},
        name="performance-scorecards-send",
    ),
    path(
        "scorecards/<int:pk>/confirm/",
        cards({"post": "step"}),
        {"step": "confirm"},
        name="performance-scorecards-confirm",
    ),
    path(
        "scorecards/<int:pk>/object/",
        cards({"post": "step"}),
        {"step": "object"},
        name="performance-scorecards-object",
    ),
    path(
        "scorecards/<int:pk>/self-evaluate/",
        cards({"post": "self_evaluate"}),
        name="performance-scorecards-self-evaluate",
    ),
    path(
        "scorecards/<int:pk>/evaluate/",
        cards({"post": "evaluate"}),
        name="performance-scorecards-evaluate",
    ),
    path(
        "scorecard-items/<int:pk>/comments/",
        ItemCommentViewSet.as_view({"get": "list", "post": "create"}),
        name="performance-item-comments",
    ),
    path(
        "plans/<int:plan_pk>/departments/<int:department_pk>/submit/",
        DepartmentSubmitViewSet.as_view({"post": "create"}),
        name="performance-department-submit",
    ),
]
