"""Being written: stubs answer 404 until their engineer replaces them."""

from django.http import Http404


def _stub(request, **kwargs):
    raise Http404


my_goals = goal_create = goal_detail = goal_edit = goal_transition = goal_comment = _stub
goal_changes = smart_report = _stub
