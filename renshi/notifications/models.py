"""Notifications: the in-app inbox (one row per recipient and event).

Other apps never write these rows themselves: they call ``services.notification_send``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from renshi.core.access import RestrictedQuerySet
from renshi.core.fields import EncryptedTextField
from renshi.core.models import AuditedModel, TimeStampedModel, VersionedModel


class Notification(models.Model):
    """One message in one user's inbox. Not audited row by row (it is itself a record of an
    event); reading it only sets ``read_at``."""

    company = models.ForeignKey(
        "org.Company", on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    event = models.CharField(_("event"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True, max_length=4000)
    url = models.CharField(_("link"), max_length=500, blank=True)  # a local path, never a host
    # the object the notification is about (a goal, an alert, a plan...), optional
    target_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(AuditedModel, TimeStampedModel):
    """A user's choice for one event on one channel (inbox, email). Only choices that differ
    from the event's default are stored; no row means "the event's default"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    event = models.CharField(_("event"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "channel"], name="notifications_pref_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event}/{self.channel}={'on' if self.enabled else 'off'}"


class Webhook(AuditedModel, VersionedModel):
    """A company's chat robot (DingTalk, WeCom, Feishu group robot) or a generic signed webhook.
    The URL holds the access token and is stored encrypted, like the signing secret; neither is
    ever copied into the audit log, the delivery log or a log line."""

    class Kind(models.TextChoices):
        DINGTALK = "dingtalk", _("DingTalk")
        WECOM = "wecom", _("WeCom")
        FEISHU = "feishu", _("Feishu")
        GENERIC = "generic", _("Generic webhook")

    audit_sensitive = ("url", "secret")

    company = models.ForeignKey(
        "org.Company", on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    url = EncryptedTextField(_("webhook URL"))
    secret = EncryptedTextField(_("signing secret"), blank=True)
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("chat robot")
        verbose_name_plural = _("chat robots")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        from .masking import mask_url

        return mask_url(self.url)


class Delivery(models.Model):
    """One attempt-tracked delivery of a notification by e-mail (per recipient) or of an event
    to a chat robot (per webhook). Sent at most once: a row leaves ``pending``/``failed`` only
    through a guarded status update. Not audited (it is itself a log)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Chat robot")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed (will retry)")
        DEAD = "dead", _("given up")

    company = models.ForeignKey(
        "org.Company", on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    event = models.CharField(_("event"), max_length=64)
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    webhook = models.ForeignKey(
        Webhook,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("chat robot"),
    )
    # what to send: {"title", "body", "url", "created_at"} (no secrets)
    payload = models.JSONField(_("message"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)  # masked
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} {self.status}"
