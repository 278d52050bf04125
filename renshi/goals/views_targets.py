"""Being written: stubs answer 404 until their engineer replaces them."""

from django.http import Http404


def _stub(request, **kwargs):
    raise Http404


target_suggest = target_decide = _stub
