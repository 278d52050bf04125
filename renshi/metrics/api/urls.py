"""Included by renshi.api.urls under ``metrics/`` (names in the "api" namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.MetricListView.as_view(), name="metrics-list"),
    path("points/", views.PointsView.as_view(), name="metrics-points"),
]
