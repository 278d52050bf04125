from django.urls import path

from . import urls_io, views

app_name = "metrics"

urlpatterns = [
    path("", views.metric_list, name="metric_list"),
    *urls_io.urlpatterns,
]
