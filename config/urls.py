from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from renshi.org.views import home

urlpatterns = [
    # The landing page; the analytics app will replace it with role dashboards.
    path("", home, name="home"),
    path("", include("renshi.core.urls")),
    path("org/", include("renshi.org.urls")),
    path("goals/", include("renshi.goals.urls")),
    path("inbox/", include("renshi.notifications.urls")),
    path("metrics/", include("renshi.metrics.urls")),
    path("alerts/", include("renshi.alerts.urls")),
    path("performance/", include("renshi.performance.urls")),
    path("api/v1/", include("renshi.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ops/admin/", admin.site.urls),
]

if settings.DEBUG and "debug_toolbar" in settings.INSTALLED_APPS:  # pragma: no cover
    urlpatterns.append(path("__debug__/", include("debug_toolbar.urls")))
