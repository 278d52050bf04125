"""360 review and actuals import pages (namespace "performance", included by
renshi/performance/urls.py)."""

from django.urls import path

from . import views_360, views_imports

urlpatterns: list = [
    path("360/", views_360.r360_home, name="r360_home"),
    path("360/plans/<int:pk>/", views_360.r360_cards, name="r360_cards"),
    path("360/scorecards/<int:pk>/raters/", views_360.r360_raters, name="r360_raters"),
    path("360/raters/<int:pk>/remove/", views_360.r360_rater_remove, name="r360_rater_remove"),
    path("360/requests/<int:pk>/", views_360.r360_answer, name="r360_answer"),
    path("360/scorecards/<int:pk>/results/", views_360.r360_aggregate, name="r360_aggregate"),
    path("plans/<int:pk>/actuals/import/", views_imports.actuals_import, name="actuals_import"),
    path(
        "plans/<int:pk>/actuals/template/", views_imports.actuals_template, name="actuals_template"
    ),
    path("plans/<int:pk>/actuals/commit/", views_imports.actuals_commit, name="actuals_commit"),
]
