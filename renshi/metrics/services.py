"""Writes of the metrics app: the ingestion every channel shares, and the catalogue.

CONTRACT (the other channels — uploads, attendance, connectors — call these; the metrics helper
implements them):

``points_validate(*, actor, points) -> tuple[list[CleanPoint], list[Rejected]]``
    Checks raw points without writing anything. A raw point is a mapping with
    ``metric`` (key), ``subject`` (employee number for employee metrics, department code for
    department metrics, empty/absent for company metrics), ``date`` (ISO date or a date),
    ``value`` (number or numeric string) and optional ``source``. Reasons a point is refused
    (one ``Rejected`` each, with the 0-based index in ``points`` and the field): unknown or
    inactive metric; a ratio metric (derived, never sent); a metric the integration key may not
    write (``permissions.api_may_write``); a subject that does not exist in the company or that a
    person may not write (``permissions.writable_subject_q``) — both answer "unknown subject" so
    existence does not leak; a value that is not a finite number or has more than 14 digits
    before the point; an invalid date; a date in the future; a date outside every period
    (``periods.company_periods``); a duplicate natural key inside the same request.

``points_ingest(*, actor, points, channel, source="", atomic=False, filename="",
                connector=None) -> IngestResult``
    Validates, then upserts the valid points on the natural key (metric, subject, date, source)
    in bulk (a resend replaces the value and counts as ``replaced``), inside one transaction,
    and records an ``IngestBatch`` (committed, or failed when nothing was accepted / the batch
    was refused) with the counts and the first 1,000 errors. With ``atomic=True`` any rejected
    point refuses the whole batch (nothing written, batch failed). ``source`` is the default
    source of points that name none (the API key's name, "upload", the connector's mapping...).
    Sends ``signals.points_ingested`` on commit. More than ``settings.METRICS_MAX_BATCH`` points
    raises ``BatchTooLarge`` before anything is read.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.concurrency import bump_version
from renshi.org.models import Department, Employee
from renshi.org.scope import get_scope

from .models import DataPoint, IngestBatch, Metric, SubjectKind
from .periods import company_periods, in_periods
from .permissions import API_WRITE, api_may_write, is_metric_manager, writable_subject_q
from .signals import points_ingested


class BatchTooLarge(Exception):
    """More points than ``settings.METRICS_MAX_BATCH`` in one call (nothing was read)."""

    def __init__(self, size: int):
        self.size = size
        self.limit = max_batch()
        super().__init__(
            _("Too many points in one batch: %(size)s (at most %(limit)s).")
            % {"size": size, "limit": self.limit}
        )


@dataclass(frozen=True)
class Rejected:
    index: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class CleanPoint:
    index: int
    metric_id: int
    metric_key: str
    subject_kind: str
    subject_id: int
    date: datetime.date
    value: Decimal
    source: str


@dataclass
class IngestResult:
    batch: IngestBatch
    accepted: int = 0
    created: int = 0
    replaced: int = 0
    rejected: list[Rejected] = field(default_factory=list)


# --- ingestion --------------------------------------------------------------------------------

MAX_ERRORS_STORED = 1000
MAX_INTEGER_DIGITS = 14
_FOUR_PLACES = Decimal("0.0001")


def max_batch() -> int:
    return int(getattr(settings, "METRICS_MAX_BATCH", 10_000))


@dataclass(frozen=True)
class _Writer:
    """Who writes: a person (writable departments / all), an integration key (patterns), or
    the system (actor None: connector runs and imports run by tasks)."""

    company_id: int
    kind: str  # "person" | "key" | "system"
    all_subjects: bool
    department_ids: frozenset[int]
    scope: Any


def _writer(actor: Any, company: Any, connector: Any) -> _Writer:
    if actor is None:
        company_id = getattr(company, "pk", company) or getattr(connector, "company_id", None)
        if company_id is None:
            raise PermissionDenied
        return _Writer(company_id, "system", True, frozenset(), None)
    scope = get_scope(actor)
    if scope.company_id is None:
        raise PermissionDenied
    if scope.is_api_key:
        if not scope.api_allows(API_WRITE):
            raise PermissionDenied
        return _Writer(scope.company_id, "key", True, frozenset(), scope)
    if writable_subject_q(scope) is None:
        raise PermissionDenied
    return _Writer(
        scope.company_id, "person", is_metric_manager(scope), scope.department_ids, scope
    )


def _messages() -> dict[str, str]:
    # translated once per call (the active language of the request)
    return {
        "not_object": _("Each point must be an object."),
        "required": _("This field is required."),
        "unknown_metric": _("Unknown metric."),
        "inactive_metric": _("Unknown metric."),
        "ratio": _("A ratio metric is computed from its two metrics; send those instead."),
        "key_scope": _("This API key may not write this metric."),
        "unknown_subject": _("Unknown subject."),
        "company_subject": _("Company metrics take no subject (leave it empty)."),
        "not_number": _("Not a number."),
        "too_large": _("Too large: at most 14 digits before the decimal point."),
        "bad_date": _("Not a valid date (use YYYY-MM-DD)."),
        "future": _("The date is in the future."),
        "no_period": _("The date is outside every period (strategy map or plan)."),
        "bad_source": _("The source must be text of at most 64 characters."),
        "duplicate": _("Duplicate of point %(index)s (same metric, subject, date and source)."),
    }


def _parse_value(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    if not value.is_finite():
        return None
    return value


def _parse_date(raw: Any) -> datetime.date | None:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) == 10:
            try:
                return datetime.date.fromisoformat(text)
            except ValueError:
                return None
    return None


def _subject_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return raw.strip() if isinstance(raw, str) else ""


def _validate(
    writer: _Writer, points: Any, *, default_source: str = ""
) -> tuple[list[CleanPoint], list[Rejected]]:
    msg = _messages()
    rejected: list[Rejected] = []
    if not isinstance(points, list | tuple):
        return [], [Rejected(0, "points", str(msg["not_object"]))]
    today = timezone.localdate()
    company_id = writer.company_id

    # 1. collect the keys and subjects named, to resolve them in bulk
    metric_keys: set[str] = set()
    for raw in points:
        if isinstance(raw, Mapping):
            key = raw.get("metric")
            if isinstance(key, str):
                metric_keys.add(key.strip())
    metrics = {
        m.key: m
        for m in Metric.objects.filter(company_id=company_id, key__in=metric_keys).only(
            "id", "key", "subject_kind", "aggregation", "active", "company_id"
        )
    }
    allowed_keys: dict[str, bool] = {}
    for key in metrics:
        allowed_keys[key] = writer.kind != "key" or api_may_write(writer.scope, key)

    employee_nos: set[str] = set()
    department_codes: set[str] = set()
    for raw in points:
        if not isinstance(raw, Mapping):
            continue
        metric = metrics.get(str(raw.get("metric") or "").strip())
        if metric is None:
            continue
        subject = _subject_text(raw.get("subject"))
        if metric.subject_kind == SubjectKind.EMPLOYEE and subject:
            employee_nos.add(subject)
        elif metric.subject_kind == SubjectKind.DEPARTMENT and subject:
            department_codes.add(subject)
    employees: dict[str, int] = {}
    if employee_nos:
        for pk, number, department_id in Employee.objects.filter(
            company_id=company_id, employee_no__in=employee_nos
        ).values_list("id", "employee_no", "department_id"):
            if writer.all_subjects or department_id in writer.department_ids:
                employees[number] = pk
    departments: dict[str, int] = {}
    if department_codes:
        for pk, code in Department.objects.filter(
            company_id=company_id, code__in=department_codes
        ).values_list("id", "code"):
            if writer.all_subjects or pk in writer.department_ids:
                departments[code] = pk
    periods = company_periods(company_id)

    # 2. check every point
    clean: list[CleanPoint] = []
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(points):
        if not isinstance(raw, Mapping):
            rejected.append(Rejected(index, "", str(msg["not_object"])))
            continue
        key = raw.get("metric")
        key = key.strip() if isinstance(key, str) else ""
        if not key:
            rejected.append(Rejected(index, "metric", str(msg["required"])))
            continue
        metric = metrics.get(key)
        if metric is None or not metric.active:
            rejected.append(Rejected(index, "metric", str(msg["unknown_metric"])))
            continue
        if metric.aggregation == Metric.Aggregation.RATIO:
            rejected.append(Rejected(index, "metric", str(msg["ratio"])))
            continue
        if not allowed_keys[key]:
            rejected.append(Rejected(index, "metric", str(msg["key_scope"])))
            continue
        subject = _subject_text(raw.get("subject"))
        if metric.subject_kind == SubjectKind.EMPLOYEE:
            subject_id = employees.get(subject)
        elif metric.subject_kind == SubjectKind.DEPARTMENT:
            subject_id = departments.get(subject)
        else:
            if subject:
                rejected.append(Rejected(index, "subject", str(msg["company_subject"])))
                continue
            subject_id = company_id if writer.all_subjects else None
        if subject_id is None:
            rejected.append(Rejected(index, "subject", str(msg["unknown_subject"])))
            continue
        if "value" not in raw or raw.get("value") in (None, ""):
            rejected.append(Rejected(index, "value", str(msg["required"])))
            continue
        value = _parse_value(raw.get("value"))
        if value is None:
            rejected.append(Rejected(index, "value", str(msg["not_number"])))
            continue
        if value.adjusted() >= MAX_INTEGER_DIGITS:
            rejected.append(Rejected(index, "value", str(msg["too_large"])))
            continue
        value = value.quantize(_FOUR_PLACES, rounding=ROUND_HALF_UP)
        if raw.get("date") in (None, ""):
            rejected.append(Rejected(index, "date", str(msg["required"])))
            continue
        day = _parse_date(raw.get("date"))
        if day is None:
            rejected.append(Rejected(index, "date", str(msg["bad_date"])))
            continue
        if day > today:
            rejected.append(Rejected(index, "date", str(msg["future"])))
            continue
        if not in_periods(day, periods):
            rejected.append(Rejected(index, "date", str(msg["no_period"])))
            continue
        source = raw.get("source")
        if source in (None, ""):
            source = default_source
        if not isinstance(source, str) or len(source.strip()) > 64:
            rejected.append(Rejected(index, "source", str(msg["bad_source"])))
            continue
        source = source.strip()
        natural = (metric.pk, subject_id, day, source)
        first = seen.get(natural)
        if first is not None:
            rejected.append(Rejected(index, "", str(msg["duplicate"] % {"index": first})))
            continue
        seen[natural] = index
        clean.append(
            CleanPoint(
                index=index,
                metric_id=metric.pk,
                metric_key=key,
                subject_kind=metric.subject_kind,
                subject_id=subject_id,
                date=day,
                value=value,
                source=source,
            )
        )
    return clean, rejected


def points_validate(
    *, actor: Any, points: Any, company: Any = None
) -> tuple[list[CleanPoint], list[Rejected]]:
    """Check raw points without writing anything (see the module docstring).

    ``company`` is only for the system path (``actor=None``: tasks, connector runs)."""
    if len(points) > max_batch():
        raise BatchTooLarge(len(points))
    return _validate(_writer(actor, company, None), points)


def _error_row(points: Any, rejected: Rejected) -> dict:
    row = rejected.index + 1
    raw = points[rejected.index] if 0 <= rejected.index < len(points) else None
    if isinstance(raw, Mapping) and isinstance(raw.get("row"), int):
        row = raw["row"]
    return {
        "index": rejected.index,
        "row": row,
        "field": rejected.field,
        "message": rejected.message,
    }


def _existing_keys(clean: list[CleanPoint]) -> set[tuple]:
    """The natural keys among ``clean`` that are already stored (one query)."""
    if not clean:
        return set()
    wanted = {(p.metric_id, p.subject_id, p.date, p.source) for p in clean}
    qs = DataPoint.objects.filter(
        metric_id__in={p.metric_id for p in clean},
        subject_id__in={p.subject_id for p in clean},
        date__gte=min(p.date for p in clean),
        date__lte=max(p.date for p in clean),
        source__in={p.source for p in clean},
    ).values_list("metric_id", "subject_id", "date", "source")
    return {row for row in qs.iterator(chunk_size=5000) if row in wanted}


def points_ingest(
    *,
    actor: Any,
    points: Any,
    channel: str,
    source: str = "",
    atomic: bool = False,
    filename: str = "",
    connector: Any = None,
    company: Any = None,
    sha256: str = "",
    into: IngestBatch | None = None,
) -> IngestResult:
    """Validate and upsert points, record the batch (see the module docstring).

    ``company`` is only for the system path (``actor=None``) without a connector. ``into`` is a
    pending batch (an upload's dry run) the points belong to: no second batch is recorded; the
    returned ``result.batch`` is then an unsaved summary the caller copies onto ``into``."""
    if len(points) > max_batch():
        raise BatchTooLarge(len(points))
    with transaction.atomic():
        return _ingest(
            actor=actor,
            points=points,
            channel=channel,
            source=source,
            atomic=atomic,
            filename=filename,
            connector=connector,
            company=company,
            sha256=sha256,
            into=into,
        )


def _ingest(
    *,
    actor: Any,
    points: Any,
    channel: str,
    source: str,
    atomic: bool,
    filename: str,
    connector: Any,
    company: Any,
    sha256: str,
    into: IngestBatch | None = None,
) -> IngestResult:
    writer = _writer(actor, company, connector)
    if into is not None and into.company_id != writer.company_id:
        raise PermissionDenied
    default_source = (source or "").strip()[:64] or str(channel)
    clean, rejected = _validate(writer, points, default_source=default_source)
    refused = bool(atomic and rejected)
    if refused:
        clean_to_write: list[CleanPoint] = []
    else:
        clean_to_write = clean
    existing = _existing_keys(clean_to_write)
    replaced = sum(
        1 for p in clean_to_write if (p.metric_id, p.subject_id, p.date, p.source) in existing
    )
    now = timezone.now()
    person = actor if writer.kind == "person" else None
    api_key = getattr(actor, "api_key", None) if writer.kind == "key" else None
    batch = IngestBatch(
        company_id=writer.company_id,
        channel=channel,
        status=IngestBatch.Status.COMMITTED if clean_to_write else IngestBatch.Status.FAILED,
        created_by=person,
        api_key_prefix=getattr(api_key, "prefix", "") or "",
        connector=connector,
        filename=(filename or "")[:255],
        sha256=sha256,
        received=len(points),
        accepted=len(clean_to_write),
        created=len(clean_to_write) - replaced,
        replaced=replaced,
        rejected=len(rejected),
        errors=[_error_row(points, r) for r in rejected[:MAX_ERRORS_STORED]],
        metric_keys=sorted({p.metric_key for p in clean_to_write}),
        finished_at=now,
    )
    if into is None:
        batch.save()
    owner = into if into is not None else batch
    if clean_to_write:
        objs = [
            DataPoint(
                company_id=writer.company_id,
                metric_id=p.metric_id,
                subject_kind=p.subject_kind,
                subject_id=p.subject_id,
                date=p.date,
                value=p.value,
                source=p.source,
                received_at=now,
                batch=owner,
            )
            for p in clean_to_write
        ]
        DataPoint.objects.bulk_create(
            objs,
            update_conflicts=True,
            unique_fields=["metric", "subject_id", "date", "source"],
            update_fields=["value", "received_at", "batch"],
            batch_size=1000,
        )
        payload = {
            "company_id": writer.company_id,
            "batch_id": owner.pk,
            "metric_ids": {p.metric_id for p in clean_to_write},
            "subjects": {(p.subject_kind, p.subject_id) for p in clean_to_write},
            "first_date": min(p.date for p in clean_to_write),
            "last_date": max(p.date for p in clean_to_write),
        }
        transaction.on_commit(lambda: points_ingested.send(sender=IngestBatch, **payload))
    return IngestResult(
        batch=batch,
        accepted=batch.accepted,
        created=batch.created,
        replaced=batch.replaced,
        rejected=rejected,
    )


# --- catalogue ----------------------------------------------------------------------------------

METRIC_FIELDS = (
    "key",
    "name",
    "description",
    "unit",
    "subject_kind",
    "aggregation",
    "numerator",
    "denominator",
    "source",
    "pace_curve",
    "active",
)
BUILT_IN_FIELDS = ("name", "description")


def _validate_metric(metric: Metric) -> None:
    errors: dict[str, list[str]] = {}
    if metric.aggregation == Metric.Aggregation.RATIO:
        for name in ("numerator", "denominator"):
            part = getattr(metric, name)
            if part is None:
                errors.setdefault(name, []).append(_("A ratio needs this metric."))
            elif metric.pk is not None and part.pk == metric.pk:
                errors.setdefault(name, []).append(_("A ratio cannot use itself."))
            elif part.company_id != metric.company_id:
                errors.setdefault(name, []).append(_("Unknown metric."))
            elif part.subject_kind != metric.subject_kind:
                errors.setdefault(name, []).append(
                    _("It must measure the same subject as the ratio.")
                )
            elif part.aggregation == Metric.Aggregation.RATIO:
                errors.setdefault(name, []).append(_("It cannot be a ratio itself."))
    else:
        metric.numerator = None
        metric.denominator = None
    curve = metric.pace_curve
    if curve is None or curve == "" or curve == []:
        metric.pace_curve = []
    elif (
        not isinstance(curve, list)
        or len(curve) != 12
        or any(isinstance(v, bool) or not isinstance(v, int | float | Decimal) for v in curve)
        or any(v < 0 for v in curve)
        or not any(v > 0 for v in curve)
    ):
        errors.setdefault("pace_curve", []).append(
            _("Leave it empty or give 12 monthly weights (non-negative, not all zero).")
        )
    else:
        metric.pace_curve = [float(v) for v in curve]
    if (
        Metric.objects.filter(company_id=metric.company_id, key=metric.key)
        .exclude(pk=metric.pk)
        .exists()
    ):
        errors.setdefault("key", []).append(_("A metric with this key exists already."))
    if errors:
        raise ValidationError(errors)
    metric.full_clean(exclude=["company", "created_by", "numerator", "denominator"])


@transaction.atomic
def metric_create(*, actor: Any, company: Any = None, **fields: Any) -> Metric:
    """Add a metric to the catalogue (metrics.manage; ``actor=None, company=`` bootstraps)."""
    if actor is not None:
        access.require_perm(actor, "metrics.manage")
        company_id = get_scope(actor).company_id
    else:
        company_id = getattr(company, "pk", company)
    if company_id is None:
        raise PermissionDenied
    unknown = set(fields) - set(METRIC_FIELDS) - {"built_in"}
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    if actor is not None:
        fields.pop("built_in", None)
    metric = Metric(
        company_id=company_id,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    _validate_metric(metric)
    metric.save()
    return metric


@transaction.atomic
def metric_update(*, actor: Any, metric: Metric, version: int | None, **changes: Any) -> Metric:
    """Edit a metric (metrics.manage). Built-in metrics: only name and description. The key
    cannot change once points exist. Stale ``version`` → ConflictError."""
    metric = access.get_object_or_404(
        Metric.objects.select_for_update(), actor, access.VIEW, pk=metric.pk
    )
    access.ensure(actor, access.CHANGE, metric)
    allowed = BUILT_IN_FIELDS if metric.built_in else METRIC_FIELDS
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        if name not in METRIC_FIELDS:
            raise TypeError(f"unknown field {name}")
        current = getattr(metric, name)
        if name not in allowed:
            if value != current:
                errors.setdefault(name, []).append(
                    _("Built-in metrics only change their name and description.")
                )
            continue
        if name == "key" and value != current and metric.points.exists():
            errors.setdefault("key", []).append(_("The key cannot change once data points exist."))
            continue
        setattr(metric, name, value)
    if errors:
        raise ValidationError(errors)
    _validate_metric(metric)
    bump_version(metric, expected_version=version)
    metric.save()
    return metric
