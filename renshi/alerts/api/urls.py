"""Included by renshi.api.urls under ``alerts/`` (names in the "api" namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.AlertListView.as_view(), name="alerts-list"),
    path("<int:pk>/", views.AlertDetailView.as_view(), name="alerts-detail"),
    path("<int:pk>/resolve/", views.AlertResolveView.as_view(), name="alerts-resolve"),
]
