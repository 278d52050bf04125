"""Permission-matrix rows for every URL under /api/v1/ (namespace "api").

Matrix clients log in with a session (the API accepts sessions, tokens and API keys alike);
anonymous API calls answer 401, anonymous page calls redirect to the login page.
Token and API-key callers are covered by renshi/api/tests/test_tokens.py and test_api_keys.py.
"""

from __future__ import annotations

from tests.matrix_support import Row, expect

API_ANON = 401
HR_ONLY_WRITE = {"anon": 401, "hrvp": 200}
KEY_ADMINS = ("gm", "hrvp")


def _matrix_key(world):
    """One integration key of acme (created inside each role's rolled-back savepoint)."""
    from renshi.api.models import ApiKey
    from renshi.api.services import api_key_create

    key = ApiKey.objects.filter(name="matrix-key").first()
    if key is None:
        key, _secret = api_key_create(
            actor=world.users["hrvp"], name="matrix-key", scopes=["org.read"]
        )
    return key


def _key_state(world):
    key = _matrix_key(world)
    key.refresh_from_db()
    return (key.revoked_at, key.name, key.scopes)


def _key_count(world):
    from renshi.api.models import ApiKey

    return ApiKey.objects.count()


def _employee_state(world):
    from renshi.org.models import Employee

    return tuple(
        Employee.objects.filter(pk=world.emp_east.pk).values_list("name", "version", "department")
    )


def _employee_count(world):
    from renshi.org.models import Employee

    return Employee.objects.count()


def _token_count(world):
    from rest_framework.authtoken.models import Token

    return Token.objects.count()


# Who sees the sales_east department / emp_east (vp1's subtree)
SEES_SALES_EAST = dict.fromkeys(
    ("gm", "hrvp", "perf", "vp1", "head_sales", "head_east", "emp_east"), 200
)

ROWS = [
    # --- auth ---------------------------------------------------------------------------
    Row(
        "api:token",
        expect(204, anon=API_ANON),
        method="DELETE",
        json=True,
        note="revoke one's own token (POST is public; see test_tokens.py)",
    ),
    # --- me, schema, docs ---------------------------------------------------------------
    Row("api:me", expect(200, anon=API_ANON)),
    Row("api:schema", expect(200, anon=API_ANON)),
    Row("api:docs", expect(200, anon=API_ANON)),
    # --- departments --------------------------------------------------------------------
    Row("api:departments-list", expect(200, anon=API_ANON)),
    Row(
        "api:departments-detail",
        expect(404, anon=API_ANON, **SEES_SALES_EAST),
        kwargs=lambda w: {"pk": w.sales_east.pk},
    ),
    # --- positions ----------------------------------------------------------------------
    Row("api:positions-list", expect(200, anon=API_ANON)),
    Row(
        "api:positions-detail",
        expect(200, anon=API_ANON, other_gm=404),
        kwargs=lambda w: {"pk": w.position.pk},
    ),
    # --- employees ----------------------------------------------------------------------
    Row("api:employees-list", expect(200, anon=API_ANON)),
    Row(
        "api:employees-list",
        expect(200, anon=API_ANON),
        query="?ordering=-name&status=regular&q=%E9%83%91",
    ),
    Row(
        "api:employees-detail",
        expect(404, anon=API_ANON, **SEES_SALES_EAST),
        kwargs=lambda w: {"pk": w.emp_east.pk},
    ),
    Row(
        "api:employees-detail",
        # visible but not editable → 403; out of scope → 404
        expect(404, anon=API_ANON, **{**dict.fromkeys(SEES_SALES_EAST, 403), "hrvp": 200}),
        kwargs=lambda w: {"pk": w.emp_east.pk},
        method="PATCH",
        json=True,
        data=lambda w: {"version": w.emp_east.version, "name": "矩阵改名"},
        state=_employee_state,
    ),
    Row(
        "api:employees-list",
        expect(403, anon=API_ANON, hrvp=201),
        method="POST",
        json=True,
        data=lambda w: {
            "employee_no": "M0001",
            "name": "矩阵新人",
            "department": w.sales_east.pk,
            "hire_date": "2026-01-05",
        },
        state=_employee_count,
    ),
    # --- integration keys (API) ---------------------------------------------------------
    Row("api:api-keys-list", expect(403, anon=API_ANON, gm=200, hrvp=200, other_gm=200)),
    Row(
        "api:api-keys-list",
        expect(403, anon=API_ANON, gm=201, hrvp=201, other_gm=201),
        method="POST",
        json=True,
        data=lambda w: {"name": "matrix-new", "scopes": ["org.read"]},
        state=_key_count,
    ),
    Row(
        "api:api-keys-detail",
        expect(403, anon=API_ANON, gm=200, hrvp=200, other_gm=404),
        kwargs=lambda w: {"pk": _matrix_key(w).pk},
    ),
    Row(
        "api:api-keys-detail",
        expect(403, anon=API_ANON, gm=204, hrvp=204, other_gm=404),
        kwargs=lambda w: {"pk": _matrix_key(w).pk},
        method="DELETE",
        json=True,
        state=_key_state,
    ),
    # --- integration keys (page) --------------------------------------------------------
    Row("api:key_list", expect(403, anon=302, gm=200, hrvp=200, other_gm=200)),
    Row(
        "api:key_list",
        expect(403, anon=302, gm=200, hrvp=200, other_gm=200),
        method="POST",
        data=lambda w: {"name": "matrix-page", "scopes": ["org.read"]},
        state=_key_count,
    ),
    Row(
        "api:key_revoke",
        expect(403, anon=302, gm=302, hrvp=302, other_gm=404),
        kwargs=lambda w: {"pk": _matrix_key(w).pk},
        method="POST",
        state=_key_state,
    ),
]
