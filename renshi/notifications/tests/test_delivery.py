"""Chat robots: signatures byte for byte, message formats, retries with back-off, never sent
twice, no secret in the delivery log or a log line."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import logging
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
from django.utils import timezone

from renshi.notifications import delivery as deliver
from renshi.notifications.masking import mask_url
from renshi.notifications.models import Delivery, Webhook
from renshi.notifications.services import notification_send
from renshi.notifications.signing import generic_verify

pytestmark = pytest.mark.django_db

SECRET = "SECb1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6"
TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90aa"


def _hook(world, kind, url, secret="", events=("feedback.comment",)):
    return Webhook.objects.create(
        company=world.company, kind=kind, name=kind, url=url, secret=secret, events=list(events)
    )


def _send(world, django_capture_on_commit_callbacks, event="feedback.comment"):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            company_id=world.company.pk,
            recipients=[world.users["emp_east"]],
            event=event,
            title="目标评论",
            body="请看一下",
            url="/goals/1/",
        )


def test_dingtalk_signed_markdown(world, receiver, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://hr.example.com"
    hook = _hook(world, "dingtalk", f"{receiver.base}/robot/send?access_token={TOKEN}", SECRET)
    _send(world, django_capture_on_commit_callbacks)
    [req] = receiver.requests
    query = parse_qs(urlsplit(req.path).query)
    assert query["access_token"] == [TOKEN]
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    # the raw query carries the url-encoded signature
    assert f"sign={quote_plus(expected)}" in req.path
    assert abs(int(timestamp) - timezone.now().timestamp() * 1000) < 60_000
    body = req.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "目标评论"
    assert "https://hr.example.com/goals/1/" in body["markdown"]["text"]
    d = Delivery.objects.get(webhook=hook)
    assert (d.status, d.attempts, d.last_error) == ("sent", 1, "")


def test_feishu_signed_text(world, receiver, django_capture_on_commit_callbacks):
    receiver.answer = {"code": 0, "msg": "success"}
    _hook(world, "feishu", f"{receiver.base}/open-apis/bot/v2/hook/{TOKEN}", SECRET)
    _send(world, django_capture_on_commit_callbacks)
    [req] = receiver.requests
    body = req.json()
    assert body["msg_type"] == "text"
    assert body["content"]["text"].startswith("目标评论\n请看一下")
    ts = body["timestamp"]
    expected = base64.b64encode(
        hmac.new(f"{ts}\n{SECRET}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert body["sign"] == expected
    assert abs(int(ts) - timezone.now().timestamp()) < 60


def test_wecom_unsigned_markdown(world, receiver, django_capture_on_commit_callbacks):
    _hook(world, "wecom", f"{receiver.base}/cgi-bin/webhook/send?key={TOKEN}")
    _send(world, django_capture_on_commit_callbacks)
    [req] = receiver.requests
    assert urlsplit(req.path).query == f"key={TOKEN}"
    body = req.json()
    assert body["msgtype"] == "markdown"
    assert "**目标评论**" in body["markdown"]["content"]


def test_generic_hmac_headers(world, receiver, django_capture_on_commit_callbacks):
    _hook(world, "generic", f"{receiver.base}/hooks/renshi", "s3cr3t-generic")
    _send(world, django_capture_on_commit_callbacks)
    [req] = receiver.requests
    ts = req.headers["X-Renshi-Timestamp"]
    expected = (
        "sha256="
        + hmac.new(b"s3cr3t-generic", f"{ts}.".encode() + req.body, hashlib.sha256).hexdigest()
    )
    assert req.headers["X-Renshi-Signature"] == expected
    assert generic_verify("s3cr3t-generic", ts, req.body, expected)
    assert not generic_verify("other", ts, req.body, expected)
    data = json.loads(req.body)
    assert data["event"] == "feedback.comment"
    assert data["title"] == "目标评论"
    assert data["url"].endswith("/goals/1/")
    assert data["created_at"]


def test_unsubscribed_or_inactive_robots_get_nothing(
    world, receiver, django_capture_on_commit_callbacks
):
    _hook(world, "generic", f"{receiver.base}/a", "x", events=("goals.approved",))
    hook = _hook(world, "generic", f"{receiver.base}/b", "x")
    hook.active = False
    hook.save()
    Webhook.objects.create(
        company=world.other_company,
        kind="generic",
        name="other",
        url=f"{receiver.base}/c",
        secret="x",
        events=["feedback.comment"],
    )
    _send(world, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert not Delivery.objects.filter(channel="webhook").exists()


def test_failure_backs_off_then_dies_and_masks_secrets(
    world, receiver, django_capture_on_commit_callbacks, caplog
):
    receiver.status = 500
    hook = _hook(world, "dingtalk", f"{receiver.base}/robot/send?access_token={TOKEN}", SECRET)
    with caplog.at_level(logging.WARNING, logger="renshi.notifications.delivery"):
        _send(world, django_capture_on_commit_callbacks)
        d = Delivery.objects.get(webhook=hook)
        assert (d.status, d.attempts) == ("failed", 1)
        assert d.last_error == "HTTP 500"
        delay = d.next_attempt_at - timezone.now()
        assert datetime.timedelta(seconds=50) < delay <= datetime.timedelta(minutes=1)
        # not due yet: the periodic retry leaves it alone
        assert deliver.retry_due() == 0
        assert Delivery.objects.get(pk=d.pk).attempts == 1
        minutes = []
        for _ in range(4):
            Delivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())
            deliver.retry_due()
            d.refresh_from_db()
            if d.next_attempt_at:
                minutes.append(round((d.next_attempt_at - timezone.now()).total_seconds() / 60))
    assert minutes == [5, 25, 125]
    assert (d.status, d.attempts, d.next_attempt_at) == ("dead", 5, None)
    assert len(receiver.requests) == 5
    # dead is final
    assert deliver.attempt(d.pk) == "skipped"
    assert len(receiver.requests) == 5
    for text in [d.last_error, caplog.text]:
        assert TOKEN not in text and SECRET not in text
    assert "access_token=***" in caplog.text


def test_connection_error_is_masked(world, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_HTTP_TRUST_ENV = False
    hook = _hook(world, "wecom", f"http://127.0.0.1:1/cgi-bin/webhook/send?key={TOKEN}")
    _send(world, django_capture_on_commit_callbacks)
    d = Delivery.objects.get(webhook=hook)
    assert d.status == "failed" and d.last_error
    assert TOKEN not in d.last_error


def test_platform_error_code_is_a_failure(world, receiver, django_capture_on_commit_callbacks):
    receiver.answer = {"errcode": 310000, "errmsg": "sign not match"}
    hook = _hook(world, "dingtalk", f"{receiver.base}/robot/send?access_token={TOKEN}", SECRET)
    _send(world, django_capture_on_commit_callbacks)
    d = Delivery.objects.get(webhook=hook)
    assert d.status == "failed"
    assert "310000" in d.last_error


def test_sent_is_never_resent(world, receiver, django_capture_on_commit_callbacks):
    hook = _hook(world, "wecom", f"{receiver.base}/cgi-bin/webhook/send?key={TOKEN}")
    _send(world, django_capture_on_commit_callbacks)
    d = Delivery.objects.get(webhook=hook)
    assert d.status == "sent"
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=None)
    assert deliver.attempt(d.pk) == "skipped"
    assert deliver.retry_due() == 0
    assert len(receiver.requests) == 1


def test_claimed_delivery_is_skipped_by_a_second_worker(world, receiver):
    hook = _hook(world, "wecom", f"{receiver.base}/x?key={TOKEN}")
    d = Delivery.objects.create(
        company=world.company,
        channel="webhook",
        event="feedback.comment",
        webhook=hook,
        payload={"title": "t"},
    )
    # another worker claimed it a moment ago (status sending, lease in the future)
    Delivery.objects.filter(pk=d.pk).update(
        status="sending", attempts=1, next_attempt_at=timezone.now() + deliver.LEASE
    )
    assert deliver.attempt(d.pk) == "skipped"
    assert receiver.requests == []


def test_mask_url():
    assert mask_url(f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}") == (
        "https://oapi.dingtalk.com/robot/send?access_token=***"
    )
    assert mask_url(f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}") == (
        "https://open.feishu.cn/open-apis/bot/v2/hook/***"
    )
    assert TOKEN not in mask_url(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={TOKEN}")


def test_email_delivery(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            company_id=world.company.pk,
            recipients=[world.users["emp_east"]],
            event="goals.approved",  # e-mail by default
            title="已批准",
            url="/goals/1/",
        )
    [mail] = mailoutbox
    assert mail.to == ["emp_east@example.com"]
    assert mail.subject == "已批准"
    d = Delivery.objects.get(channel="email")
    assert d.status == "sent" and d.notification is not None
