from django.urls import path

from . import views, views_io

app_name = "org"

urlpatterns = [
    # pages (views.py)
    path("chart/", views.org_chart, name="chart"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/", views.department_detail, name="department_detail"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/changes/", views.department_changes, name="department_changes"),
    path("employees/", views.employee_list, name="employee_list"),
    path("employees/new/", views.employee_create, name="employee_create"),
    path("employees/<int:pk>/", views.employee_detail, name="employee_detail"),
    path("employees/<int:pk>/edit/", views.employee_edit, name="employee_edit"),
    path("employees/<int:pk>/changes/", views.employee_changes, name="employee_changes"),
    path("employees/<int:pk>/login/", views.employee_login, name="employee_login"),
    path("positions/", views.position_list, name="position_list"),
    path("positions/new/", views.position_create, name="position_create"),
    path("positions/<int:pk>/edit/", views.position_edit, name="position_edit"),
    path("me/", views.me, name="me"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/assign/", views.role_assign, name="role_assign"),
    path("roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    # import / export (views_io.py)
    path("employees/export.xlsx", views_io.employee_export, name="employee_export"),
    path("employees/import/", views_io.employee_import, name="employee_import"),
    path(
        "employees/import/template.xlsx",
        views_io.employee_import_template,
        name="employee_import_template",
    ),
    path(
        "employees/import/<int:pk>/", views_io.employee_import_batch, name="employee_import_batch"
    ),
]
