"""Benchmark ``ingest_points_per_s``: 100,000 data points sent through
``POST /api/v1/metrics/points/`` in batches of 5,000 with an integration key, in process with
Django's test client, against the demo company (target ≥ 5,000 points/s on SQLite and
PostgreSQL).

``measure_ingest(client_or_none, company, notes) -> float`` is called by bench/run.py inside
its measuring subprocess (database migrated, demo built). Standalone::

    .venv/bin/python bench/metrics_bench.py [employees]   # scratch SQLite, demo at 1,000

(set DATABASE_URL=postgres://…/scratch to measure on PostgreSQL; the database is reset.)
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import sys
import time
from pathlib import Path

TOTAL_POINTS = 100_000
BATCH = 5_000
METRIC_KEY = "bench.calls"


def _setup(company, days: int):
    """A metric, a collection period and an integration key (secret) for the company."""
    from django.utils import timezone

    from renshi.api.authentication import hash_secret
    from renshi.api.models import ApiKey
    from renshi.goals.models import StrategyMap
    from renshi.metrics.models import Metric
    from renshi.metrics.periods import company_periods
    from renshi.metrics.services import metric_create

    if not Metric.objects.filter(company=company, key=METRIC_KEY).exists():
        metric_create(actor=None, company=company, key=METRIC_KEY, name="Bench calls")
    today = timezone.localdate()
    start = today - datetime.timedelta(days=days)
    if not any(s <= start and today <= e for s, e in company_periods(company.pk)):
        StrategyMap.objects.create(
            company=company, name="bench period", period_start=start, period_end=today
        )
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    ApiKey.objects.create(
        company=company,
        name="bench",
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=["metrics.write"],
        metric_keys=["bench.*"],
    )
    return f"{prefix}.{secret}", start


def measure_ingest(client_or_none, company, notes: list) -> float:
    """Points per second for TOTAL_POINTS points in batches of BATCH (new points)."""
    from django.test import Client

    from renshi.metrics.models import DataPoint
    from renshi.org.models import Employee

    numbers = list(
        Employee.objects.filter(company=company)
        .exclude(status=Employee.Status.LEFT)
        .order_by("id")
        .values_list("employee_no", flat=True)
    )
    days = -(-TOTAL_POINTS // len(numbers))  # dates per employee
    secret, start = _setup(company, days)
    points = [
        {
            "metric": METRIC_KEY,
            "subject": no,
            "date": (start + datetime.timedelta(days=d)).isoformat(),
            "value": (i + d) % 17,
        }
        for d in range(days)
        for i, no in enumerate(numbers)
    ][:TOTAL_POINTS]
    bodies = [json.dumps({"points": points[i : i + BATCH]}) for i in range(0, len(points), BATCH)]
    client = Client()
    header = {"HTTP_AUTHORIZATION": f"Api-Key {secret}"}
    before = DataPoint.objects.count()
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        response = client.post(
            "/api/v1/metrics/points/",
            data=body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"bench-{n}",
            **header,
        )
        assert response.status_code == 200, (response.status_code, response.content[:500])
    elapsed = time.perf_counter() - started
    written = DataPoint.objects.count() - before
    assert written == len(points), (written, len(points))
    rate = len(points) / elapsed
    notes.append(
        f"ingest: {len(points)} points in {len(bodies)} batches of {BATCH} "
        f"({len(numbers)} employees × {days} days) in {elapsed:.2f} s = {rate:,.0f} points/s"
    )
    return round(rate, 1)


def main() -> int:  # pragma: no cover - manual run
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import standalone_demo

    employees = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    company = standalone_demo("metrics_bench", employees)
    notes: list[str] = []
    rate = measure_ingest(None, company, notes)
    print("\n".join(notes))
    database = os.environ["DATABASE_URL"].split(":")[0]
    print(json.dumps({"ingest_points_per_s": rate, "database": database}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
