"""Permission-matrix rows of the alert pages.

The sample alert (renshi.alerts.testing) is about emp_east and addressed to emp_east and
head_east: visible to them, to head_sales and vp1 (their scope holds sales_east) and to the
company-wide roles (gm, hrvp, perf); vp2 and emp_prod get 404, and so does other_gm (another
company). Resolving it: the company-wide roles and the managers in scope — not emp_east, whom
it is about (403). Rules and the calendar: HR VP and performance manager only.
"""

from renshi.alerts.models import Alert, AlertRule, CalendarDay
from renshi.alerts.testing import sample_alert, sample_day, sample_rule
from tests.matrix_support import Row, expect

SEES_ALERT = expect(200, anon=302, vp2=404, emp_prod=404, other_gm=404)
RESOLVES = expect(302, vp2=404, emp_prod=404, other_gm=404, emp_east=403)
MANAGERS_GET = expect(403, anon=302, hrvp=200, perf=200)
MANAGERS_POST = expect(403, anon=302, hrvp=302, perf=302)


def _alert_pk(w) -> dict:
    return {"pk": sample_alert(w).pk}


def _alert_state(w):
    return tuple(Alert.objects.filter(pk=sample_alert(w).pk).values_list("status", "close_reason"))


def _rule_pk(w) -> dict:
    return {"pk": sample_rule(w).pk}


def _rule_state(w):
    rule = sample_rule(w)
    return tuple(AlertRule.objects.filter(pk=rule.pk).values_list("threshold", "active", "version"))


def _rules_state(w):
    return AlertRule.objects.filter(company=w.company).count()


def _rule_post(w) -> dict:
    rule = sample_rule(w)
    return {
        "name": rule.name,
        "threshold": "0.650",
        "escalate_after_days": "4",
        "active": "on",
        "params": "{}",
        "version": str(rule.version),
    }


def _day_pk(w) -> dict:
    return {"pk": sample_day(w).pk}


def _days_state(w):
    sample_day(w)
    return tuple(
        CalendarDay.objects.filter(company=w.company).order_by("date").values_list("date", "note")
    )


ROWS = [
    Row("alerts:alert_list", expect(200, anon=302)),
    Row("alerts:alert_list", expect(200, anon=302), query="?status=closed&mine=1&rule=1"),
    Row("alerts:alert_detail", SEES_ALERT, kwargs=_alert_pk),
    Row(
        "alerts:alert_resolve",
        RESOLVES,
        kwargs=_alert_pk,
        method="POST",
        data=lambda w: {},
        state=_alert_state,
        note="anon: login redirect (302, state unchanged is not checked for successes)",
    ),
    Row(
        "alerts:evaluate",
        expect(403, anon=302, gm=302, hrvp=302, perf=302, other_gm=302),
        method="POST",
        data=lambda w: {},
        state=_rules_state,
        note="other_gm queues an evaluation of their own company",
    ),
    Row("alerts:rule_list", MANAGERS_GET),
    Row("alerts:rule_edit", MANAGERS_GET, kwargs=_rule_pk),
    Row(
        "alerts:rule_edit",
        MANAGERS_POST,
        kwargs=_rule_pk,
        method="POST",
        data=_rule_post,
        state=_rule_state,
    ),
    Row("alerts:calendar", MANAGERS_GET),
    Row(
        "alerts:calendar",
        MANAGERS_POST,
        method="POST",
        data=lambda w: {"dates": "2026-10-02 2026-10-05..2026-10-06", "kind": "holiday"},
        state=_days_state,
    ),
    Row(
        "alerts:calendar_delete",
        MANAGERS_POST,
        kwargs=_day_pk,
        method="POST",
        data=lambda w: {},
        state=_days_state,
    ),
]

# --- the REST API (same rules; anonymous callers get 401) ------------------------------------
ROWS += [
    Row("api:alerts-list", expect(200, anon=401)),
    Row("api:alerts-detail", expect(200, anon=401, vp2=404, emp_prod=404, other_gm=404),
        kwargs=_alert_pk),
    Row(
        "api:alerts-resolve",
        expect(200, anon=401, vp2=404, emp_prod=404, other_gm=404, emp_east=403),
        kwargs=_alert_pk,
        method="POST",
        data=lambda w: {},
        json=True,
        state=_alert_state,
    ),
]  # fmt: skip
