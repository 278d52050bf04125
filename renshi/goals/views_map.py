"""Being written: stubs answer 404 until their engineer replaces them."""

from django.http import Http404


def _stub(request, **kwargs):
    raise Http404


map_list = map_create = map_detail = map_edit = alignment_tree = pace_settings = _stub
