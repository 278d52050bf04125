"""URLs of the results part (namespace "performance", included by renshi/performance/urls.py)."""

from django.urls import path

from . import views_results as v

urlpatterns: list = [
    path("results/", v.results_index, name="results_index"),
    path("results/mine/", v.results_mine, name="results_mine"),
    path("results/plans/<int:pk>/", v.results_plan, name="results_plan"),
    path("results/plans/<int:pk>/export.xlsx", v.results_export, name="results_export"),
    path("results/plans/<int:pk>/calibration/", v.results_calibration, name="results_calibration"),
    path("results/plans/<int:pk>/publish/", v.results_publish, name="results_publish"),
    path("results/plans/<int:pk>/close/", v.results_close, name="results_close"),
    path("results/plans/<int:pk>/reopen/", v.results_reopen, name="results_reopen"),
    path("results/cards/<int:pk>/", v.results_report, name="results_report"),
    path("results/cards/<int:pk>/report.pdf", v.results_report_pdf, name="results_report_pdf"),
    path("results/cards/<int:pk>/calibrate/", v.results_calibrate, name="results_calibrate"),
    path("results/cards/<int:pk>/acknowledge/", v.results_acknowledge, name="results_acknowledge"),
    path("results/cards/<int:pk>/appeal/", v.results_appeal, name="results_appeal"),
    path(
        "results/cards/<int:pk>/improvement-plan/",
        v.results_improvement,
        name="results_improvement",
    ),
    path("results/appeals/", v.results_appeals, name="results_appeals"),
    path("results/appeals/<int:pk>/", v.results_appeal_handle, name="results_appeal_handle"),
]
