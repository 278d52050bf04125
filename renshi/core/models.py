"""Core models: the login user, base classes for domain models, and the append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. Business roles live on the linked employee (org.Employee.user), not here.

    ``is_superuser`` is an operator account for the admin site only; it grants no business scope.
    """

    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set when HR issues a temporary password; cleared by the user's own change."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class TimeStampedModel(models.Model):
    """Created/updated timestamps."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """Optimistic concurrency: services compare the version a client read with the stored one
    (``core.concurrency.check_version``) and bump it on every write; a stale write is refused."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class AuditedModel(models.Model):
    """Marker base: every create/update/delete of a subclass is written to the AuditLog.

    ``audit_exclude`` names fields left out of the diff; ``audit_sensitive`` names fields whose
    values are never copied into the log (only the fact that they changed).
    """

    audit_exclude: tuple[str, ...] = ("updated_at", "created_at", "version")
    audit_sensitive: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        # Keep the loaded values by reference; the "before" snapshot is only computed when the
        # instance is saved or deleted (audit.before_snapshot), so reading lists costs nothing.
        instance._audit_loaded = (field_names, values)
        return instance


class AuditLog(models.Model):
    """Append-only record of a change: who, when, from where, what, before → after.

    Rows can be created but never updated or deleted through the ORM instance API, the admin
    or the REST API.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        EVENT = "event", _("event")

    timestamp = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("actor name"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    company_id = models.BigIntegerField(_("company id"), null=True, blank=True, db_index=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-timestamp"])]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("Audit log rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit log rows are append-only")


class IdempotencyRecord(models.Model):
    """The answer to a write sent with an ``Idempotency-Key`` header, kept so that a resend of
    the same request (same principal, same key, same body) gets the same answer without doing
    the work twice, and a different body under a used key is refused (422).
    ``renshi.core.idempotency`` reads and writes these; old rows are purged after a day."""

    principal = models.CharField(_("principal"), max_length=100)  # "key:<prefix>" / "user:<id>"
    key = models.CharField(_("idempotency key"), max_length=200)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"))
    response = models.JSONField(_("response"), default=dict)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="core_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
