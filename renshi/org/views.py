"""Organisation pages (being written; stubs answer 404)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "org/home.html", {})


def _stub(request, pk=None):
    raise Http404


org_chart = department_create = department_detail = department_edit = department_changes = _stub
employee_list = employee_create = employee_detail = employee_edit = employee_changes = _stub
me = role_list = role_assign = role_revoke = _stub
