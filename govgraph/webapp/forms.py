"""Checking what people type, as GOV.UK forms do: one message per field, nothing typed lost."""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = [
    "check_address",
    "check_amount",
    "check_photo_code",
    "error_list",
    "idempotency_key",
    "postcode",
]

_AMOUNT = re.compile(r"^\d{1,7}(\.\d{1,2})?$")
_PHOTO = re.compile(r"^[A-Z0-9]{8,16}$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_LINE_MAX = 35
_TOWN_MAX = 30


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    """The error summary's entries, each linking to its field."""
    return [{"text": text, "href": f"#{field}"} for field, text in errors.items()]


def idempotency_key(value: object) -> str | None:
    return value if isinstance(value, str) and _KEY.match(value) else None


def check_amount(typed: str, due: Decimal) -> tuple[str | None, str | None]:
    """``(amount, None)`` as the API wants it, or ``(None, message)``."""
    text = typed.strip().replace(",", "").replace(" ", "").removeprefix("£")
    if not text:
        return None, "Enter the amount you want to pay"
    if not _AMOUNT.match(text):
        return None, "Amount must be a number in pounds and pence, like 35.00"
    amount = Decimal(text)
    if amount != due:
        return None, f"Amount must be the amount due today, £{due:,.2f}"
    return f"{amount:.2f}", None


def check_photo_code(typed: str) -> tuple[str | None, str | None]:
    code = typed.strip().replace(" ", "").upper()
    if not code:
        return None, "Enter your photo code"
    if not _PHOTO.match(code):
        return None, "Photo code must be 8 to 16 letters and numbers, like AB12CD34"
    return code, None


def postcode(typed: str) -> str:
    compact = typed.strip().upper().replace(" ", "")
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def check_address(values: dict[str, str]) -> dict[str, str]:
    """Messages by field for an address (GOV.UK address pattern)."""
    errors: dict[str, str] = {}
    if not values["line1"].strip():
        errors["line1"] = "Enter address line 1, typically the building and street"
    elif len(values["line1"].strip()) > _LINE_MAX:
        errors["line1"] = f"Address line 1 must be {_LINE_MAX} characters or less"
    if len(values["line2"].strip()) > _LINE_MAX:
        errors["line2"] = f"Address line 2 must be {_LINE_MAX} characters or less"
    if not values["town"].strip():
        errors["town"] = "Enter town or city"
    elif len(values["town"].strip()) > _TOWN_MAX:
        errors["town"] = f"Town or city must be {_TOWN_MAX} characters or less"
    if not values["postcode"].strip():
        errors["postcode"] = "Enter postcode"
    elif not _POSTCODE.match(postcode(values["postcode"])):
        errors["postcode"] = "Enter a real postcode, like SW1A 1AA"
    return errors
