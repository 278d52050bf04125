"""Permission-matrix rows of login issuing and position pages."""

from __future__ import annotations

from renshi.org.models import Position
from tests.matrix_support import Row, expect


def _login_state(key):
    def state(w):
        user = type(w.users[key]).objects.get(pk=w.users[key].pk)
        return (user.password, user.must_change_password)

    return state


def _positions_state(w):
    return tuple(Position.objects.order_by("pk").values_list("pk", "title", "grade", "job_family"))


ROWS = [
    # HR issues a temporary password; out of scope 404, in scope but not HR 403
    Row(
        "org:employee_login",
        method="POST",
        kwargs=lambda w: {"pk": w.employees["emp_east"].pk},
        data=lambda w: {},
        state=_login_state("emp_east"),
        expect=expect(403, anon=302, hrvp=200, emp_prod=404, vp2=404, other_gm=404),
    ),
    Row(
        "org:position_list",
        expect=expect(200, anon=302, emp_east=200, emp_prod=200),
    ),
    Row(
        "org:position_create",
        expect=expect(403, anon=302, hrvp=200, other_gm=403),
    ),
    Row(
        "org:position_create",
        method="POST",
        data=lambda w: {"title": "矩阵职位", "grade": "P9", "job_family": "测试"},
        state=_positions_state,
        expect=expect(403, anon=302, hrvp=302),
    ),
    Row(
        "org:position_edit",
        kwargs=lambda w: {"pk": w.position.pk},
        expect=expect(403, anon=302, hrvp=200, other_gm=404),
    ),
    Row(
        "org:position_edit",
        method="POST",
        kwargs=lambda w: {"pk": w.position.pk},
        data=lambda w: {"title": "改名", "grade": "P3", "job_family": "通用"},
        state=_positions_state,
        expect=expect(403, anon=302, hrvp=302, other_gm=404),
    ),
]
