"""Integration API keys: a company-wide, read-mostly credential for other systems.

The secret is shown once at creation and never stored: only its SHA-256 digest is kept (the
secret has 256 bits of entropy, so a fast hash is enough). ``prefix`` identifies the key in the
``Authorization: Api-Key <prefix>.<secret>`` header and in lists.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renshi.core.access import RestrictedQuerySet
from renshi.core.models import AuditedModel, TimeStampedModel

# Scopes a key may be given. "metrics.write" is limited further by ``metric_keys``.
API_KEY_SCOPES: dict[str, str] = {
    "org.read": _("Read departments, positions and employees"),
    "goals.read": _("Read strategy maps, goals and the alignment tree"),
    "metrics.write": _("Send data points of the metrics listed in the key"),
}
RESERVED_API_KEY_SCOPES: frozenset[str] = frozenset()


class ApiKey(AuditedModel, TimeStampedModel):
    """A named integration credential of one company, limited to the scopes it lists."""

    audit_exclude = ("updated_at", "created_at", "last_used_at")
    audit_sensitive = ("secret_hash",)

    company = models.ForeignKey(
        "org.Company", on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    # with "metrics.write": the metric keys it may write, as patterns ("crm.*", "attendance.rate")
    metric_keys = models.JSONField(_("metrics it may write"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired
