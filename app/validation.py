"""Input checks shared by every endpoint: text the database can store, and dates the arithmetic can hold.

PostgreSQL refuses U+0000 in text; a lone surrogate (JSON ``"\\ud800"``) cannot be encoded as UTF-8 at all;
and Python's dates end at year 9999 (``date + timedelta`` and ``astimezone`` overflow near the ends). Each
would otherwise surface as a 500 deep below the endpoint, so they are refused at the edge with a 422 that
names the client's field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from app.errors import FieldError, ValidationFailed

NUL = "\x00"

# The widest range any date in the API may take. It keeps every deadline and day-range computation (a day
# added, a working-day search of a year or more, the offset of a local time) far from datetime's limits.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2099, 12, 31)
DATE_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


# A date is written as a date. Pydantic's lax mode would read 0 or "0.5" as a Unix timestamp (1970-01-01),
# which the OpenAPI's `format: date` does not allow and no client means.
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def written_as_a_date(value: Any) -> Any:
    if isinstance(value, date):  # datetime is a date too
        return value
    if isinstance(value, str) and _ISO_DAY.match(value.strip()):
        return value
    raise PydanticCustomError("date.format", "Write the date as YYYY-MM-DD (ISO 8601).")


def _date_in_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise PydanticCustomError("date.out_of_range", f"A date must lie {DATE_RANGE}.")
    return value


def require_offset(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError(
            "datetime.offset_required", "A time must carry its UTC offset, e.g. +08:00."
        )
    return value


def _datetime_in_range(value: datetime) -> datetime:
    # The local date is compared, never a converted one: converting 0001-01-01T00:00+14:00 overflows.
    _date_in_range(value.date())
    return value


ApiDate = Annotated[date, BeforeValidator(written_as_a_date), AfterValidator(_date_in_range)]
AwareDateTime = Annotated[
    datetime,
    BeforeValidator(written_as_a_date),
    AfterValidator(require_offset),
    AfterValidator(_datetime_in_range),
]


def text_error(field: str, text: str) -> FieldError | None:
    """Why ``text`` cannot be stored, as the error for ``field``; None when it can."""
    if NUL in text:
        return FieldError(field, "string.nul", "Text may not contain the NUL character (U+0000).")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return FieldError(field, "string.unpaired_surrogate", "Text may not contain a lone UTF-16 surrogate.")
    return None


def _printable(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode().replace(NUL, "\\u0000")


def text_errors(value: Any, path: tuple[str, ...] = ()) -> Iterator[FieldError]:
    """One error per string of a parsed JSON value (keys included) that cannot be stored, at its dotted
    path (``parties.0.name``)."""
    if isinstance(value, str):
        error = text_error(".".join(path) or "body", value)
        if error:
            yield error
    elif isinstance(value, dict):
        for key, item in value.items():
            name = _printable(str(key))
            key_error = text_error(".".join((*path, name)), str(key))
            if key_error:
                yield key_error
            yield from text_errors(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from text_errors(item, (*path, str(index)))


async def reject_unstorable_text(request: Request) -> None:
    """A router dependency: refuse a NUL or a lone surrogate in any path or query parameter, or in any
    string of a JSON body.

    It runs before the endpoint's own parameters are resolved, so nothing reaches the database. FastAPI
    has already parsed (and cached) a JSON body for an endpoint that takes one; a body it would ignore is
    left alone when it is not JSON.
    """
    errors = []
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        error = text_error(_printable(name), name + str(value))
        if error:
            errors.append(error)
    if "json" in request.headers.get("content-type", "") and await request.body():
        try:
            body = await request.json()
        except ValueError:  # not JSON: FastAPI reports it for the endpoints that read a body
            body = None
        errors += text_errors(body)
    if errors:
        raise ValidationFailed(errors)
