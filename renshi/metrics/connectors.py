"""Pull connectors: poll a business system's HTTP JSON endpoint and ingest what the mapping says.

* ``clean_mapping`` checks a mapping (``Connector`` docstring) against the catalogue;
  ``resolve_path`` / ``map_records`` turn a JSON body into raw points (pure functions).
* ``fetch`` GETs the URL with httpx: a total time limit (``METRICS_CONNECTOR_TIMEOUT``, 10 s),
  no redirects (a 3xx is an error: configure the final URL), a size cap
  (``METRICS_CONNECTOR_MAX_BYTES``, 5 MB, read as a stream and refused beyond), JSON only,
  no proxy or .netrc from the environment. Errors are ``ConnectorError`` with a translated,
  fixed message (status code, limit) — never the response, the exception text or a header.
* ``connector_run`` (the task) runs a connector **as its owner**: ``created_by`` while that
  person is still an active HR VP or performance manager of the connector's company. If not,
  the run fails with a clear message and writes nothing: a connector must never keep writing
  with the authority of someone who lost it. Another manager saving the connector takes it
  over (becomes its owner). Points are ingested non-atomically (good records are written,
  rejected ones are listed in the batch with their record number).
* Every run records an ``IngestBatch`` (channel connector): the ingestion's, or a failed one
  holding the fetch error. ``last_status`` is ``ok``, ``partial`` (some records rejected) or
  ``failed``; ``last_message`` says why.
* ``connectors_claim_due`` (the every-minute schedule) moves ``next_run_at`` forward with a
  conditional UPDATE before a run is enqueued, so two schedulers never run one connector twice.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.concurrency import bump_version
from renshi.core.context import actor_context

from .models import Connector, IngestBatch, Metric
from .permissions import is_metric_manager
from .services import BatchTooLarge, max_batch, points_ingest, points_validate

PERMISSION = "metrics.manage"
PREVIEW_LIMIT = 20
MIN_INTERVAL = 5
DEFAULT_SOURCE = "connector"
STATUS_OK = "ok"
STATUS_PARTIAL = "partial"
STATUS_FAILED = "failed"
FIELD_RE = re.compile(r"^[\w$@-]+(\.[\w$@-]+)*$")
HEADER_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
MAPPING_KEYS = (
    "records",
    "metric",
    "metric_field",
    "subject_field",
    "date_field",
    "value_field",
    "source",
)


class ConnectorError(Exception):
    """A fetch or mapping failure; ``message`` is translated and safe to show and store."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


def timeout_seconds() -> float:
    return float(getattr(settings, "METRICS_CONNECTOR_TIMEOUT", 10))


def max_bytes() -> int:
    return int(getattr(settings, "METRICS_CONNECTOR_MAX_BYTES", 5 * 1024 * 1024))


# --- mapping ------------------------------------------------------------------------------------


def clean_mapping(mapping: Any, *, company_id: int) -> tuple[dict[str, str], dict[str, str]]:
    """A normalised mapping and its errors by mapping key (empty when valid).

    Required: the value and date fields, and either a fixed metric key (an active, non-ratio
    metric of the company) or the field holding the key. ``records`` "" means the body itself
    is the list; no subject field means company metrics."""
    errors: dict[str, str] = {}
    if not isinstance(mapping, Mapping):
        return {}, {"": _("The mapping must be an object.")}
    clean: dict[str, str] = {}
    for key in MAPPING_KEYS:
        value = mapping.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = _("Must be text.")
            continue
        clean[key] = value.strip()
    if errors:
        return clean, errors
    for key in ("records", "metric_field", "subject_field", "date_field", "value_field"):
        value = clean[key]
        if value and (len(value) > 200 or not FIELD_RE.match(value)):
            errors[key] = _("Use field names separated by dots (data.items).")
    for key in ("date_field", "value_field"):
        if not clean[key] and key not in errors:
            errors[key] = _("This field is required.")
    if bool(clean["metric"]) == bool(clean["metric_field"]):
        errors["metric"] = _("Give either a fixed metric key or the field holding the key.")
    elif clean["metric"]:
        metric = Metric.objects.filter(company_id=company_id, key=clean["metric"]).first()
        if metric is None or not metric.active:
            errors["metric"] = _("Unknown metric.")
        elif metric.aggregation == Metric.Aggregation.RATIO:
            errors["metric"] = _(
                "A ratio metric is computed from its two metrics; send those instead."
            )
    if len(clean["source"]) > 64:
        errors["source"] = _("At most 64 characters.")
    return clean, errors


_MISSING = object()


def resolve_path(obj: Any, path: str) -> Any:
    """``data.items.0.id`` inside a JSON value; raises KeyError when a step is missing."""
    if not path:
        return obj
    for step in path.split("."):
        if isinstance(obj, Mapping):
            obj = obj.get(step, _MISSING)
        elif isinstance(obj, list) and step.isdigit() and int(step) < len(obj):
            obj = obj[int(step)]
        else:
            obj = _MISSING
        if obj is _MISSING:
            raise KeyError(step)
    return obj


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")


def _date_value(raw: Any) -> Any:
    """An ISO date-time ("2026-03-01T08:00:00Z") keeps its date part; anything else is left
    to the ingestion's checks."""
    if isinstance(raw, str) and _ISO_DATETIME.match(raw.strip()):
        return raw.strip()[:10]
    return raw


@dataclass
class Mapped:
    points: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"row", "field", "message"}
    records: int = 0


def map_records(body: Any, mapping: Mapping[str, str]) -> Mapped:
    """Raw points from a JSON body (``row`` = 1-based record number). A missing records path
    or a body that is not a list raises ConnectorError; a record without a mapped field is an
    error of that record."""
    try:
        records = resolve_path(body, mapping.get("records", ""))
    except KeyError as exc:
        raise ConnectorError(
            _("The records path %(path)s is not in the response.")
            % {"path": mapping.get("records", "")}
        ) from exc
    if not isinstance(records, list):
        raise ConnectorError(_("The records path does not lead to a list."))
    result = Mapped(records=len(records))
    source = mapping.get("source") or DEFAULT_SOURCE
    wanted = [
        ("metric", mapping.get("metric_field", "")),
        ("subject", mapping.get("subject_field", "")),
        ("date", mapping.get("date_field", "")),
        ("value", mapping.get("value_field", "")),
    ]
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            result.errors.append(
                {"row": number, "field": "", "message": _("The record is not an object.")}
            )
            continue
        point: dict[str, Any] = {"row": number, "source": source}
        if mapping.get("metric"):
            point["metric"] = mapping["metric"]
        missing = None
        for name, path in wanted:
            if not path:
                continue
            try:
                value = resolve_path(record, path)
            except KeyError:
                missing = (name, path)
                break
            if name == "metric" and not isinstance(value, str):
                value = str(value) if value is not None else ""
            if name == "subject" and isinstance(value, int | float) and not isinstance(value, bool):
                value = str(int(value)) if float(value).is_integer() else str(value)
            point[name] = _date_value(value) if name == "date" else value
        if missing is not None:
            result.errors.append(
                {
                    "row": number,
                    "field": missing[0],
                    "message": _("The field %(field)s is missing.") % {"field": missing[1]},
                }
            )
            continue
        point.setdefault("subject", "")
        result.points.append(point)
    return result


# --- fetching -----------------------------------------------------------------------------------


def request_headers(connector: Connector) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "renshi-connector/1"}
    if connector.auth_header and connector.auth_value:
        headers[connector.auth_header] = connector.auth_value
    return headers


def fetch(connector: Connector) -> Any:
    """The decoded JSON body of the connector's URL, or ConnectorError."""
    limit = max_bytes()
    timeout = timeout_seconds()
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", connector.url, headers=request_headers(connector)) as response,
        ):
            status = response.status_code
            if 300 <= status < 400:
                raise ConnectorError(
                    _("The server answered with a redirect (HTTP %(status)s); enter the final URL.")
                    % {"status": status}
                )
            if status >= 400:
                raise ConnectorError(
                    _("The server answered with an error (HTTP %(status)s).") % {"status": status}
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ConnectorError(_too_large(limit))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ConnectorError(_too_large(limit))
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("total time limit")
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise ConnectorError(
            _("The server did not answer within %(seconds)s seconds.") % {"seconds": timeout}
        ) from exc
    except httpx.UnsupportedProtocol as exc:
        raise ConnectorError(_("Only http and https URLs are supported.")) from exc
    except httpx.HTTPError as exc:
        raise ConnectorError(_("The server could not be reached.")) from exc
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConnectorError(_("The response is not JSON.")) from exc


def _too_large(limit: int) -> str:
    return _("The response is larger than %(limit)s MB.") % {
        "limit": round(limit / (1024 * 1024), 1)
    }


def _safe(message: str, connector: Connector) -> str:
    """Defence in depth: a stored or shown message never contains the secret."""
    secret = connector.auth_value or ""
    if len(secret) >= 4 and secret in message:
        message = message.replace(secret, "••••")
    return message[:500]


# --- services: the connector's settings ---------------------------------------------------------


EDITABLE = ("name", "url", "auth_header", "mapping", "interval_minutes", "active")


def _validate(connector: Connector) -> None:
    errors: dict[str, str] = {}
    if not str(connector.url).lower().startswith(("http://", "https://")):
        errors["url"] = _("Only http and https URLs are supported.")
    if connector.auth_header and not HEADER_RE.match(connector.auth_header):
        errors["auth_header"] = _("Not a valid header name.")
    if connector.interval_minutes < MIN_INTERVAL:
        errors["interval_minutes"] = _("At least %(minutes)s minutes.") % {"minutes": MIN_INTERVAL}
    mapping, mapping_errors = clean_mapping(connector.mapping, company_id=connector.company_id)
    if mapping_errors:
        errors["mapping"] = "; ".join(f"{k}: {v}" if k else v for k, v in mapping_errors.items())
    else:
        connector.mapping = mapping
    if errors:
        raise ValidationError(errors)
    connector.full_clean(exclude=["mapping", "auth_value"])


def _company_id(actor: Any) -> int:
    from renshi.org.scope import get_scope

    scope = get_scope(actor)
    if scope.company_id is None or not is_metric_manager(scope):
        raise PermissionDenied
    return scope.company_id


@transaction.atomic
def connector_create(
    *,
    actor: Any,
    name: str,
    url: str,
    mapping: dict[str, Any],
    auth_header: str = "",
    auth_value: str = "",
    interval_minutes: int = 60,
    active: bool = True,
) -> Connector:
    access.require_perm(actor, PERMISSION)
    connector = Connector(
        company_id=_company_id(actor),
        name=name,
        url=url,
        auth_header=auth_header,
        auth_value=auth_value,
        mapping=mapping,
        interval_minutes=interval_minutes,
        active=active,
        created_by=actor,
        next_run_at=timezone.now(),
    )
    _validate(connector)
    connector.save()
    access.ensure(actor, access.CHANGE, connector)
    return connector


@transaction.atomic
def connector_update(
    *,
    actor: Any,
    connector: Connector,
    version: int | None,
    auth_value: str | None = None,
    **changes,
) -> Connector:
    """Change a connector. ``auth_value`` None keeps the stored secret. A stale ``version``
    raises ConflictError. The editor takes the connector over when its owner may no longer
    run it."""
    access.require_perm(actor, PERMISSION)
    connector = Connector.objects.select_for_update().get(pk=connector.pk)
    access.ensure(actor, access.CHANGE, connector)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    interval_before = connector.interval_minutes
    active_before = connector.active
    for key, value in changes.items():
        setattr(connector, key, value)
    if auth_value is not None:  # "" clears it
        connector.auth_value = auth_value
    if run_as(connector) is None:
        connector.created_by = actor
    now = timezone.now()
    if connector.active and (
        not active_before
        or connector.interval_minutes != interval_before
        or connector.next_run_at is None
    ):
        connector.next_run_at = now
    _validate(connector)
    bump_version(connector, expected_version=version)
    connector.save(
        update_fields=[*EDITABLE, "auth_value", "created_by", "next_run_at", "updated_at"]
    )
    return connector


@transaction.atomic
def connector_delete(*, actor: Any, connector: Connector, version: int | None) -> None:
    access.require_perm(actor, PERMISSION)
    connector = Connector.objects.select_for_update().get(pk=connector.pk)
    access.ensure(actor, access.DELETE, connector)
    bump_version(connector, expected_version=version)
    connector.delete()


# --- running ------------------------------------------------------------------------------------


def run_as(connector: Connector) -> Any:
    """The person a run writes as: the owner while still an active manager of the metrics of
    the connector's company; None otherwise."""
    from renshi.org.scope import get_scope

    owner = connector.created_by
    if owner is None or not owner.is_active:
        return None
    scope = get_scope(owner)
    if scope.company_id != connector.company_id or not is_metric_manager(scope):
        return None
    return owner


@dataclass
class TestResult:
    records: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""  # the fetch/mapping failure, if any


def connector_test(*, actor: Any, connector: Connector) -> TestResult:
    """Fetch, map and validate (as ``actor``) without writing: the first records and errors."""
    access.require_perm(actor, PERMISSION)
    access.ensure(actor, access.CHANGE, connector)
    result = TestResult()
    try:
        mapping, mapping_errors = clean_mapping(connector.mapping, company_id=connector.company_id)
        if mapping_errors:
            raise ConnectorError(_("The mapping is not valid; edit the connector."))
        mapped = map_records(fetch(connector), mapping)
    except ConnectorError as exc:
        result.error = _safe(exc.message, connector)
        return result
    result.records = mapped.records
    errors = list(mapped.errors)
    points = mapped.points
    try:
        clean, rejected = points_validate(actor=actor, points=points[: max_batch()])
    except BatchTooLarge:  # pragma: no cover - sliced above
        clean, rejected = [], []
    for r in rejected:
        errors.append({"row": points[r.index]["row"], "field": r.field, "message": r.message})
    for p in clean[:PREVIEW_LIMIT]:
        raw = points[p.index]
        result.preview.append(
            {
                "row": raw["row"],
                "metric": p.metric_key,
                "subject": raw.get("subject", ""),
                "date": p.date.isoformat(),
                "value": format(p.value.normalize(), "f"),
                "source": p.source,
            }
        )
    errors.sort(key=lambda e: e["row"])
    result.errors = [{**e, "message": _safe(e["message"], connector)} for e in errors[:200]]
    return result


def _record(connector: Connector, status: str, message: str) -> None:
    Connector.objects.filter(pk=connector.pk).update(
        last_run_at=timezone.now(), last_status=status, last_message=_safe(message, connector)
    )


def _failed_batch(connector: Connector, message: str) -> IngestBatch:
    now = timezone.now()
    batch = IngestBatch(
        company_id=connector.company_id,
        channel=IngestBatch.Channel.CONNECTOR,
        status=IngestBatch.Status.FAILED,
        created_by=run_as(connector),
        connector=connector,
        errors=[{"row": 0, "field": "", "message": _safe(message, connector)}],
        finished_at=now,
    )
    batch.save()
    return batch


def connector_run(*, connector_id: int) -> IngestBatch | None:
    """One run (the task's body): fetch, map, ingest as the owner, record the outcome."""
    connector = Connector.objects.select_related("created_by").filter(pk=connector_id).first()
    if connector is None:
        return None
    owner = run_as(connector)
    with actor_context(actor=owner, channel="task"), transaction.atomic():
        if owner is None:
            message = _(
                "The connector's owner is no longer an HR VP or performance manager; "
                "a manager must save the connector to take it over."
            )
            _record(connector, STATUS_FAILED, message)
            return _failed_batch(connector, message)
        try:
            mapping, mapping_errors = clean_mapping(
                connector.mapping, company_id=connector.company_id
            )
            if mapping_errors:
                raise ConnectorError(_("The mapping is not valid; edit the connector."))
            mapped = map_records(fetch(connector), mapping)
            if len(mapped.points) > max_batch():
                raise ConnectorError(
                    _("Too many records in one response: %(size)s (at most %(limit)s).")
                    % {"size": len(mapped.points), "limit": max_batch()}
                )
        except ConnectorError as exc:
            _record(connector, STATUS_FAILED, exc.message)
            return _failed_batch(connector, exc.message)
        result = points_ingest(
            actor=owner,
            points=mapped.points,
            channel=IngestBatch.Channel.CONNECTOR,
            source=mapping.get("source") or DEFAULT_SOURCE,
            connector=connector,
        )
        batch = result.batch
        if mapped.errors:
            safe = [{**e, "message": _safe(e["message"], connector)} for e in mapped.errors]
            batch.errors = sorted(safe + list(batch.errors), key=lambda e: e.get("row", 0))[:1000]
            batch.received += len(mapped.errors)
            batch.rejected += len(mapped.errors)
            batch.save(update_fields=["errors", "received", "rejected"])
        rejected = batch.rejected
        counts = {
            "records": mapped.records,
            "accepted": result.accepted,
            "created": result.created,
            "replaced": result.replaced,
            "rejected": rejected,
        }
        summary = (
            _(
                "%(records)s records: %(accepted)s accepted (%(created)s new, %(replaced)s "
                "replaced), %(rejected)s rejected."
            )
            % counts
        )
        if rejected == 0:
            status = STATUS_OK
        elif result.accepted:
            status = STATUS_PARTIAL
        else:
            status = STATUS_FAILED
        if rejected:
            first = batch.errors[0]
            summary += " " + _("First error, record %(row)s: %(message)s") % {
                "row": first.get("row", 0),
                "message": first.get("message", ""),
            }
        _record(connector, status, summary)
        return batch


def connectors_claim_due(*, now: datetime.datetime | None = None) -> list[int]:
    """The ids of the active connectors due at ``now``, each claimed by moving its
    ``next_run_at`` to now + interval with a conditional UPDATE (a connector another scheduler
    claimed first is skipped)."""
    now = now or timezone.now()
    due = Connector.objects.filter(active=True).filter(
        Q(next_run_at__lte=now) | Q(next_run_at__isnull=True)
    )
    claimed: list[int] = []
    for pk, next_run_at, interval in due.values_list("pk", "next_run_at", "interval_minutes"):
        same = Connector.objects.filter(pk=pk, active=True)
        if next_run_at is None:
            same = same.filter(next_run_at__isnull=True)
        else:
            same = same.filter(next_run_at=next_run_at)
        new_next = now + datetime.timedelta(minutes=max(interval, MIN_INTERVAL))
        if same.update(next_run_at=new_next):
            claimed.append(pk)
    return claimed


def connector_run_now(*, actor: Any, connector: Connector) -> None:
    """Enqueue a run (after the current transaction commits)."""
    access.require_perm(actor, PERMISSION)
    access.ensure(actor, access.CHANGE, connector)
    from .tasks_io import connector_run_task

    pk = connector.pk
    transaction.on_commit(lambda: connector_run_task.enqueue(pk))
