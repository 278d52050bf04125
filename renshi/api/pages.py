"""The integration-key page (GM and HR VP): list, create (secret shown once) and revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from renshi.core import access

from . import selectors, services
from .forms import ApiKeyCreateForm


@login_required
@require_http_methods(["GET", "POST"])
def key_list(request):
    access.require_perm(request.user, "api.manage_keys")
    secret = None
    created = None
    if request.method == "POST":
        form = ApiKeyCreateForm(request.POST)
        if form.is_valid():
            try:
                created, secret = services.api_key_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    metric_keys=form.cleaned_data["metric_keys"],
                    expires_at=form.expires_at(),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form = ApiKeyCreateForm()
    else:
        form = ApiKeyCreateForm()
    context = {
        "keys": selectors.api_key_list(user=request.user),
        "form": form,
        "created": created,
        "secret": secret,
    }
    response = render(request, "api/key_list.html", context)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def key_revoke(request, pk: int):
    access.require_perm(request.user, "api.manage_keys")
    api_key = selectors.api_key_get(user=request.user, pk=pk)
    services.api_key_revoke(actor=request.user, api_key=api_key)
    messages.success(request, _("The key %(name)s was revoked.") % {"name": api_key.name})
    return redirect("api:key_list")
