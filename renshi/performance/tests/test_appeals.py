"""Appeals: the employee appeals within the window; the performance manager re-scores (old and
new score kept in the audit log and shown on the appeal) or rejects, never their own appeal;
the appellant is notified. Services, pages and API."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from renshi.core.concurrency import ConflictError
from renshi.core.models import AuditLog
from renshi.core.workflow import TransitionError
from renshi.notifications.models import Notification
from renshi.performance import services_results as sr
from renshi.performance.models import Appeal, Plan, Scorecard, ScorecardItem

from .matrix_results import results_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Service messages are matched in English (pages are checked in their zh-hans default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


P, S = Plan.Status, Scorecard.Status


@pytest.fixture
def pub(world):
    return results_world(
        world, plan_status=P.PUBLISHED, card_status=S.PUBLISHED, published_days_ago=1
    )


def _card(pw, emp="emp_east2"):
    return Scorecard.objects.get(pk=pw.cards[emp].pk)


def test_appeal_within_the_window(pub, world, client_for):
    card = _card(pub)
    with pytest.raises(PermissionDenied):  # the head cannot appeal for them
        sr.appeal_create(actor=world.users["head_east"], scorecard=card, reason="x", version=1)
    with pytest.raises(ValidationError):
        sr.appeal_create(actor=world.users["emp_east2"], scorecard=card, reason="", version=1)
    with pytest.raises(ConflictError):
        sr.appeal_create(actor=world.users["emp_east2"], scorecard=card, reason="x", version=4)
    response = client_for("emp_east2").post(
        reverse("performance:results_appeal", kwargs={"pk": card.pk}),
        {"reason": "新客户数漏记两家", "version": 1},
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get(scorecard=card)
    assert appeal.status == Appeal.Status.OPEN and appeal.raised_by == world.users["emp_east2"]
    assert _card(pub).status == S.APPEALED
    assert Notification.objects.filter(
        event="performance.appeal_raised", recipient=world.users["perf"]
    ).exists()
    # replayed: the card is appealed already
    again = client_for("emp_east2").post(
        reverse("performance:results_appeal", kwargs={"pk": card.pk}),
        {"reason": "再申诉", "version": _card(pub).version},
    )
    assert again.status_code == 409 and Appeal.objects.count() == 1


def test_appeal_after_the_window_is_refused(pub, world, client_for):
    Plan.objects.filter(pk=pub.plan.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=8)
    )
    card = _card(pub)
    with pytest.raises(TransitionError, match="window closed"):
        sr.appeal_create(actor=world.users["emp_east2"], scorecard=card, reason="x", version=1)
    api = client_for("emp_east2").post(
        reverse("api:performance-results-appeal", kwargs={"pk": card.pk}),
        {"reason": "x", "version": 1},
        content_type="application/json",
    )
    assert api.status_code == 409
    assert not Appeal.objects.exists() and _card(pub).status == S.PUBLISHED


def _appeal(pub, world, emp="emp_east2"):
    return sr.appeal_create(
        actor=world.users[emp], scorecard=_card(pub, emp), reason="新客户数漏记两家", version=1
    )


def test_rescore_keeps_old_and_new_score(pub, world, client_for):
    appeal = _appeal(pub, world)
    card = _card(pub)
    assert card.score == Decimal("72.60") and card.grade == "pass"
    item = pub.items[("emp_east2", "customers")]
    url = reverse("performance:results_appeal_handle", kwargs={"pk": appeal.pk})
    form = client_for("perf").get(url)
    assert form.status_code == 200 and 'data-testid="rescore-btn"' in form.content.decode()
    # customers 3 → 5: results 48 + 50 = 98; 98 × 70 % + 60 × 30 % = 68.6 + 18 = 86.6 (good)
    response = client_for("perf").post(
        url,
        {
            "action": "rescore",
            "version": appeal.version,
            "reason": "CRM 补录两家新客户",
            f"actual_{item.pk}": "5",
        },
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    card = _card(pub)
    assert appeal.status == Appeal.Status.RESCORED and appeal.response == "CRM 补录两家新客户"
    assert appeal.handled_by == world.users["perf"]
    assert card.status == S.PUBLISHED and card.score == Decimal("86.60") and card.grade == "good"
    assert ScorecardItem.objects.get(pk=item.pk).actual == Decimal(5)
    event = AuditLog.objects.get(object_id=str(appeal.pk), message="appeal re-scored")
    assert event.changes["old"]["score"] == "72.6" and event.changes["new"]["score"] == "86.6"
    assert event.changes["items"][0]["actual"] == ["3", "5"]
    assert AuditLog.objects.filter(
        object_id=str(card.pk), changes__score__before="72.60", changes__score__after="86.60"
    ).exists()
    assert Notification.objects.filter(
        event="performance.appeal_handled", recipient=world.users["emp_east2"]
    ).exists()
    page = client_for("perf").get(url).content.decode()
    assert 'data-testid="rescore"' in page and "72.6" in page and "86.6" in page
    report = client_for("emp_east2").get(
        reverse("performance:results_report", kwargs={"pk": card.pk})
    )
    assert "86.6" in report.content.decode()
    # replayed: handled already
    replay = client_for("perf").post(
        url, {"action": "reject", "version": appeal.version, "reason": "x"}
    )
    assert replay.status_code == 409


def test_reject_with_reason_page_and_api(pub, world, client_for):
    appeal = _appeal(pub, world)
    url = reverse("api:performance-results-appeal-handle", kwargs={"pk": appeal.pk})
    missing = client_for("perf").post(
        url, {"action": "reject", "version": 1}, content_type="application/json"
    )
    assert missing.status_code == 400
    stale = client_for("perf").post(
        url,
        {"action": "reject", "version": 9, "reason": "数据无误"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.OPEN
    ok = client_for("perf").post(
        url,
        {"action": "reject", "version": 1, "reason": "数据核对无误"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == Appeal.Status.REJECTED
    assert _card(pub).status == S.PUBLISHED and _card(pub).score == Decimal("72.60")


def test_rescore_api_with_items(pub, world, client_for):
    appeal = _appeal(pub, world)
    item = pub.items[("emp_east2", "teamwork")]
    url = reverse("api:performance-results-appeal-handle", kwargs={"pk": appeal.pk})
    nothing = client_for("perf").post(
        url,
        {"action": "rescore", "version": 1, "reason": "x", "items": []},
        content_type="application/json",
    )
    assert nothing.status_code == 400
    ok = client_for("perf").post(
        url,
        {"action": "rescore", "version": 1, "reason": "评分有误",
         "items": [{"item": item.pk, "rating": "5"}]},
        content_type="application/json",
    )  # fmt: skip
    assert ok.status_code == 200
    body = ok.json()
    assert body["status"] == "rescored"
    # teamwork 3 → 5: competency 80; 78 × 70 % + 80 × 30 % = 54.6 + 24 = 78.6
    assert body["rescore"]["old"]["score"] == "72.6" and body["rescore"]["new"]["score"] == "78.6"
    # an item of another card is refused
    other = _appeal(pub, world, "emp_east")
    foreign = client_for("perf").post(
        reverse("api:performance-results-appeal-handle", kwargs={"pk": other.pk}),
        {"action": "rescore", "version": 1, "reason": "x",
         "items": [{"item": item.pk, "rating": "1"}]},
        content_type="application/json",
    )  # fmt: skip
    assert foreign.status_code == 400
    assert Appeal.objects.get(pk=other.pk).status == Appeal.Status.OPEN


def test_nobody_handles_their_own_appeal(pub, world, client_for):
    """The performance manager's own card: they appeal, and may not handle it — neither on
    the page nor through the API; others without the role may not either."""
    card = Scorecard.objects.create(
        company=world.company,
        plan=pub.plan,
        employee=world.employees["perf"],
        department=world.departments["exec"],
    )
    Scorecard.objects.filter(pk=card.pk).update(status=S.PUBLISHED, grade="pass", score=75)
    appeal = sr.appeal_create(actor=world.users["perf"], scorecard=card, reason="x", version=1)
    with pytest.raises(PermissionDenied):
        sr.appeal_reject(actor=world.users["perf"], appeal=appeal, version=1, reason="y")
    page = client_for("perf").post(
        reverse("performance:results_appeal_handle", kwargs={"pk": appeal.pk}),
        {"action": "reject", "version": 1, "reason": "y"},
    )
    assert page.status_code == 403
    view = client_for("perf").get(
        reverse("performance:results_appeal_handle", kwargs={"pk": appeal.pk})
    )
    assert "rescore-btn" not in view.content.decode()
    api = client_for("perf").post(
        reverse("api:performance-results-appeal-handle", kwargs={"pk": appeal.pk}),
        {"action": "reject", "version": 1, "reason": "y"},
        content_type="application/json",
    )
    assert api.status_code == 403
    for key in ("hrvp", "gm"):
        with pytest.raises(PermissionDenied):
            sr.appeal_reject(actor=world.users[key], appeal=appeal, version=1, reason="y")
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN and appeal.version == 1


def test_appeals_list_for_the_performance_manager(pub, world, client_for):
    _appeal(pub, world)
    response = client_for("perf").get(reverse("performance:results_appeals"))
    assert response.status_code == 200 and "冯员工" in response.content.decode()
    assert client_for("hrvp").get(reverse("performance:results_appeals")).status_code == 403
