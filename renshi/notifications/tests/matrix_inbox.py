"""Permission-matrix rows of the notifications pages and API.

Every person reads and marks their own inbox; a notification of emp_east answers 404 to anyone
else. Chat robots: the HR VP manages them, the GM sees them (changes → 403), nobody else
(the list → 403, a robot → 404; other_gm → 404 for acme's robot).
"""

from django.urls import NoReverseMatch, reverse

from tests.matrix_support import Row, expect

URL = "https://oapi.dingtalk.com/robot/send?access_token=matrix0123456789abcdef"


def _notification(w):
    from renshi.notifications.models import Notification

    found = Notification.objects.filter(recipient=w.users["emp_east"], title="matrix").first()
    if found is None:
        found = Notification.objects.create(
            company=w.company,
            recipient=w.users["emp_east"],
            event="feedback.comment",
            title="matrix",
            url="/",
        )
    return found


def _webhook(w):
    from renshi.notifications.models import Webhook

    found = Webhook.objects.filter(company=w.company, name="matrix").first()
    if found is None:
        found = Webhook.objects.create(
            company=w.company, kind="dingtalk", name="matrix", url=URL, events=[]
        )
    return found


def _read_state(w):
    from renshi.notifications.models import Notification

    return Notification.objects.get(pk=_notification(w).pk).read_at


def _hook_state(w):
    from renshi.notifications.models import Delivery, Webhook

    hook = _webhook(w)
    row = Webhook.objects.filter(pk=hook.pk).values_list("name", "version").first()
    return row, Delivery.objects.filter(webhook_id=hook.pk).count()


def _hook_data(w):
    return {"kind": "dingtalk", "name": "changed", "version": _webhook(w).version}


OWN = expect(404, anon=302, emp_east=302)
HOOK_VIEW = expect(404, anon=302, hrvp=200, gm=200)
HOOK_WRITE = expect(404, anon=302, hrvp=302, gm=403)

ROWS = [
    Row("notifications:inbox", expect(200, anon=302)),
    Row("notifications:open", OWN, kwargs=lambda w: {"pk": _notification(w).pk}),
    Row(
        "notifications:read",
        OWN,
        kwargs=lambda w: {"pk": _notification(w).pk},
        method="POST",
        data=lambda w: {},
        state=_read_state,
    ),
    Row(
        "notifications:read_all",
        expect(302),
        method="POST",
        data=lambda w: {},
        state=_read_state,
        note="everyone marks their own; only emp_east's changes emp_east's row",
    ),
    Row("notifications:preferences", expect(200, anon=302)),
    Row("notifications:webhook_list", expect(403, anon=302, hrvp=200, gm=200, other_gm=200)),
    Row("notifications:webhook_create", expect(403, anon=302, hrvp=200)),
    Row("notifications:webhook_edit", HOOK_VIEW, kwargs=lambda w: {"pk": _webhook(w).pk}),
    Row(
        "notifications:webhook_edit",
        expect(404, anon=302, hrvp=302, gm=403),
        kwargs=lambda w: {"pk": _webhook(w).pk},
        method="POST",
        data=_hook_data,
        state=_hook_state,
    ),
    Row(
        "notifications:webhook_delete",
        HOOK_WRITE,
        kwargs=lambda w: {"pk": _webhook(w).pk},
        method="POST",
        data=lambda w: {},
        state=_hook_state,
    ),
    Row(
        "notifications:webhook_test",
        HOOK_WRITE,
        kwargs=lambda w: {"pk": _webhook(w).pk},
        method="POST",
        data=lambda w: {},
        state=_hook_state,
    ),
]


def _api_included() -> bool:
    try:
        reverse("api:notifications-list")
    except NoReverseMatch:
        return False
    return True


# The API rows join the matrix once renshi/api/urls.py includes renshi.notifications.api.urls.
if _api_included():
    API_OWN = expect(404, anon=401, emp_east=200)
    ROWS += [
        Row("api:notifications-list", expect(200, anon=401)),
        Row(
            "api:notifications-read",
            API_OWN,
            kwargs=lambda w: {"pk": _notification(w).pk},
            method="POST",
            data=lambda w: {},
            json=True,
            state=_read_state,
        ),
        Row(
            "api:notifications-read-all",
            expect(200, anon=401),
            method="POST",
            data=lambda w: {},
            json=True,
            state=_read_state,
        ),
    ]
