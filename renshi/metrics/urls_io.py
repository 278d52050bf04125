"""URLs of uploads, the attendance import and pull connectors (namespace "metrics", included by
renshi/metrics/urls.py). Owned by the views in views_io.py and views_connectors.py."""

from django.urls import path

from . import views_connectors, views_io

urlpatterns: list = [
    path("upload/", views_io.upload, name="upload"),
    path("upload/template/", views_io.upload_template, name="upload_template"),
    path("upload/<int:pk>/", views_io.upload_batch, name="upload_batch"),
    path("upload/<int:pk>/commit/", views_io.upload_commit, name="upload_commit"),
    path("attendance/", views_io.attendance_import, name="attendance_import"),
    path("attendance/template/", views_io.attendance_template, name="attendance_template"),
    path("attendance/<int:pk>/", views_io.attendance_batch, name="attendance_batch"),
    path("attendance/<int:pk>/commit/", views_io.attendance_commit, name="attendance_commit"),
    path("connectors/", views_connectors.connector_list, name="connector_list"),
    path("connectors/new/", views_connectors.connector_create, name="connector_create"),
    path("connectors/<int:pk>/edit/", views_connectors.connector_edit, name="connector_edit"),
    path("connectors/<int:pk>/delete/", views_connectors.connector_delete, name="connector_delete"),
    path("connectors/<int:pk>/test/", views_connectors.connector_test, name="connector_test"),
    path("connectors/<int:pk>/run/", views_connectors.connector_run, name="connector_run"),
]
