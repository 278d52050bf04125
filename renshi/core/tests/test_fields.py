"""National ID and bank account are encrypted at rest and masked for display."""

import pytest
from django.db import connection

from renshi.core.fields import mask

pytestmark = pytest.mark.django_db


def test_stored_ciphertext_not_plaintext(world):
    emp = world.emp_east
    with connection.cursor() as cur:
        cur.execute("SELECT national_id, bank_account FROM org_employee WHERE id = %s", [emp.pk])
        raw_id, raw_bank = cur.fetchone()
    assert emp.national_id not in raw_id
    assert emp.bank_account not in raw_bank
    assert raw_id.startswith("gAAAA")  # Fernet token
    emp.refresh_from_db()
    assert len(emp.national_id) == 18


def test_encrypted_fields_cannot_be_searched(world):
    from django.core.exceptions import FieldError

    from renshi.org.models import Employee

    with pytest.raises(FieldError):
        list(Employee.objects.filter(national_id__startswith="1101"))


def test_masking():
    assert mask("110101199003071234", keep_start=4, keep_end=4) == "1101**********1234"
    assert mask("6222020000001234") == "************1234"
    assert mask("") == ""
    assert mask("123", keep_end=4) == "***"


def test_key_rotation(settings, world):
    """A new first key encrypts; older keys listed after it still decrypt; without the old key
    reading fails loudly instead of showing ciphertext."""
    from cryptography.fernet import Fernet
    from django.core.exceptions import ImproperlyConfigured

    from renshi.core.fields import derived_key
    from renshi.org.models import Employee

    emp = world.emp_east
    plain = emp.national_id
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    with pytest.raises(ImproperlyConfigured):
        Employee.objects.get(pk=emp.pk)
    settings.FIELD_ENCRYPTION_KEYS = [new_key, derived_key(settings.SECRET_KEY)]
    emp = Employee.objects.get(pk=emp.pk)
    assert emp.national_id == plain
    emp.save(update_fields=["national_id", "bank_account"])  # re-encrypted with the new key
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Employee.objects.get(pk=emp.pk).national_id == plain
