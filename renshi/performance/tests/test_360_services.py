"""360 review: choosing raters (scope), answering (anonymity, once, never oneself), aggregates
(hidden below three answers), the scoring engine fed by the answers, query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from renshi.core.models import AuditLog
from renshi.notifications.models import Notification
from renshi.org.scope import clear_scope
from renshi.performance import selectors_360 as selectors
from renshi.performance import services_360 as services
from renshi.performance.models import Answer360, Plan, Rater360, Scorecard
from renshi.performance.services_scoring import scorecard_score
from renshi.performance.testing import build_plan_world

pytestmark = pytest.mark.django_db

QUESTIONS = [{"key": "teamwork", "text": "团队合作"}, {"key": "communication", "text": "沟通"}]
RATERS = ("emp_east2", "head_sales", "emp_prod", "head_rnd")


def make_world(world, status=Plan.Status.SELF_EVALUATION, anonymous=True, weight=20):
    pw = build_plan_world(world, plan_status=status)
    Plan.objects.filter(pk=pw.plan.pk).update(
        weight_360=weight, questions_360=QUESTIONS, anonymous_360=anonymous
    )
    pw.plan.refresh_from_db()
    for card in pw.cards.values():
        card.refresh_from_db()
    return pw


def set_status(pw, status):
    Plan.objects.filter(pk=pw.plan.pk).update(status=status)
    pw.plan.refresh_from_db()


def ask(pw, keys=RATERS, actor="head_east", emp="emp_east"):
    return services.rater360_assign(
        actor=pw.users[actor],
        scorecard=pw.cards[emp],
        rater_ids=[pw.employees[k].pk for k in keys],
    )


def answer(pw, key, ratings=None, emp="emp_east", comment=""):
    row = Rater360.objects.get(scorecard=pw.cards[emp], rater=pw.employees[key])
    user = pw.users[key]
    clear_scope(user)
    return services.answer360_submit(
        actor=user,
        request=row,
        ratings=ratings or {"teamwork": 4, "communication": 5},
        comment=comment,
    )


def _state(pw):
    return (
        sorted(Rater360.objects.values_list("scorecard_id", "rater_id", "answered_at")),
        Answer360.objects.count(),
        Notification.objects.count(),
    )


# --- choosing raters ----------------------------------------------------------------------------


def test_head_asks_raters_with_computed_relations_and_notifies_them(world):
    pw = make_world(world)
    rows = ask(pw)
    relations = {r.rater_id: r.relation for r in rows}
    assert relations[pw.employees["emp_east2"].pk] == Rater360.Relation.PEER
    assert relations[pw.employees["emp_prod"].pk] == Rater360.Relation.CROSS
    notes = Notification.objects.filter(recipient=pw.users["emp_east2"])
    assert notes.count() == 1
    assert f"/360/requests/{rows[0].pk}/" in notes.get().url
    # asking again skips the people already asked
    assert ask(pw, ("emp_east2",)) == []


# the GM heads the root department (总经办), so the whole company is their headed subtree
@pytest.mark.parametrize("actor", ["head_east", "head_sales", "perf", "gm"])
def test_choosers_in_scope(world, actor):
    pw = make_world(world)
    assert len(ask(pw, actor=actor)) == len(RATERS)


@pytest.mark.parametrize(
    "actor, error",
    [
        ("hrvp", PermissionDenied),  # sees the card, does not choose raters
        ("vp1", PermissionDenied),
        ("emp_east", PermissionDenied),  # their own card
        ("emp_east2", Http404),  # a colleague's card is out of sight
        ("head_prod", Http404),
        ("other_gm", Http404),
    ],
)
def test_rater_choice_out_of_scope_changes_nothing(world, actor, error):
    pw = make_world(world)
    before = _state(pw)
    with pytest.raises(error):
        ask(pw, actor=actor)
    assert _state(pw) == before


@pytest.mark.parametrize(
    "keys",
    [("emp_east",), ("head_east",), ("other_emp",)],
    ids=["themselves", "the evaluator", "another company"],
)
def test_refused_raters(world, keys):
    pw = make_world(world)
    with pytest.raises(ValidationError):
        ask(pw, keys)
    assert not Rater360.objects.exists()


def test_no_360_and_closed_plans_refuse_raters(world):
    pw = make_world(world, weight=0)
    with pytest.raises(ValidationError):
        ask(pw)
    Plan.objects.filter(pk=pw.plan.pk).update(weight_360=20, status=Plan.Status.CLOSED)
    with pytest.raises(ValidationError):
        ask(pw)
    assert not Rater360.objects.exists()


def test_removal_only_before_answering_opens(world):
    pw = make_world(world, status=Plan.Status.TRACKING)
    row = ask(pw)[0]
    services.rater360_remove(actor=pw.users["head_east"], rater=row)
    assert not Rater360.objects.filter(pk=row.pk).exists()
    row = ask(pw, ("emp_east2",))[0]
    set_status(pw, Plan.Status.SELF_EVALUATION)
    with pytest.raises(ValidationError):
        services.rater360_remove(actor=pw.users["head_east"], rater=row)
    with pytest.raises(PermissionDenied):
        services.rater360_remove(actor=pw.users["hrvp"], rater=row)
    assert Rater360.objects.filter(pk=row.pk).exists()


def test_candidates_group_peers_subordinates_others(world):
    pw = make_world(world)
    card = pw.cards["emp_east"]
    groups = selectors.rater_candidates(card=card)
    peers = {c.pk for c in groups["peers"]}
    others = {c.pk for c in groups["others"]}
    assert pw.employees["emp_east2"].pk in peers
    assert pw.employees["emp_east"].pk not in peers | others  # never themselves
    assert pw.employees["head_east"].pk not in peers | others  # the evaluator
    assert pw.employees["other_emp"].pk not in others  # another company
    assert pw.employees["emp_prod"].pk in others
    # the head of a department: their reports are subordinates
    head_card = Scorecard.objects.create(
        company=pw.company,
        plan=pw.plan,
        employee=pw.employees["head_east"],
        department=pw.departments["sales_east"],
        evaluator=pw.employees["head_sales"],
    )
    subs = {c.pk for c in selectors.rater_candidates(card=head_card)["subordinates"]}
    assert pw.employees["emp_east"].pk in subs
    found = selectors.rater_candidates(card=card, query="褚")["others"]
    assert [c.pk for c in found] == [pw.employees["emp_prod"].pk]


# --- answering ----------------------------------------------------------------------------------


def test_anonymous_answer_stores_no_rater_and_no_audit(world):
    pw = make_world(world)
    ask(pw)
    audit_before = AuditLog.objects.count()
    notes_before = Notification.objects.count()
    row = answer(pw, "emp_east2", {"teamwork": 4, "communication": 3}, comment="好同事")
    stored = Answer360.objects.get()
    assert stored.rater_id is None and stored.relation == ""
    assert stored.score == Decimal("70.00")  # mean 3.5 / 5 × 100
    assert stored.ratings == {"teamwork": 4, "communication": 3}
    assert isinstance(stored.submitted_on, datetime.date)
    # the request is marked answered, with the day only
    marked = Rater360.objects.get(pk=row.pk).answered_at
    assert marked is not None
    local = marked.astimezone(datetime.UTC) if marked.tzinfo else marked
    assert marked == services._start_of_day(stored.submitted_on), local
    # no audit row at all (not of the answer, not of the marking) and nobody is notified
    assert AuditLog.objects.count() == audit_before
    assert not AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Answer360)
    ).exists()
    assert Notification.objects.count() == notes_before


def test_named_cycle_keeps_the_rater(world):
    pw = make_world(world, anonymous=False)
    ask(pw)
    answer(pw, "emp_east2")
    stored = Answer360.objects.get()
    assert stored.rater_id == pw.employees["emp_east2"].pk
    assert stored.relation == Rater360.Relation.PEER


def test_a_rater_answers_once(world):
    pw = make_world(world)
    ask(pw)
    answer(pw, "emp_east2")
    with pytest.raises(ValidationError):
        answer(pw, "emp_east2")
    assert Answer360.objects.count() == 1


def test_nobody_rates_themselves_even_with_a_forged_request(world):
    pw = make_world(world)
    card = pw.cards["emp_east"]
    row = Rater360.objects.create(
        company=pw.company, scorecard=card, rater=pw.employees["emp_east"], relation="peer"
    )
    with pytest.raises(PermissionDenied):
        services.answer360_submit(
            actor=pw.users["emp_east"], request=row, ratings={"teamwork": 5, "communication": 5}
        )
    with pytest.raises(Http404):
        selectors.my_request(user=pw.users["emp_east"], pk=row.pk)
    assert not Answer360.objects.exists()


def test_only_the_rater_answers_their_request(world):
    pw = make_world(world)
    ask(pw)
    row = Rater360.objects.get(rater=pw.employees["emp_east2"])
    for intruder in ("head_east", "perf", "emp_prod", "other_gm"):
        with pytest.raises(Http404):
            services.answer360_submit(
                actor=pw.users[intruder], request=row, ratings={"teamwork": 5, "communication": 5}
            )
    assert not Answer360.objects.exists()


@pytest.mark.parametrize(
    "status", [Plan.Status.TRACKING, Plan.Status.CALIBRATION, Plan.Status.CLOSED]
)
def test_answers_only_during_evaluation(world, status):
    pw = make_world(world, status=Plan.Status.TRACKING)
    ask(pw)
    set_status(pw, status)
    with pytest.raises(ValidationError):
        answer(pw, "emp_east2")
    assert not Answer360.objects.exists()
    assert not Rater360.objects.filter(answered_at__isnull=False).exists()


@pytest.mark.parametrize(
    "ratings",
    [
        {"teamwork": 0, "communication": 3},
        {"teamwork": 6, "communication": 3},
        {"teamwork": 3},
        {"teamwork": 3, "communication": 3, "other": 3},
        {"teamwork": "x", "communication": 3},
        {"teamwork": True, "communication": 3},
    ],
)
def test_bad_ratings_are_refused(world, ratings):
    pw = make_world(world)
    ask(pw)
    with pytest.raises(ValidationError):
        answer(pw, "emp_east2", ratings)
    assert not Answer360.objects.exists()


def test_my_requests(world):
    pw = make_world(world)
    ask(pw)
    ask(pw, ("emp_east",), emp="emp_east2")
    mine = selectors.my_requests(user=pw.users["emp_east2"])
    assert [(r.employee_name, r.open, r.answered) for r in mine] == [("郑员工", True, False)]
    answer(pw, "emp_east2")
    assert selectors.my_requests(user=pw.users["emp_east2"])[0].answered


# --- aggregates ---------------------------------------------------------------------------------


def test_aggregate_hidden_below_three_and_shown_at_three(world):
    pw = make_world(world)
    ask(pw)
    card = pw.cards["emp_east"]
    answer(pw, "emp_east2", {"teamwork": 5, "communication": 5}, comment="b")
    answer(pw, "head_sales", {"teamwork": 3, "communication": 4}, comment="a")
    hidden = selectors.aggregate(card=card)
    assert not hidden.shown and hidden.count == 2
    assert hidden.questions == [] and hidden.overall is None and hidden.comments == []
    # the engine leaves the 360 out too
    assert scorecard_score(scorecard=card).trace["raters360"] == 2
    answer(pw, "emp_prod", {"teamwork": 4, "communication": 3})
    shown = selectors.aggregate(card=card)
    assert shown.shown and shown.count == 3
    assert [(q.key, q.mean) for q in shown.questions] == [
        ("teamwork", Decimal("4.00")),
        ("communication", Decimal("4.00")),
    ]
    assert shown.overall == Decimal("80.00")  # (100 + 70 + 70) / 3
    assert shown.comments == ["a", "b"]  # sorted, never in answering order
    scored = scorecard_score(scorecard=card)
    assert scored.trace["raters360"] == 3 and scored.trace["score360"] == "80"


@pytest.mark.parametrize(
    "status, allowed",
    [
        (Plan.Status.SELF_EVALUATION, {"gm", "head_east", "head_sales", "perf", "hrvp"}),
        (
            Plan.Status.PUBLISHED,
            {"gm", "head_east", "head_sales", "perf", "hrvp", "emp_east"},
        ),
        (Plan.Status.TRACKING, set()),
    ],
)
def test_who_sees_the_aggregate(world, status, allowed):
    pw = make_world(world, status=status)
    card_pk = pw.cards["emp_east"].pk
    for key in ("gm", "hrvp", "perf", "vp1", "head_sales", "head_east", "emp_east", "emp_east2"):
        user = pw.users[key]
        clear_scope(user)
        if key in allowed:
            assert selectors.card_for_aggregate(user=user, pk=card_pk).pk == card_pk
        else:
            with pytest.raises((PermissionDenied, Http404)):
                selectors.card_for_aggregate(user=user, pk=card_pk)
    for key in ("emp_prod", "head_prod", "other_gm", "emp_east2"):
        with pytest.raises(Http404):
            selectors.card_for_aggregate(user=pw.users[key], pk=card_pk)


# --- query counts -------------------------------------------------------------------------------


def _queries(fn) -> int:
    fn()  # warm the per-request caches (scope, content types)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow(world):
    pw = make_world(world)
    ask(pw)
    ask(pw, ("emp_east", "head_sales", "emp_prod"), emp="emp_east2")
    user = pw.users["emp_east2"]
    card = pw.cards["emp_east"]
    head = pw.users["head_east"]
    counts = {
        "requests": _queries(lambda: selectors.my_requests(user=user)),
        "aggregate": _queries(lambda: selectors.aggregate(card=card)),
        "cards": _queries(lambda: selectors.cards_for_chooser(user=head, plan=pw.plan)),
        "raters": _queries(lambda: selectors.card_raters(user=head, card=card)),
        "candidates": _queries(lambda: selectors.rater_candidates(card=card)),
    }
    for key in ("head_rnd", "perf", "hrvp"):
        services.rater360_assign(
            actor=pw.users["perf"],
            scorecard=pw.cards["emp_east2"],
            rater_ids=[pw.employees[key].pk],
        )
        services.rater360_assign(
            actor=pw.users["perf"], scorecard=card, rater_ids=[pw.employees[key].pk]
        )
    for key in ("emp_east2", "head_sales", "emp_prod", "head_rnd"):
        answer(pw, key)
    again = {
        "requests": _queries(lambda: selectors.my_requests(user=user)),
        "aggregate": _queries(lambda: selectors.aggregate(card=card)),
        "cards": _queries(lambda: selectors.cards_for_chooser(user=head, plan=pw.plan)),
        "raters": _queries(lambda: selectors.card_raters(user=head, card=card)),
        "candidates": _queries(lambda: selectors.rater_candidates(card=card)),
    }
    assert again == counts
    assert counts["aggregate"] == 1 and counts["requests"] <= 1
