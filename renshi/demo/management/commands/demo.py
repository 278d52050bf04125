"""``manage.py demo [--employees N] [--reset]`` — build the deterministic demo company."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from renshi.core.context import actor_context
from renshi.demo import data
from renshi.demo.metrics import demo_metrics_build, demo_metrics_exist
from renshi.demo.performance import demo_performance_build, demo_performance_exist
from renshi.demo.services import demo_build, demo_company, demo_delete, demo_logins
from renshi.demo.strategy import demo_strategy, demo_strategy_build


class Command(BaseCommand):
    help = _(
        "Build the demo company (an electronics maker of about 120 people). "
        "Does nothing if it exists, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--employees",
            type=int,
            default=data.DEFAULT_EMPLOYEES,
            help=_("Number of employees (default 120; e.g. 10000 for the benchmark)."),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("Delete the demo company first and build it again."),
        )

    def handle(self, *args, employees: int, reset: bool, **options):
        with actor_context(channel="command"):  # audit rows say where the change came from
            self.build(employees=employees, reset=reset)

    def build(self, *, employees: int, reset: bool) -> None:
        if reset and demo_delete():
            self.stdout.write(_("Removed the existing demo company."))
        company = demo_company()
        if company is not None and demo_strategy(company) is None:
            # a demo company built before the goals module: add its strategy map
            demo_strategy_build(company)
            self.stdout.write(
                _("Added the strategy map to the demo company %(name)s.") % {"name": company.name}
            )
        elif company is not None and not demo_metrics_exist(company):
            # a demo company built before the metrics module: add metrics, points and alerts
            demo_metrics_build(company)
            self.stdout.write(
                _("Added metrics and alerts to the demo company %(name)s.") % {"name": company.name}
            )
            self.add_performance(company)
        elif company is not None and not demo_performance_exist(company):
            self.add_performance(company)
        elif company is not None:
            self.stdout.write(
                _("The demo company %(name)s already exists; nothing changed.")
                % {"name": company.name}
            )
        else:
            started = time.perf_counter()
            try:
                company = demo_build(employees=employees)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(
                self.style.SUCCESS(
                    _("Built the demo company %(name)s: %(count)d employees in %(seconds).1f s.")
                    % {
                        "name": company.name,
                        "count": employees,
                        "seconds": time.perf_counter() - started,
                    }
                )
            )
        self.print_logins(company)

    def add_performance(self, company) -> None:
        """A demo company built before the performance module: add its cycles."""
        if demo_performance_exist(company):
            return
        demo_performance_build(company)
        self.stdout.write(
            _("Added performance cycles to the demo company %(name)s.") % {"name": company.name}
        )

    def print_logins(self, company) -> None:
        logins = demo_logins(company)
        employees = logins["employees"]
        lines = [
            _("Demo logins (password for all: %(password)s)") % {"password": logins["password"]},
            "  " + _("general manager: %(u)s") % {"u": "gm"},
            "  " + _("vice presidents: %(u)s") % {"u": ", ".join(logins["leaders"][1:6])},
            "  " + _("HR vice president: %(u)s") % {"u": "hrvp"},
            "  " + _("performance manager: %(u)s") % {"u": "perf"},
            "  "
            + _("department heads: %(first)s … %(last)s")
            % {"first": logins["heads"][0], "last": logins["heads"][-1]},
        ]
        if employees:
            lines.append(
                "  "
                + _("employees: %(first)s … %(last)s")
                % {"first": employees[0], "last": employees[1]}
            )
        self.stdout.write("\n".join(str(line) for line in lines))
