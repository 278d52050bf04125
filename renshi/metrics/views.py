"""Metric catalogue pages: the catalogue, creating and editing a metric, a metric's page with
its recent points and batches, the data batches and the data points (also the points behind a
goal's actual: metric + subject + period in the query string).

Views parse input, call selectors/services and render. Every queryset comes through the access
layer; out of scope answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.htmx import render_page
from renshi.org.views import _submit

from . import selectors, services
from .forms import MetricForm, PointFilterForm
from .models import DataPoint, IngestBatch, Metric

PAGE_SIZE = 50


def _require_view(request: HttpRequest) -> None:
    access.require_perm(request.user, "metrics.view")


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _rows(points) -> list[dict]:
    labels = selectors.subject_labels(points)
    return [{"point": p, "subject": labels.get((p.subject_kind, p.subject_id), {})} for p in points]


@login_required
def metric_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    metrics = selectors.metric_list(user=request.user)
    return render_page(
        request,
        "metrics/metric_list.html",
        {
            "metrics": metrics,
            "can_manage": access.has_perm(request.user, "metrics.manage"),
        },
    )


def _form_page(request, form, metric, status=200) -> HttpResponse:
    return render_page(
        request, "metrics/metric_form.html", {"form": form, "metric": metric}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def metric_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "metrics.manage")
    form = MetricForm(request.POST or None, metrics=selectors.metric_list(user=user))
    if request.method == "POST":
        created, status = _submit(
            form, lambda: services.metric_create(actor=user, **form.service_data())
        )
        if created is not None:
            messages.success(request, _("Metric %(key)s was created.") % {"key": created.key})
            return redirect("metrics:metric_detail", pk=created.pk)
        return _form_page(request, form, None, status)
    return _form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def metric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    metric = access.get_object_or_404(Metric, user, access.VIEW, pk=pk)
    if not access.can(user, access.CHANGE, metric):
        raise PermissionDenied
    form = MetricForm(request.POST or None, metrics=selectors.metric_list(user=user), metric=metric)
    if request.method == "POST":
        fields = ("name", "description") if metric.built_in else None

        def save():
            data = form.service_data()
            if fields:
                data = {k: v for k, v in data.items() if k in fields}
            return services.metric_update(
                actor=user, metric=metric, version=form.cleaned_data.get("version"), **data
            )

        updated, status = _submit(form, save)
        if updated is not None:
            messages.success(request, _("Metric %(key)s was saved.") % {"key": updated.key})
            return redirect("metrics:metric_detail", pk=updated.pk)
        return _form_page(request, form, metric, status)
    return _form_page(request, form, metric)


@login_required
def metric_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    user = request.user
    metric = access.get_object_or_404(
        Metric.objects.select_related("numerator", "denominator"), user, access.VIEW, pk=pk
    )
    parts = selectors.lineage_metrics(metric)
    points = list(selectors.point_list(user=user, metrics=parts)[:20])
    batch_ids = (
        access.restrict(DataPoint, user)
        .filter(metric__in=[m.pk for m in parts])
        .order_by()
        .values("batch_id")
    )
    batches = list(selectors.batch_list(user=user).filter(pk__in=batch_ids)[:10])
    return render_page(
        request,
        "metrics/metric_detail.html",
        {
            "metric": metric,
            "rows": _rows(points),
            "batches": batches,
            "can_edit": access.can(user, access.CHANGE, metric),
        },
    )


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    page = _page(request, selectors.batch_list(user=request.user))
    return render_page(request, "metrics/batch_list.html", {"page_obj": page}, partial="batches")


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    batch = access.get_object_or_404(
        IngestBatch.objects.select_related("created_by", "connector").defer("content"),
        request.user,
        access.VIEW,
        pk=pk,
    )
    return render_page(
        request,
        "metrics/batch_detail.html",
        {
            "batch": batch,
            "points_url": reverse("metrics:point_list") + f"?batch={batch.pk}",
        },
    )


@login_required
def point_list(request: HttpRequest) -> HttpResponse:
    """Data points filtered by metric key (a ratio shows its two metrics' points), subject
    (employee number / department code), dates and batch — e.g. the points behind a goal's
    actual, linked from the goal's page."""
    _require_view(request)
    user = request.user
    form = PointFilterForm(request.GET or None)
    metric = None
    queryset = DataPoint.objects.none()
    if form.is_bound and not form.is_valid():
        pass
    else:
        data = form.cleaned_data if form.is_bound else {}
        key = (data.get("metric") or "").strip()
        metrics = None
        if key:
            metric = selectors.metric_list(user=user).filter(key=key).first()
            metrics = selectors.lineage_metrics(metric) if metric is not None else []
        queryset = selectors.point_list(
            user=user,
            metrics=metrics,
            subject=data.get("subject") or "",
            start=data.get("date_from"),
            end=data.get("date_to"),
            batch_id=data.get("batch"),
        )
    page = _page(request, queryset)
    return render_page(
        request,
        "metrics/point_list.html",
        {"form": form, "page_obj": page, "rows": _rows(page.object_list), "metric": metric},
        partial="points",
    )
