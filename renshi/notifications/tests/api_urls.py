"""A URLconf for the API tests until the lead includes renshi.notifications.api.urls into
renshi/api/urls.py (then ``api:notifications-*`` resolve in the real URLconf too)."""

from django.urls import include, path

from renshi.notifications.api.urls import urlpatterns as api_urlpatterns

urlpatterns = [path("api/v1/", include((api_urlpatterns, "api")))]
