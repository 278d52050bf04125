"""Inbox pages (list, open, mark read), notification preferences and the chat robots of the
company (HR VP). Views parse, call selectors/services and render; every queryset comes through
the access layer (someone else's notification or another company's robot answers 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.core.htmx import is_htmx, render_page
from renshi.org.forms import apply_validation_error

from . import selectors, services
from .events import USER_CHANNELS
from .forms import WebhookForm
from .models import Notification, Webhook

PAGE_SIZE = 20
INVALID, CONFLICT = 422, 409


# --- inbox ------------------------------------------------------------------------------------------


def _inbox_context(request: HttpRequest) -> dict:
    show = "unread" if request.GET.get("show") == "unread" else "all"
    qs = selectors.inbox(request.user, unread_only=show == "unread")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    unread = selectors.inbox(request.user, unread_only=True).count()
    return {"page_obj": page, "show": show, "unread_count": unread}


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    return render_page(request, "notifications/inbox.html", _inbox_context(request), partial="list")


def _safe_local(url: str) -> str | None:
    """Only local paths are followed: never another host (no open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return None
    return url


@login_required
@require_http_methods(["GET"])
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Clicking an item: mark it read and follow its link (a local path only)."""
    notification = access.get_object_or_404(Notification, request.user, access.CHANGE, pk=pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    return redirect(_safe_local(notification.url) or reverse("notifications:inbox"))


@login_required
@require_http_methods(["POST"])
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = access.get_object_or_404(Notification, request.user, access.CHANGE, pk=pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    if is_htmx(request):
        return render_page(
            request, "notifications/inbox.html", _inbox_context(request), partial="list"
        )
    return redirect(reverse("notifications:inbox") + _show_query(request))


def _show_query(request: HttpRequest) -> str:
    return "?show=unread" if request.POST.get("show") == "unread" else ""


@login_required
@require_http_methods(["POST"])
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(actor=request.user)
    if is_htmx(request):
        return render_page(
            request, "notifications/inbox.html", _inbox_context(request), partial="list"
        )
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect(reverse("notifications:inbox") + _show_query(request))


# --- preferences ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        enabled = set()
        for value in request.POST.getlist("on"):
            event, _sep, channel = value.rpartition(":")
            if event and channel in USER_CHANNELS:
                enabled.add((event, channel))
        services.preferences_update(actor=user, enabled=enabled)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notifications:preferences")
    context = {"grid": selectors.preference_grid(user), "channels": USER_CHANNELS}
    return render(request, "notifications/preferences.html", context)


# --- chat robots ------------------------------------------------------------------------------------


def _require_view(user) -> None:
    access.require_perm(user, "notifications.view_webhooks")


@login_required
@require_http_methods(["GET"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    _require_view(request.user)
    context = {
        "webhooks": list(selectors.webhooks(request.user)),
        "can_manage": access.has_perm(request.user, "notifications.manage_webhooks"),
    }
    return render(request, "notifications/webhook_list.html", context)


def _save(form: WebhookForm, save) -> tuple[Webhook | None, int]:
    if not form.is_valid():
        return None, INVALID
    try:
        return save(form.cleaned_data), 200
    except ConflictError as exc:
        form.add_error(None, str(exc))
        return None, CONFLICT
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None, INVALID


@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "notifications.manage_webhooks")
    form = WebhookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        fields = ("kind", "name", "url", "secret", "events", "active")
        webhook, status = _save(
            form,
            lambda data: services.webhook_create(actor=user, **{k: data[k] for k in fields}),
        )
        if webhook is not None:
            messages.success(request, _("The chat robot was added."))
            return redirect("notifications:webhook_edit", pk=webhook.pk)
    context = {"form": form, "webhook": None, "can_manage": True}
    return render(request, "notifications/webhook_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    webhook = access.get_object_or_404(Webhook, user, access.VIEW, pk=pk)
    can_manage = access.can(user, access.CHANGE, webhook)
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = WebhookForm(request.POST, editing=True)
        fields = ("kind", "name", "url", "secret", "events", "active")
        saved, status = _save(
            form,
            lambda data: services.webhook_update(
                actor=user,
                webhook=webhook,
                version=data["version"],
                **{k: data[k] for k in fields},
            ),
        )
        if saved is not None:
            messages.success(request, _("The chat robot was saved."))
            return redirect("notifications:webhook_edit", pk=webhook.pk)
    else:
        form = WebhookForm(
            editing=True,
            initial={
                "kind": webhook.kind,
                "name": webhook.name,
                "events": webhook.events,
                "active": webhook.active,
                "version": webhook.version,
            },
        )
        if not can_manage:
            for field in form.fields.values():
                field.disabled = True
    context = {
        "form": form,
        "webhook": webhook,
        "can_manage": can_manage,
        "deliveries": selectors.webhook_deliveries(user, webhook),
    }
    return render(request, "notifications/webhook_form.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    webhook = access.get_object_or_404(Webhook, user, access.VIEW, pk=pk)
    access.ensure(user, access.DELETE, webhook)
    services.webhook_delete(actor=user, webhook=webhook)
    messages.success(request, _("The chat robot was deleted."))
    return redirect("notifications:webhook_list")


@login_required
@require_http_methods(["POST"])
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    webhook = access.get_object_or_404(Webhook, user, access.VIEW, pk=pk)
    access.ensure(user, access.CHANGE, webhook)
    services.webhook_test(actor=user, webhook=webhook)
    messages.info(
        request, _("A test message is on its way; the delivery log below shows the result.")
    )
    return redirect("notifications:webhook_edit", pk=webhook.pk)
