from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("robots/", views.webhook_list, name="webhook_list"),
    path("robots/new/", views.webhook_create, name="webhook_create"),
    path("robots/<int:pk>/", views.webhook_edit, name="webhook_edit"),
    path("robots/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("robots/<int:pk>/test/", views.webhook_test, name="webhook_test"),
]
