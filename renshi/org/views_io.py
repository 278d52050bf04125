"""Employee import/export pages (being written; stubs answer 404)."""

from django.http import Http404


def employee_export(request):
    raise Http404


def employee_import(request):
    raise Http404


def employee_import_template(request):
    raise Http404
