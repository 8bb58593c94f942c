"""Validation, normalization and masking of personal identifiers.

Resident identity numbers follow GB 11643-1999 ("Citizen identification number"): 6-digit
administrative region code, 8-digit birth date (YYYYMMDD), 3-digit sequence code and one check
character computed with ISO 7064:1983 MOD 11-2.  Mobile numbers are mainland-China 11-digit numbers.

Masking implements the PIPL rule of DESIGN.md ("Roles and scope"): ID numbers show only the first 6
and last 4 characters, phones only the first 3 and last 4.

Everything here is pure (no I/O, no clock): callers pass ``today`` explicitly.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "InvalidValue",
    "mask_id_number",
    "mask_phone",
    "normalize_mobile",
    "resident_id_check_char",
    "validate_resident_id",
]

# ISO 7064 MOD 11-2 weights for positions 1..17 (2**(18-i) mod 11), GB 11643-1999 §7.
_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Check character indexed by (weighted sum mod 11).
_CHECK_CHARS = "10X98765432"

# ASCII only: str.isdigit() / \d would also accept e.g. full-width or Arabic-Indic digits.
_FIRST17 = re.compile(r"[0-9]{17}")
_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9Xx]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_SEPARATORS = re.compile(r"[\s\-]")
_MOBILE_PREFIX = re.compile(r"(?:\+86|0086|86)([0-9]{11})")


class InvalidValue(ValueError):
    """A personal identifier failed validation.

    ``code`` is a stable machine-readable key (e.g. ``id_number.checksum``) suitable for API error
    bodies; ``message`` is a human-readable explanation that never echoes the rejected value.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def resident_id_check_char(first17: str) -> str:
    """Return the GB 11643-1999 check character ('0'-'9' or 'X') for the first 17 digits.

    ISO 7064 MOD 11-2: S = sum(d_i * w_i) with w_i = 2**(18-i) mod 11; the check character is
    ``"10X98765432"[S mod 11]``.  Raises ``ValueError`` unless ``first17`` is exactly 17 ASCII digits.
    """
    if not _FIRST17.fullmatch(first17):
        raise ValueError("first17 must be exactly 17 ASCII digits")
    total = sum(int(ch) * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_resident_id(value: str, *, today: date) -> str:
    """Validate an 18-character PRC resident identity number (GB 11643-1999) and return it normalized.

    Surrounding whitespace is stripped; a lowercase check character ``x`` is returned as ``X``.
    Checks, in order (each with its own ``InvalidValue.code``):

    * ``id_number.length`` - not exactly 18 characters;
    * ``id_number.format`` - not 17 ASCII digits followed by a digit or X;
    * ``id_number.checksum`` - ISO 7064 MOD 11-2 check character mismatch (detects every single
      substitution and every adjacent transposition);
    * ``id_number.birth_date`` - positions 7-14 are not a real YYYYMMDD date with year >= 1900;
    * ``id_number.future_birth_date`` - the birth date is after ``today``.
    """
    v = value.strip()
    if len(v) != 18:
        raise InvalidValue("id_number.length", "resident ID number must be 18 characters")
    if not _RESIDENT_ID.fullmatch(v):
        raise InvalidValue(
            "id_number.format", "resident ID number must be 17 digits followed by a digit or X"
        )
    v = v.upper()
    if resident_id_check_char(v[:17]) != v[17]:
        raise InvalidValue("id_number.checksum", "resident ID number check character does not match")
    year, month, day = int(v[6:10]), int(v[10:12]), int(v[12:14])
    try:
        if year < 1900:
            raise ValueError("year before 1900")
        birth = date(year, month, day)
    except ValueError:
        raise InvalidValue(
            "id_number.birth_date", "resident ID number does not contain a valid birth date"
        ) from None
    if birth > today:
        raise InvalidValue("id_number.future_birth_date", "resident ID number birth date is in the future")
    return v


def normalize_mobile(value: str) -> str:
    """Normalize a mainland-China mobile number to its 11 digits.

    Whitespace and hyphens are removed anywhere; a leading country code ``+86``, ``0086`` or ``86`` is
    dropped when exactly 11 digits follow it.  The result must match ``^1[3-9]\\d{9}$`` (ASCII
    digits), otherwise ``InvalidValue("phone.format", ...)`` is raised.
    """
    v = _MOBILE_SEPARATORS.sub("", value)
    prefixed = _MOBILE_PREFIX.fullmatch(v)
    if prefixed:
        v = prefixed.group(1)
    if not _MOBILE.fullmatch(v):
        raise InvalidValue("phone.format", "not a valid mainland China mobile number")
    return v


def _mask_all_but_last4(v: str) -> str:
    if len(v) <= 4:
        return "*" * len(v)
    return "*" * (len(v) - 4) + v[-4:]


def mask_id_number(value: str) -> str:
    """Mask an ID number for display/logging: first 6 + ``'*' * 8`` + last 4 for 18 characters.

    Any other length keeps only the last 4 characters (and nothing at all when 4 or fewer), so a
    malformed value never leaks its region code plus birth date.
    """
    v = value.strip()
    if len(v) == 18:
        return v[:6] + "*" * 8 + v[-4:]
    return _mask_all_but_last4(v)


def mask_phone(value: str) -> str:
    """Mask a phone number: first 3 + ``'****'`` + last 4 for an 11-character (normalized) mobile.

    Any other length keeps only the last 4 characters (and nothing at all when 4 or fewer).
    """
    v = value.strip()
    if len(v) == 11:
        return v[:3] + "****" + v[-4:]
    return _mask_all_but_last4(v)
