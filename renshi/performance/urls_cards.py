"""URLs of the cards part (namespace "performance", included by renshi/performance/urls.py)."""

from django.urls import path

from . import views_cards as views

urlpatterns: list = [
    path("scorecards/mine/", views.my_scorecards, name="my_scorecards"),
    path("team/", views.team, name="team"),
    path("plans/<int:plan_pk>/grid/", views.grid, name="grid"),
    path("plans/<int:plan_pk>/grid/send/", views.grid_send, name="grid_send"),
    path(
        "plans/<int:plan_pk>/departments/<int:department_pk>/submit/",
        views.department_submit,
        name="department_submit",
    ),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:pk>/step/", views.scorecard_step, name="scorecard_step"),
    path("scorecards/<int:pk>/actuals/", views.scorecard_actuals, name="scorecard_actuals"),
    path(
        "scorecards/<int:pk>/self-evaluation/",
        views.scorecard_self_evaluation,
        name="scorecard_self_evaluation",
    ),
    path(
        "scorecards/<int:pk>/evaluation/", views.scorecard_evaluation, name="scorecard_evaluation"
    ),
    path("scorecards/items/<int:pk>/comments/", views.item_comment, name="item_comment"),
]
