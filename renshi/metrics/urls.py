from django.urls import path

from . import urls_io, views

app_name = "metrics"

urlpatterns = [
    path("", views.metric_list, name="metric_list"),
    path("new/", views.metric_create, name="metric_create"),
    path("<int:pk>/", views.metric_detail, name="metric_detail"),
    path("<int:pk>/edit/", views.metric_edit, name="metric_edit"),
    path("points/", views.point_list, name="point_list"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    *urls_io.urlpatterns,
]
