"""@mentions: parsing, resolution through the access layer, thread notifications."""

from __future__ import annotations

import pytest

from renshi.notifications.mentions import parse_mentions, resolve_mentions, thread_notify
from renshi.notifications.models import Notification
from renshi.notifications.templatetags.notification_tags import highlight_mentions


def test_parse_mentions():
    text = "请 @head_east 和 @emp_east2, 看看；邮件 a@b.com 不算 @head_east。@x.y."
    assert parse_mentions(text) == ["head_east", "emp_east2", "x.y"]


def test_highlight_escapes():
    html = highlight_mentions("<b>hi</b> @emp_east\n好")
    assert "&lt;b&gt;" in html and "<br>" in html
    assert '<span class="mention text-primary fw-semibold">@emp_east</span>' in html


@pytest.mark.django_db
def test_resolve_only_visible_people(world):
    u = world.users
    names = ["emp_east2", "head_east", "emp_prod", "other_emp", "nobody"]
    # head_east sees their department only: not production, not the other company
    assert {x.username for x in resolve_mentions(u["head_east"], names)} == {
        "emp_east2",
        "head_east",
    }
    # an employee sees only themselves
    assert [x.username for x in resolve_mentions(u["emp_east"], names)] == []
    assert {x.username for x in resolve_mentions(u["gm"], names)} == {
        "emp_east2",
        "head_east",
        "emp_prod",
    }


@pytest.mark.django_db
def test_thread_notify(world):
    u = world.users
    result = thread_notify(
        company_id=world.company.pk,
        author=u["head_east"],
        participants=[u["emp_east"], world.employees["head_east"], u["head_sales"].pk],
        text="@emp_east2 @emp_prod @head_sales 请跟进",
        subject="新客户数",
        url="/goals/1/",
    )
    comment = {n.recipient_id for n in result["comment"]}
    mention = {n.recipient_id for n in result["mention"]}
    # head_sales is above head_east's scope: not resolved as a mention, still a participant
    assert comment == {u["emp_east"].pk, u["head_sales"].pk}
    assert mention == {u["emp_east2"].pk}  # emp_prod: not visible to head_east
    assert not Notification.objects.filter(recipient=u["emp_prod"]).exists()
    assert not Notification.objects.filter(recipient=u["head_east"]).exists()
    n = Notification.objects.get(recipient=u["emp_east2"])
    assert n.event == "feedback.mention" and "新客户数" in n.title
