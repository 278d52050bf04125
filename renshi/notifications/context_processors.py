"""The unread count in the navigation bar (one cheap query per page)."""

from __future__ import annotations


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .models import Notification

    return {"inbox_unread": Notification.objects.filter(recipient=user, read_at=None).count()}
