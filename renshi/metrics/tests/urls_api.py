"""Project URLs plus the metrics API under /api/v1/metrics/, for the API tests while (or in
case) renshi.api.urls does not include it yet. Same names as the wired version."""

from django.urls import include, path

from config import urls as project_urls
from renshi.api import urls as api_urls

_api = [path("metrics/", include("renshi.metrics.api.urls")), *api_urls.urlpatterns]
urlpatterns = [
    path("api/v1/", include((_api, "api"))),
    *project_urls.urlpatterns,
]
