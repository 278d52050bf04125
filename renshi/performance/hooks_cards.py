"""Registrations of the cards part (notification events, alert evaluators, menu entries),
imported when the app is ready.

* events: ``performance.scorecard_sent`` (the employee: confirm your targets; e-mail too),
  ``…_confirmed`` / ``…_objected`` / ``…_self_evaluated`` (the employee's managers),
  ``…_evaluated`` (the employee), ``performance.department_submitted`` (performance manager);
* permission ``performance.assign``: people with a department scope (heads, VPs) — the
  "My team" entry and the assignment grid;
* menu: "My scorecards", "My team";
* the alert evaluator ``performance.item_below_pace`` (``alerts_cards``) and the metric-fed
  actuals' receiver (``actuals``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from renshi.core import access
from renshi.core.context_processors import nav_add
from renshi.notifications.events import EMAIL, INBOX, register_event
from renshi.org.scope import get_scope

EVENT_SENT = "performance.scorecard_sent"
EVENT_CONFIRMED = "performance.scorecard_confirmed"
EVENT_OBJECTED = "performance.scorecard_objected"
EVENT_SELF_EVALUATED = "performance.scorecard_self_evaluated"
EVENT_EVALUATED = "performance.scorecard_evaluated"
EVENT_DEPARTMENT_SUBMITTED = "performance.department_submitted"

register_event(
    EVENT_SENT, _("My scorecard is ready for me to confirm"), default_channels=(INBOX, EMAIL)
)
register_event(EVENT_CONFIRMED, _("An employee confirmed the targets of their scorecard"))
register_event(
    EVENT_OBJECTED,
    _("An employee raised an objection to their scorecard"),
    default_channels=(INBOX, EMAIL),
)
register_event(EVENT_SELF_EVALUATED, _("An employee submitted their self-evaluation"))
register_event(EVENT_EVALUATED, _("My manager evaluated my scorecard"))
register_event(EVENT_DEPARTMENT_SUBMITTED, _("A department submitted its assignments"))


@access.register_permission("performance.assign")
def _assign(user) -> bool:
    """Heads and VPs (a department scope): the team page and the assignment grid."""
    scope = get_scope(user)
    return scope.employee_id is not None and not scope.is_api_key and bool(scope.department_ids)


nav_add(_("My scorecards"), "performance:my_scorecards", "performance.view", "performance")
nav_add(_("My team"), "performance:team", "performance.assign", "performance")

from . import actuals  # noqa: E402, F401  (the points_ingested receiver)

# --- the pace alert -------------------------------------------------------------------------------

ITEM_BELOW_PACE = "performance.item_below_pace"
PACE_PLANS = ("tracking", "self_eval")
T_TITLE = _("%(employee)s: %(indicator)s at %(completion)s of pace (%(plan)s)")
T_BELOW = _("completion %(completion)s < threshold %(threshold)s: alert")
_URL_MARK = 987654321


def _card_url(card_id: int, item_id: int) -> str:
    from django.urls import reverse

    url = reverse("performance:scorecard_detail", kwargs={"pk": _URL_MARK})
    return url.replace(str(_URL_MARK), str(card_id)) + f"#item-{item_id}"


ITEM_ROW = (
    "id",
    "actual",
    "target",
    "indicator__name",
    "indicator__direction",
    "indicator__rule",
    "scorecard_id",
    "scorecard__employee_id",
    "scorecard__employee__name",
    "scorecard__department_id",
    "scorecard__plan__name",
    "scorecard__plan__period_start",
    "scorecard__plan__period_end",
)


def evaluate_items_below_pace(rule, today):
    """Items of plans in tracking/self-evaluation (higher-is-better, with a target and an
    actual, weight > 0, not rated) whose completion = actual ÷ (target × elapsed working-day
    share of the plan period) is below the threshold → the employee and their head;
    escalation: the head's manager, else the supervising VP. Queries: the items (one, plain
    rows), the calendar (one), the organisation (four) — whatever the number of employees."""
    from renshi.alerts import pace
    from renshi.alerts.people import org_index
    from renshi.alerts.registry import Finding
    from renshi.alerts.selectors import company_calendar
    from renshi.goals.alerts import period_key

    from .models import Direction, ScorecardItem

    rows = (
        ScorecardItem.objects.filter(
            company_id=rule.company_id,
            scorecard__plan__status__in=PACE_PLANS,
            scorecard__status__in=("confirmed", "self_evaluated"),
            target__isnull=False,
            actual__isnull=False,
            weight__gt=0,
            indicator__direction=Direction.HIGHER,
        )
        .order_by("id")
        .values_list(*ITEM_ROW)
    )
    rows = list(rows)
    if not rows:
        return
    calendar = company_calendar(rule.company_id)
    org = org_index(rule.company_id)
    threshold = rule.threshold
    for (
        pk, actual, target, name, _direction, ind_rule, card_id, employee_id, employee_name,
        department_id, plan_name, start, end,
    ) in rows:  # fmt: skip
        if (ind_rule or {}).get("kind") == "rating" or not target:
            continue
        share = pace.elapsed_share(start, end, today, calendar=calendar)
        expected = pace.expected_to_date(target, share.value)
        completion = pace.completion(actual, expected)
        if completion is None or completion >= threshold:
            continue
        head = org.head_of(employee_id)
        escalation = org.level_up(head) if head else org.supervising_vps(department_id)
        yield Finding(
            subject=(ScorecardItem, pk),
            period_key=period_key(start, end),
            title=pace.Step(
                T_TITLE,
                {
                    "employee": employee_name,
                    "indicator": name,
                    "completion": pace.Pct(completion),
                    "plan": plan_name,
                },
            ),
            url=_card_url(card_id, pk),
            actual=actual,
            expected=expected,
            completion=completion,
            threshold=threshold,
            trace=[
                *share.trace,
                pace.expected_steps(target, share.value, expected),
                pace.completion_step(actual, expected, completion),
                pace.Step(
                    T_BELOW,
                    {"completion": pace.Pct(completion), "threshold": pace.Pct(threshold)},
                ),
            ],
            recipients=org.users([employee_id, head]),
            escalation=org.users(sorted(escalation)),
            employee_id=employee_id,
            department_id=department_id,
            subject_repr=f"{employee_name}: {name}",
        )


def _register_alerts() -> None:
    from decimal import Decimal

    from renshi.alerts.registry import register_evaluator

    register_evaluator(
        ITEM_BELOW_PACE,
        _("Scorecard indicator below pace"),
        evaluate_items_below_pace,
        default_threshold=Decimal("0.70"),
        default_escalate_after_days=3,
        description=_(
            "An indicator of a scorecard in progress whose actual is below the threshold of "
            "its target × the elapsed share of the plan's working days; tells the employee "
            "and their head, escalates to the head's manager (or the supervising VP)."
        ),
    )


_register_alerts()
