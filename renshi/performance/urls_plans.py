"""URLs of the plans part (namespace "performance", included by renshi/performance/urls.py)."""

from django.urls import path

from . import views_plans as views

urlpatterns = [
    path("library/", views.library_list, name="library_list"),
    path("library/new/", views.library_create, name="library_create"),
    path("library/seed/", views.library_seed, name="library_seed"),
    path("library/<int:pk>/", views.library_edit, name="library_edit"),
    path("library/<int:pk>/active/", views.library_set_active, name="library_set_active"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/copy/", views.plan_copy, name="plan_copy"),
    path("plans/<int:pk>/design/", views.plan_design, name="plan_design"),
    path("plans/<int:pk>/indicators/new/", views.indicator_create, name="plan_indicator_create"),
    path(
        "plans/<int:pk>/indicators/library/",
        views.indicator_from_library,
        name="plan_indicator_library",
    ),
    path(
        "plans/<int:pk>/indicators/<int:ind>/",
        views.indicator_edit,
        name="plan_indicator_edit",
    ),
    path(
        "plans/<int:pk>/indicators/<int:ind>/remove/",
        views.indicator_remove,
        name="plan_indicator_remove",
    ),
    path("plans/<int:pk>/review/", views.plan_review, name="plan_review"),
    path("plans/<int:pk>/transition/", views.plan_transition, name="plan_transition"),
    path(
        "plans/<int:pk>/parts/<int:part>/review/",
        views.part_review,
        name="plan_part_review",
    ),
]
