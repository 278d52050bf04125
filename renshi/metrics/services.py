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
from dataclasses import dataclass, field
from decimal import Decimal

from .models import IngestBatch


class BatchTooLarge(Exception):
    pass


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
