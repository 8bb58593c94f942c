"""Reading a header of weighted choices (``Accept-Encoding``, ``Accept-Language``): RFC 9110 §12.4.2."""

from __future__ import annotations


def weighted(header: str | None) -> list[tuple[str, float]]:
    """Each choice, lower-cased, with its weight: ``gzip;q=0`` is ("gzip", 0.0); no ``q`` is 1.0, and a
    ``q`` that is not a number counts as 0 (a refusal, never a preference)."""
    choices = []
    for item in (header or "").split(","):
        value, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, number = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        if value.strip():
            choices.append((value.strip().lower(), q))
    return choices
