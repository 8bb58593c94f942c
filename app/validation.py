"""Input checks shared by every endpoint: text without NUL characters, and dates the arithmetic can hold.

PostgreSQL refuses U+0000 in text, and Python's dates end at year 9999 (``date + timedelta`` and
``astimezone`` overflow near the ends). Both would otherwise surface as a 500 deep below the endpoint, so
they are refused at the edge with a 422 that names the client's field.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from app.errors import FieldError, ValidationFailed

NUL = "\x00"

# The widest range any date in the API may take. It keeps every deadline and day-range computation (a day
# added, a working-day search of a year or more, the offset of a local time) far from datetime's limits.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2099, 12, 31)
DATE_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


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


ApiDate = Annotated[date, AfterValidator(_date_in_range)]
AwareDateTime = Annotated[datetime, AfterValidator(require_offset), AfterValidator(_datetime_in_range)]


def nul_paths(value: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    """Dotted paths (``parties.0.name``) of every string in a parsed JSON value that holds a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield ".".join(path) or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            if NUL in name:
                yield ".".join((*path, name.replace(NUL, "\\u0000")))
            yield from nul_paths(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_paths(item, (*path, str(index)))


def _nul_error(field: str) -> FieldError:
    return FieldError(field, "string.nul", "Text may not contain the NUL character (U+0000).")


async def reject_nul(request: Request) -> None:
    """A router dependency: refuse a NUL in any path or query parameter, or any string of a JSON body.

    It runs before the endpoint's own parameters are resolved, so nothing reaches the database. FastAPI
    has already parsed (and cached) a JSON body for an endpoint that takes one; a body it would ignore is
    left alone when it is not JSON.
    """
    errors = [_nul_error(name) for name, value in request.path_params.items() if NUL in str(value)]
    errors += [
        _nul_error(name.replace(NUL, "\\u0000"))
        for name, value in request.query_params.multi_items()
        if NUL in name or NUL in value
    ]
    if "json" in request.headers.get("content-type", "") and await request.body():
        try:
            body = await request.json()
        except ValueError:  # not JSON: FastAPI reports it for the endpoints that read a body
            body = None
        errors += [_nul_error(path) for path in nul_paths(body)]
    if errors:
        raise ValidationFailed(errors)
