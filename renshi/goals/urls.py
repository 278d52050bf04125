from django.urls import path

from . import views, views_map, views_targets

app_name = "goals"

urlpatterns = [
    # strategy maps, alignment tree, pace settings (views_map.py)
    path("maps/", views_map.map_list, name="map_list"),
    path("maps/new/", views_map.map_create, name="map_create"),
    path("maps/<int:pk>/", views_map.map_detail, name="map_detail"),
    path("maps/<int:pk>/edit/", views_map.map_edit, name="map_edit"),
    path("maps/<int:pk>/tree/", views_map.alignment_tree, name="tree"),
    path("settings/pace/", views_map.pace_settings, name="pace_settings"),
    # goals (views.py)
    path("mine/", views.my_goals, name="my_goals"),
    path("maps/<int:map_pk>/goals/new/", views.goal_create, name="goal_create"),
    path("<int:pk>/", views.goal_detail, name="goal_detail"),
    path("<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("<int:pk>/transition/", views.goal_transition, name="goal_transition"),
    path("<int:pk>/comments/", views.goal_comment, name="goal_comment"),
    path("<int:pk>/changes/", views.goal_changes, name="goal_changes"),
    path("maps/<int:pk>/smart/", views.smart_report, name="smart_report"),
    # target suggestions (views_targets.py)
    path("<int:pk>/targets/", views_targets.target_suggest, name="target_suggest"),
    path("targets/<int:pk>/decide/", views_targets.target_decide, name="target_decide"),
]
