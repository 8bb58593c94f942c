"""Masking identity numbers and phone numbers written inside free text (summaries, notes, reasons).

A mediator types "申请人张三（身份证320481198005170012，电话138-0013-8000）…" into a summary as often as into
the structured fields, so every masked view and every log line passes free text through
:func:`mask_free_text`, with the structured fields' own masks (``app.pii.identity``, DESIGN.md, PIPL): an ID
number keeps its first 6 and last 4 characters, a mobile its first 3 and last 4 digits, a landline its area
code and last 4 digits.

What counts, matched only where no other digit touches the number (so amounts ``80000.00``, dates
``2026-11-01`` and case numbers ``LY-2026-000123`` stay as written):

* ID-shaped: 15 or more digits in a row, the last one possibly ``X`` (18-digit resident IDs, 15-digit IDs of
  the first generation, and bank-card-length runs, which are no less personal);
* mobiles: ``1[3-9]`` and 9 more digits, as 11 digits or grouped 3-4-4 by spaces or hyphens, optionally
  after ``+86``, ``0086`` or ``86``;
* landlines: a 0-led area code of 3 or 4 digits, optionally in brackets, then a 7- or 8-digit local number
  that does not start with 0 or 1, either whole (``0519-87654321``, ``051987654321``) or split before its
  last 4 digits after a separated area code (``0519 8765 4321``).

Pure: no I/O. Full-width digits are not recognized.
"""

from __future__ import annotations

import re
from typing import Any

from app.pii.identity import mask_id_number, mask_phone_digits

__all__ = ["mask_free_text", "mask_strings"]

_ID_RUN = re.compile(r"(?<![0-9])[0-9]{14,}[0-9Xx](?![0-9])")
# Separators only where people write them (138 0013 8000, 138-0013-8000, 0519-8765 4321): a separator
# allowed between any two digits would read "LY-2026-000135 2026-11-01" as a mobile.
_SEP = r"[ \-]"
_MOBILE = re.compile(
    r"(?<![0-9])(?P<country>(?:\+|00)?86" + _SEP + r"?)?1[3-9][0-9]"
    r"(?:" + _SEP + r"?[0-9]{4}){2}(?![0-9])"
)
_AREA_CODE = r"0[1-9][0-9]{1,2}"
_AREA = r"(?:[(（]" + _AREA_CODE + r"[)）]|" + _AREA_CODE + ")"
_AREA_SET_OFF = r"(?:[(（]" + _AREA_CODE + r"[)）]" + _SEP + "?|" + _AREA_CODE + _SEP + ")"
_LOCAL_WHOLE = _AREA + _SEP + r"?[2-9][0-9]{6,7}"  # 0519-87654321, 051987654321, (0519)87654321
_LOCAL_SPLIT = _AREA_SET_OFF + r"[2-9][0-9]{2,3}" + _SEP + r"[0-9]{4}"  # 0519 8765 4321, (0519)8765-4321
_LANDLINE = re.compile(r"(?<![0-9])(?:" + _LOCAL_WHOLE + "|" + _LOCAL_SPLIT + r")(?![0-9])")
_NOT_DIGIT = re.compile(r"[^0-9]")


def _id(match: re.Match[str]) -> str:
    return mask_id_number(match.group())


def _phone(match: re.Match[str]) -> str:
    """The number's digits, masked by the structured fields' own function: a mobile becomes ``138****8000``
    however it was written; a landline ``0519-87654321`` becomes ``0519****4321``."""
    country = match.re.groupindex.get("country")
    start = match.end(country) if country and match.group(country) else match.start()
    return mask_phone_digits(_NOT_DIGIT.sub("", match.string[start : match.end()]))


def mask_free_text(text: str) -> str:
    """``text`` with every ID-shaped and phone-shaped number masked; everything else as written.

    Idempotent: a masked number contains stars, so nothing in the result matches again.
    """
    if not any(ch.isdigit() for ch in text):  # most notes: no work at all
        return text
    # Phones first: "0086" and a mobile written without a space is a 15-digit run too.
    text = _MOBILE.sub(_phone, text)
    text = _LANDLINE.sub(_phone, text)
    return _ID_RUN.sub(_id, text)


def mask_strings(value: Any) -> Any:
    """Every string inside a JSON-like value (dicts, lists) through :func:`mask_free_text`."""
    if isinstance(value, str):
        return mask_free_text(value)
    if isinstance(value, dict):
        return {k: mask_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_strings(v) for v in value]
    return value
