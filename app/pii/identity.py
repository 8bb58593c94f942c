"""Validation, normalization and masking of personal identifiers.

Resident identity numbers follow GB 11643-1999 ("Citizen identification number"): 6-digit
administrative region code, 8-digit birth date (YYYYMMDD), 3-digit sequence code and one check
character computed with ISO 7064:1983 MOD 11-2.  Mobile numbers are mainland-China 11-digit numbers.
Landlines (固定电话) are an area code and a 7- or 8-digit local number, with an optional extension: elderly
rural parties and small businesses often have nothing else.

Masking implements the PIPL rule of DESIGN.md ("Roles and scope"): ID numbers show only the first 6
and last 4 characters (18-digit and first-generation 15-digit alike), mobiles only the first 3 and last 4
digits, landlines their area code and the last 4 digits (``0519****4321``: where, not who). Free text
(``app.pii.free_text``) uses these same functions, so a number reads the same in a field and in a note.

Everything here is pure (no I/O, no clock): callers pass ``today`` explicitly.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "InvalidValue",
    "mask_id_number",
    "mask_phone",
    "mask_phone_digits",
    "normalize_mobile",
    "normalize_phone",
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
# The numbering plan's area codes: 010 and 02x have three digits, every other one (03xx-09xx) four.
_AREA_CODE = r"(?:010|02[0-9]|0[3-9][0-9]{2})"
_LANDLINE = re.compile(
    r"[(（]?(?P<area>" + _AREA_CODE + r")[)）]?-?(?P<local>[2-9][0-9]{6,7})"
    r"(?:(?:-|转|ext\.?|#)(?P<ext>[0-9]{1,6}))?",
    re.IGNORECASE,
)
_LANDLINE_SEPARATORS = re.compile(r"[\s]")


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


def normalize_landline(value: str) -> str:
    """Normalize a landline to ``AREA-LOCAL`` or ``AREA-LOCAL-EXT``: ``0519-87654321``, ``051987654321``,
    ``(0519)87654321``, ``0519 8765 4321`` → ``0519-87654321``; ``0519-87654321-123`` and
    ``0519-87654321转123`` → ``0519-87654321-123``.

    The area code is 0 and 2-3 digits, as the numbering plan has them (010 and 02x three digits, the others
    four, so a number written without a separator splits one way only); the local number has 7 or 8 digits
    and starts with 2-9; an extension has 1-6 digits. Otherwise ``InvalidValue("phone.format", ...)``.
    """
    v = _LANDLINE_SEPARATORS.sub("", value)
    if v.count("-") > 2:
        raise InvalidValue("phone.format", "not a valid landline number")
    # A local number split before its last 4 digits (0519-8765-4321) is one number, not an extension.
    split = re.fullmatch(r"(.*?)([2-9][0-9]{2,3})-([0-9]{4})", v)
    if split and _LANDLINE.fullmatch(split.group(1) + split.group(2) + split.group(3)):
        v = split.group(1) + split.group(2) + split.group(3)
    match = _LANDLINE.fullmatch(v)
    if not match:
        raise InvalidValue("phone.format", "not a valid landline number")
    number = f"{match.group('area')}-{match.group('local')}"
    return number + (f"-{match.group('ext')}" if match.group("ext") else "")


def normalize_phone(value: str) -> str:
    """A mobile (11 digits, see :func:`normalize_mobile`) or a landline (see :func:`normalize_landline`)."""
    try:
        return normalize_mobile(value)
    except InvalidValue:
        pass
    try:
        return normalize_landline(value)
    except InvalidValue:
        raise InvalidValue(
            "phone.format",
            "not a valid phone number: a mobile (13800138000) or a landline with its area code "
            "(0519-87654321, extension 0519-87654321-123)",
        ) from None


def mask_phone_digits(digits: str) -> str:
    """Mask a phone given as its digits only: a mobile ``138****8000``; a landline keeps its area code and
    last 4 digits, ``0519****4321`` (``010****5678``); an extension, if any, is not shown."""
    if len(digits) == 11 and digits[0] == "1":
        return digits[:3] + "****" + digits[-4:]
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits.startswith(("010", "02")) else 4
        return digits[:area] + "*" * (len(digits) - area - 4) + digits[-4:]
    return _mask_all_but_last4(digits)


def _mask_all_but_last4(v: str) -> str:
    if len(v) <= 4:
        return "*" * len(v)
    return "*" * (len(v) - 4) + v[-4:]


def mask_id_number(value: str) -> str:
    """Mask an ID number for display/logging: first 6 + stars + last 4 for 15 characters or more (an
    18-character resident ID ``110105********002X``, a first-generation 15-digit one ``110105*****2310``,
    a bank-card-length run in free text).

    A shorter value keeps only the last 4 characters (and nothing at all when 4 or fewer), so a malformed
    value never leaks its region code plus birth date.
    """
    v = value.strip()
    if len(v) >= 15:
        return v[:6] + "*" * (len(v) - 10) + v[-4:]
    return _mask_all_but_last4(v)


def mask_phone(value: str) -> str:
    """Mask a normalized phone (:func:`normalize_phone`): a mobile ``138****8000``, a landline
    ``0519****4321`` (area code and last 4 digits of the local number; the extension is not shown).

    Anything else keeps only the last 4 digits (and nothing at all when 4 or fewer).
    """
    v = value.strip()
    landline = _LANDLINE.fullmatch(v)
    if landline:
        return mask_phone_digits(landline.group("area") + landline.group("local"))
    digits = re.sub(r"[^0-9]", "", v)
    if len(digits) == 11 and digits[0] == "1":
        return mask_phone_digits(digits)
    return _mask_all_but_last4(v)
