"""renshi benchmark (`make bench`).

Builds the demo company at 100 and at 10,000 employees, each in its own scratch database
(SQLite files under bench/scratch/, or ``<name>_bench_<n>`` databases on the server of
DATABASE_URL when it is set), and measures in process with Django's test client:

* employee_list_ms            median server time of the employee list, first page, as gm
* employee_list_queries_<n>   SQL queries of that page, at 100 and 10,000 employees (equal)
* employee_detail_queries_<n> SQL queries of an employee detail page (equal)
* import_10k_s                dry run + commit of a 10,000-row Excel file (import service)
* api_employees_ms            median of GET /api/v1/employees/ (first page, token auth)
* goal_rollup_ms              median time of the progress engine over a strategy map of 10,000
                              goals already loaded (own progress, weighted capped roll-up, pace
                              of every goal: renshi.goals.selectors.compute_nodes)
* goal_tree_load_ms           the same including the query that loads the goals (tree_progress)
* goal_tree_queries_<n>       SQL queries of the alignment tree page as gm, with a map of 100 and
                              of 10,000 goals (equal)
* ingest_points_per_s         100,000 data points through POST /api/v1/metrics/points/ in
                              batches of 5,000 with an integration key (bench/metrics_bench.py)
* alerts_eval_10k_s           one evaluation of every default alert rule over 10,000 employees,
                              each with an individual KPI (bench/alerts_bench.py)
* score_cycle_10k_s           scoring a cycle of 10,000 scorecards × 8 indicators with the full
                              trace stored and audited (bench/performance_bench.py)

Writes bench/results.json (a list of {"name", "value", "unit", "n"}), prints a table and exits
non-zero when a target is missed. Each size runs in a subprocess (``--measure N``) because
Django's settings, and so the database, are fixed per process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "bench" / "scratch"
RESULTS = ROOT / "bench" / "results.json"
SIZES = (100, 10_000)
LARGE = SIZES[-1]
WARMUP = 5
SAMPLES = 40
IMPORT_ROWS = 10_000
DETAIL_USERNAME = "head01"  # a department manager: same role and place at every size

TARGETS = {
    "employee_list_ms": ("<", 50.0),
    "import_10k_s": ("<", 15.0),
    "goal_rollup_ms": ("<", 200.0),
    "ingest_points_per_s": (">", 5000.0),
    "alerts_eval_10k_s": ("<", 5.0),
    "score_cycle_10k_s": ("<", 2.0),
}
GOAL_OBJECTIVES = 8


# --- the parent: orchestrates one subprocess per size ---------------------------------------


def database_url_for(n: int) -> str:
    base = os.environ.get("DATABASE_URL")
    if not base:
        return f"sqlite:///{SCRATCH / f'bench_{n}.sqlite3'}"
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "renshi"
    return urlunsplit(parts._replace(path=f"/{name}_bench_{n}"))


def run_size(n: int, *, with_import: bool) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url_for(n)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", str(n)]
    if with_import:
        cmd.append("--import")
    print(f"--- {n} employees ({env['DATABASE_URL'].split('@')[-1]})", flush=True)
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    sys.stderr.write(proc.stderr[-4000:] if proc.returncode else "")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            print("   ", line)
    if proc.returncode or not lines:
        raise SystemExit(f"benchmark at {n} employees failed (exit {proc.returncode})")
    return json.loads(lines[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--import", dest="with_import", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args.measure, with_import=args.with_import)

    SCRATCH.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    small = run_size(SIZES[0], with_import=False)
    large = run_size(LARGE, with_import=True)
    results = [
        {"name": "employee_list_ms", "value": large["list_ms"], "unit": "ms", "n": LARGE},
        {"name": "employee_list_queries_100", "value": small["list_queries"], "unit": "queries",
         "n": SIZES[0]},
        {"name": "employee_list_queries_10000", "value": large["list_queries"], "unit": "queries",
         "n": LARGE},
        {"name": "employee_detail_queries_100", "value": small["detail_queries"],
         "unit": "queries", "n": SIZES[0]},
        {"name": "employee_detail_queries_10000", "value": large["detail_queries"],
         "unit": "queries", "n": LARGE},
        {"name": "import_10k_s", "value": large.get("import_s"), "unit": "s", "n": IMPORT_ROWS},
        {"name": "api_employees_ms", "value": large.get("api_ms"), "unit": "ms", "n": LARGE},
        {"name": "demo_build_10k_s", "value": large["build_s"], "unit": "s", "n": LARGE},
        {"name": "goal_rollup_ms", "value": large.get("goal_rollup_ms"), "unit": "ms",
         "n": LARGE},
        {"name": "goal_tree_load_ms", "value": large.get("goal_tree_load_ms"), "unit": "ms",
         "n": LARGE},
        {"name": "goal_tree_queries_100", "value": small.get("goal_tree_queries"),
         "unit": "queries", "n": SIZES[0]},
        {"name": "goal_tree_queries_10000", "value": large.get("goal_tree_queries"),
         "unit": "queries", "n": LARGE},
        {"name": "ingest_points_per_s", "value": large.get("ingest_points_per_s"),
         "unit": "points/s", "n": 100_000},
        {"name": "alerts_eval_10k_s", "value": large.get("alerts_eval_s"), "unit": "s",
         "n": LARGE},
        {"name": "score_cycle_10k_s", "value": large.get("score_cycle_s"), "unit": "s",
         "n": LARGE},
    ]  # fmt: skip
    failures = check(results, small, large)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"{'name':32} {'value':>10}  {'unit':8} {'n':>6}")
    for row in results:
        value = "n/a" if row["value"] is None else f"{row['value']:g}"
        print(f"{row['name']:32} {value:>10}  {row['unit']:8} {row['n']:>6}")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    for note in large.get("notes", []) + small.get("notes", []):
        print("note:", note)
    if failures:
        print("\nTARGETS MISSED:")
        for failure in failures:
            print("  -", failure)
        return 1
    print("all targets met")
    return 0


def check(results: list[dict], small: dict, large: dict) -> list[str]:
    by_name = {r["name"]: r["value"] for r in results}
    failures = []
    for name, (op, limit) in TARGETS.items():
        value = by_name.get(name)
        if value is None:
            failures.append(f"{name} was not measured")
        elif op == "<" and not value < limit:
            failures.append(f"{name} = {value} (target < {limit})")
        elif op == ">" and not value > limit:
            failures.append(f"{name} = {value} (target > {limit})")
    for page in ("list", "detail"):
        a, b = small[f"{page}_queries"], large[f"{page}_queries"]
        if a != b:
            failures.append(
                f"employee_{page}_queries: {a} at 100 but {b} at 10,000 (must be equal)"
            )
    a, b = small.get("goal_tree_queries"), large.get("goal_tree_queries")
    if a is None or a != b:
        failures.append(f"goal_tree_queries: {a} at 100 goals but {b} at 10,000 (must be equal)")
    if by_name.get("api_employees_ms") is None:
        failures.append("api_employees_ms was not measured")
    return failures


# --- the child: one database, one size -------------------------------------------------------


def measure(n: int, *, with_import: bool) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory; measure like production
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    reset_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    started = time.perf_counter()
    call_command("demo", employees=n, stdout=open(os.devnull, "w"))  # noqa: SIM115
    out: dict = {"build_s": round(time.perf_counter() - started, 2), "notes": []}
    print(f"demo company built in {out['build_s']} s")

    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from renshi.org.models import Employee

    gm = Employee.objects.select_related("user").get(user__username="gm").user
    client = Client()
    client.force_login(gm)
    list_url = reverse("org:employee_list")
    detail = Employee.objects.get(user__username=DETAIL_USERNAME)
    detail_url = reverse("org:employee_detail", kwargs={"pk": detail.pk})

    from django.db import connection

    def queries(url: str) -> int:
        client.get(url)  # warm caches (content types, sessions) before counting
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(ctx.captured_queries)

    out["list_queries"] = queries(list_url)
    out["detail_queries"] = queries(detail_url)
    out["list_ms"] = median_ms(client, list_url)
    print(f"employee list: {out['list_ms']} ms median, {out['list_queries']} queries")

    out["api_ms"] = measure_api(gm, out["notes"])
    if with_import:  # the large size only: these build their own data at 10,000 employees
        from alerts_bench import measure_alerts
        from metrics_bench import measure_ingest
        from performance_bench import measure_scoring

        from renshi.org.models import Company

        demo = Company.objects.get(code="demo")
        # alerts first: measure_goals adds 10,000 more KPIs to the company
        out["alerts_eval_s"] = measure_alerts(demo, out["notes"])
        out["ingest_points_per_s"] = measure_ingest(None, demo, out["notes"])
        out["score_cycle_s"] = measure_scoring(demo, out["notes"])
    measure_goals(n, gm, client, queries, out)
    if with_import:
        out["import_s"] = measure_import(n, out["notes"])
    print(json.dumps(out))
    return 0


def median_ms(client, url: str, headers: dict | None = None) -> float:
    for _ in range(WARMUP):
        client.get(url, headers=headers or {})
    timings = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return round(statistics.median(timings), 2)


def measure_api(gm, notes: list[str]) -> float | None:
    from django.test import Client
    from django.urls import reverse

    from renshi.demo.data import DEMO_PASSWORD

    client = Client()
    url = reverse("api:employees-list")
    response = client.post(
        reverse("api:token"),
        {"username": gm.username, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    if response.status_code != 200:
        notes.append(f"API token endpoint answered {response.status_code}; API not measured")
        return None
    body = response.json()
    token = body.get("token") or body.get("key")
    headers = {"Authorization": f"Token {token}"}
    first = client.get(url, headers=headers)
    if first.status_code != 200:
        notes.append(f"GET {url} answered {first.status_code}; API not measured")
        return None
    value = median_ms(client, url, headers)
    print(f"api employees: {value} ms median")
    return value


def measure_import(n: int, notes: list[str]) -> float | None:
    """Dry run + commit of IMPORT_ROWS new employees into the existing company, as the HR VP."""
    try:
        from renshi.org import imports
    except ImportError as exc:
        notes.append(f"import not measured: {exc}")
        return None
    from renshi.org.models import Department, Employee

    hrvp = Employee.objects.select_related("user").get(user__username="hrvp").user
    departments = list(
        Department.objects.filter(company__code="demo")
        .order_by("pk")
        .values_list("code", flat=True)
    )
    managers = list(
        Employee.objects.filter(company__code="demo", headed_departments__isnull=False)
        .order_by("pk")
        .values_list("employee_no", flat=True)
    )
    rows = import_rows(departments, managers)
    content = imports.build_import_workbook(rows)
    started = time.perf_counter()
    run_import(imports, hrvp, content, notes)
    value = round(time.perf_counter() - started, 2)
    created = Employee.objects.filter(company__code="demo").count() - n
    if created != IMPORT_ROWS:
        notes.append(f"import created {created} employees, expected {IMPORT_ROWS}")
        return None
    print(f"import of {IMPORT_ROWS} rows (dry run + commit): {value} s")
    return value


def import_rows(departments: list[str], managers: list[str]) -> list[dict]:
    import datetime

    from renshi.org.validators import national_id_check_digit

    rows = []
    for i in range(IMPORT_ROWS):
        first17 = f"31010419900101{i % 1000:03d}"
        rows.append(
            {
                "employee_no": f"IM{i:06d}",
                "name": f"导入员工{i}",
                "department": departments[i % len(departments)],
                "position": "软件工程师",
                "grade": "P3",
                "manager": managers[i % len(managers)],
                "hire_date": datetime.date(2025, 1, 1) + datetime.timedelta(days=i % 300),
                "status": "regular",
                "email": f"import{i}@huaxin.example.com",
                "phone": f"139{i:08d}",
                "national_id": first17 + national_id_check_digit(first17),
                "bank_account": f"6222030{i:09d}",
            }
        )
    return rows


def run_import(imports, user, content: bytes, notes: list[str]) -> None:
    """The import service as the page uses it: upload (dry run), then commit the batch."""
    result = imports.employee_import_upload(actor=user, filename="bench.xlsx", data=content)
    if result.batch is None:
        raise SystemExit(f"import dry run reported errors: {str(result.summary)[:500]}")
    batch = imports.employee_import_commit(actor=user, batch_id=result.batch.pk)
    if batch.status != "committed":
        raise SystemExit(f"import commit failed: {str(batch.summary)[:500]}")


def measure_goals(n: int, gm, client, queries, out: dict) -> None:
    """A strategy map of ``n`` goals in the demo company: GOAL_OBJECTIVES objectives, one
    department goal per department (under the objectives in turn), the rest individual KPIs of
    the departments' people; measures of every direction, some without an actual."""
    import datetime
    from decimal import Decimal

    from django.urls import reverse

    from renshi.goals import selectors
    from renshi.goals.models import Goal, Perspective
    from renshi.goals.services_map import strategy_map_create
    from renshi.org.models import Company, Department, Employee

    company = Company.objects.get(code="demo")
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    smap = strategy_map_create(
        actor=None, company=company, name="bench 战略", period_start=start, period_end=end
    )
    lanes = list(Perspective.objects.filter(strategy_map=smap).order_by("order"))
    common = {"company": company, "strategy_map": smap, "start_date": start, "deadline": end}

    def measure_fields(i: int) -> dict:
        kind = i % 5
        if kind == 0:  # lower is better
            return {"direction": "lower", "baseline": Decimal(10), "target": Decimal(5),
                    "actual": Decimal(10 - i % 7)}  # fmt: skip
        if kind == 1:  # a range
            return {"direction": "range", "range_low": Decimal(80), "range_high": Decimal(90),
                    "actual": Decimal(70 + i % 30)}  # fmt: skip
        if kind == 2:  # no actual yet
            return {"direction": "higher", "baseline": Decimal(0), "target": Decimal(12)}
        return {"direction": "higher", "baseline": Decimal(50), "target": Decimal(80),
                "actual": Decimal(40 + i % 60)}  # fmt: skip

    objectives = Goal.objects.bulk_create(
        Goal(level=Goal.Level.COMPANY, title=f"战略目标 {i}", perspective=lanes[i % len(lanes)],
             weight=Decimal(1), **measure_fields(i), **common)
        for i in range(GOAL_OBJECTIVES)
    )  # fmt: skip
    departments = list(Department.objects.filter(company=company).order_by("pk"))
    room = max(n - GOAL_OBJECTIVES, 0)
    dept_goals = Goal.objects.bulk_create(
        Goal(level=Goal.Level.DEPARTMENT, title=f"{d.name} 目标", department=d,
             parent=objectives[i % len(objectives)], weight=Decimal(1 + i % 3),
             **measure_fields(i + 3), **common)
        for i, d in enumerate(departments[: max(room // 10, 1)])
    )  # fmt: skip
    by_department = {g.department_id: g for g in dept_goals}
    people = list(
        Employee.objects.filter(company=company).order_by("pk").values_list("pk", "department_id")
    )
    kpis = []
    i = 0
    while len(kpis) < n - len(objectives) - len(dept_goals):
        pk, dept = people[i % len(people)]
        parent = by_department.get(dept) or dept_goals[i % len(dept_goals)]
        kpis.append(
            Goal(level=Goal.Level.INDIVIDUAL, title=f"个人KPI {i}", owner_id=pk,
                 department_id=dept, parent=parent, weight=Decimal(1), **measure_fields(i),
                 **common)
        )  # fmt: skip
        i += 1
    Goal.objects.bulk_create(kpis, batch_size=2000)
    total = Goal.objects.filter(strategy_map=smap).count()
    print(f"strategy map of {total} goals built")

    out["goal_tree_queries"] = queries(reverse("goals:tree", kwargs={"pk": smap.pk}))
    loaded = list(selectors.visible_goals(user=gm, strategy_map=smap))
    today = datetime.date(2026, 7, 1)
    timings, load_timings = [], []
    for _ in range(7):
        started = time.perf_counter()
        nodes = selectors.compute_nodes(loaded, today=today)
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        selectors.tree_progress(user=gm, strategy_map=smap, today=today)
        load_timings.append((time.perf_counter() - started) * 1000)
    assert len(nodes) == total
    out["goal_rollup_ms"] = round(statistics.median(timings), 2)
    out["goal_tree_load_ms"] = round(statistics.median(load_timings), 2)
    print(
        f"goals: roll-up of {total} in {out['goal_rollup_ms']} ms "
        f"(with loading {out['goal_tree_load_ms']} ms), tree page "
        f"{out['goal_tree_queries']} queries"
    )


def reset_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())


def standalone_demo(label: str, employees: int):
    """For a bench module run on its own (``python bench/<label>.py N``): a scratch database
    (``bench/scratch/<label>.sqlite3``, or ``<db>_<label>`` on DATABASE_URL's server) with the
    demo company of ``employees`` people; returns the company."""
    sys.path.insert(0, str(ROOT))
    base = os.environ.get("DATABASE_URL")
    if base:
        parts = urlsplit(base)
        name = parts.path.lstrip("/") or "renshi"
        url = urlunsplit(parts._replace(path=f"/{name}_{label}"))
    else:
        SCRATCH.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{SCRATCH / f'{label}.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    reset_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    started = time.perf_counter()
    call_command("demo", employees=employees, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"demo company of {employees} built in {time.perf_counter() - started:.1f} s")
    from renshi.org.models import Company

    return Company.objects.get(code="demo")
