"""Permission-matrix rows of the employee import/export URLs (renshi.org.views_io)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from renshi.org.models import ImportBatch
from tests.matrix_support import Row, expect

from .io_support import new_row, org_state, pending_batch, workbook

HR_ONLY = expect(403, anon=302, hrvp=200)


def _upload(world) -> dict:
    return {"file": SimpleUploadedFile("employees.xlsx", workbook([new_row("M0002")]))}


def _upload_state(world) -> tuple:
    return org_state(world), ImportBatch.objects.count()


def _batch_kwargs(world) -> dict:
    return {"pk": pending_batch(world).pk}


def _batch_state(world) -> tuple:
    batch = pending_batch(world)
    return org_state(world), batch.pk, ImportBatch.objects.get(pk=batch.pk).status


ROWS = [
    # every role with a management scope exports what it may see; employees alone cannot
    Row("org:employee_export", expect(200, anon=302, emp_east=403, emp_prod=403)),
    Row("org:employee_import_template", HR_ONLY),
    Row("org:employee_import", HR_ONLY),
    Row(
        "org:employee_import",
        expect(403, anon=302, hrvp=302),
        method="POST",
        data=_upload,
        state=_upload_state,
        note="a valid file becomes a pending batch; nothing else changes",
    ),
    Row("org:employee_import_batch", HR_ONLY, kwargs=_batch_kwargs),
    Row(
        "org:employee_import_batch",
        expect(403, anon=302, hrvp=302),
        kwargs=_batch_kwargs,
        method="POST",
        state=_batch_state,
        note="commit of hrvp's pending batch",
    ),
]
