"""notification_send: preferences, quiet defaults, deliveries on commit, constant queries."""

from __future__ import annotations

import pytest

from renshi.core.models import User
from renshi.notifications import services
from renshi.notifications.events import registered_events
from renshi.notifications.models import Delivery, Notification, NotificationPreference, Webhook
from renshi.notifications.selectors import channels_for

pytestmark = pytest.mark.django_db


def _send(world, recipients, event="feedback.comment", **kw):
    return services.notification_send(
        company_id=world.company.pk, recipients=recipients, event=event, title="T", **kw
    )


def test_inbox_by_default_no_email(world, mailoutbox, django_capture_on_commit_callbacks):
    u = world.users
    with django_capture_on_commit_callbacks(execute=True):
        rows = _send(world, [u["emp_east"], u["emp_east"].pk, None, u["gm"]], actor=u["gm"])
    assert [n.recipient_id for n in rows] == [u["emp_east"].pk]
    assert not Delivery.objects.exists()
    assert mailoutbox == []


def test_preferences_turn_channels_off_and_on(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    u = world.users
    NotificationPreference.objects.create(
        user=u["emp_east"], event="feedback.comment", channel="inbox", enabled=False
    )
    NotificationPreference.objects.create(
        user=u["emp_prod"], event="feedback.comment", channel="email", enabled=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        rows = _send(world, [u["emp_east"], u["emp_prod"], u["head_east"]])
    assert {n.recipient_id for n in rows} == {u["emp_prod"].pk, u["head_east"].pk}
    assert [m.to for m in mailoutbox] == [["emp_prod@example.com"]]


def test_unknown_event_and_external_url_are_refused(world):
    with pytest.raises(LookupError):
        _send(world, [world.users["gm"]], event="nope")
    with pytest.raises(ValueError):
        _send(world, [world.users["gm"]], url="https://evil.example.com/")
    assert not Notification.objects.exists()


def test_rollback_sends_nothing(world, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                _send(world, [world.users["emp_east"]], event="goals.approved")
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.exists() and mailoutbox == []


def _many_users(world, n):
    User.objects.bulk_create([User(username=f"bulk{i}") for i in range(n)])
    return list(User.objects.filter(username__startswith="bulk"))


def test_constant_queries_for_many_recipients(world, django_assert_num_queries):
    Webhook.objects.create(
        company=world.company,
        kind="wecom",
        name="w",
        url="https://x/?key=1",
        events=["goals.approved"],
    )
    few, many = _many_users(world, 300)[:3], list(User.objects.filter(username__startswith="bulk"))
    NotificationPreference.objects.create(
        user=many[5], event="goals.approved", channel="inbox", enabled=False
    )
    # savepoint + preferences + notifications + robots + deliveries + release
    with django_assert_num_queries(6):
        _send(world, few, event="goals.approved")
    with django_assert_num_queries(6):
        rows = _send(world, many, event="goals.approved")
    assert len(rows) == 299
    assert Delivery.objects.filter(channel="email").count() == 303
    assert Delivery.objects.filter(channel="webhook").count() == 2


def test_channels_for_defaults(world):
    u = world.users
    assert channels_for("goals.approved", [u["gm"].pk]) == {u["gm"].pk: {"inbox", "email"}}
    assert channels_for("feedback.comment", [u["gm"].pk]) == {u["gm"].pk: {"inbox"}}


def test_preferences_update_stores_only_differences(world):
    user = world.users["emp_east"]
    services.preferences_update(
        actor=user, enabled={("feedback.comment", "email"), ("goals.approved", "inbox")}
    )
    stored = set(
        NotificationPreference.objects.filter(user=user).values_list("event", "channel", "enabled")
    )
    # comment e-mail on (default off), mention inbox off, approved e-mail off, etc.
    assert ("feedback.comment", "email", True) in stored
    assert ("goals.approved", "email", False) in stored
    assert ("feedback.mention", "inbox", False) in stored
    assert not any(e == "goals.approved" and c == "inbox" for e, c, _ in stored)
    defaults = {(e.key, c) for e in registered_events() for c in e.default_channels}
    services.preferences_update(actor=user, enabled=defaults)
    assert not NotificationPreference.objects.filter(user=user).exists()


def test_send_each_gives_every_recipient_their_own_text(world, django_assert_num_queries):
    from renshi.notifications.services import Message, notification_send_each

    u = world.users
    Webhook.objects.create(
        company=world.company, kind="wecom", name="w", url="https://x/?key=1",
        events=["goals.approved"],
    )  # fmt: skip
    messages = [
        Message(recipient=u["emp_east"], title="Alert: 新客户数", url="/alerts/1/"),
        Message(recipient=u["head_east"], title="2 new alerts", url="/alerts/?rule=1"),
        Message(recipient=u["emp_east"], title="duplicate, dropped"),
        Message(recipient=u["gm"], title="the actor is not notified"),
    ]
    with django_assert_num_queries(6):
        rows = notification_send_each(
            company_id=world.company.pk,
            event="goals.approved",
            messages=messages,
            actor=u["gm"],
            broadcast=Message(recipient=None, title="2 new alerts"),
        )
    got = {n.recipient_id: (n.title, n.url) for n in rows}
    assert got == {
        u["emp_east"].pk: ("Alert: 新客户数", "/alerts/1/"),
        u["head_east"].pk: ("2 new alerts", "/alerts/?rule=1"),
    }
    hook = Delivery.objects.get(channel="webhook")
    assert hook.payload["title"] == "2 new alerts"
    emails = {d.recipient_id: d.payload["title"] for d in Delivery.objects.filter(channel="email")}
    assert emails == {u["emp_east"].pk: "Alert: 新客户数", u["head_east"].pk: "2 new alerts"}
