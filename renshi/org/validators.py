"""Format checks shared by forms, services, the API and the Excel import."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PHONE = re.compile(r"^(\+?86[- ]?)?1[3-9]\d{9}$|^\+?[1-9]\d{6,14}$")
_ID18 = re.compile(r"^\d{17}[\dXx]$")
_BANK = re.compile(r"^\d{12,19}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def validate_phone(value: str) -> None:
    if value and not _PHONE.match(value.replace(" ", "")):
        raise ValidationError(_("Enter a valid mobile phone number."), code="phone")


def validate_national_id(value: str) -> None:
    """Mainland resident ID (GB 11643): 18 characters with a valid check digit."""
    if not value:
        return
    if not _ID18.match(value):
        raise ValidationError(
            _("A national ID has 17 digits and a check digit."), code="national_id"
        )
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17].upper():
        raise ValidationError(_("The national ID's check digit is wrong."), code="national_id")


def national_id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_bank_account(value: str) -> None:
    if value and not _BANK.match(value.replace(" ", "")):
        raise ValidationError(_("A bank account number has 12 to 19 digits."), code="bank_account")
