"""Phone numbers in E.164 (`+4915112345678`), parsed by `phonenumbers`: numbers written
without a country code are read in PHONE_DEFAULT_REGION (none by default: they must
start with +)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


class InvalidPhone(ValueError):
    pass


def to_e164(text: str) -> str:
    """The number in E.164, or InvalidPhone saying what is wrong with it."""
    region = settings.PHONE_DEFAULT_REGION or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        hint = "" if region else ' (with its country code, e.g. "+49 151 1234567")'
        raise InvalidPhone(f'"{text}" is not a phone number{hint}') from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f'"{text}" is not a valid phone number')
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def e164_or_none(text: str) -> str | None:
    try:
        return to_e164(text) if text else None
    except InvalidPhone:
        return None
