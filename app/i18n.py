"""The language of a request's error messages: English, or Simplified Chinese when Accept-Language prefers it.

The request context (``app/ops.py``) reads ``Accept-Language`` once per request into :data:`language`;
:func:`app.errors.problem_response`, through which every problem answer passes, asks :func:`localized` for
the title, detail and each field error's message. Codes never change with the language. The texts are in
``app/errors_zh.py``, one catalogue keyed by code.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from app.errors_zh import GENERIC_DETAIL, MESSAGES, TITLES, Message
from app.qvalues import weighted

ENGLISH = "en"
CHINESE = "zh-CN"
# Set per request by the request context; outside a request (CLI, tests calling code directly): English.
language: ContextVar[str] = ContextVar("problem_language", default=ENGLISH)


def negotiate(accept_language: str | None) -> str:
    """CHINESE when the most preferred language range (highest q, first on a tie) is Chinese.

    ``zh``, ``zh-CN``, ``zh-Hans``, ``zh-Hans-CN`` and any other ``zh-*`` count: the one Chinese there is
    here is Simplified. ``q=0`` means "not this one"; ``*`` and anything else mean English, today's text.
    """
    best, best_q = "", 0.0
    for tag, q in weighted(accept_language):
        if q > best_q:
            best, best_q = tag, q
    return CHINESE if best == "zh" or best.startswith("zh-") else ENGLISH


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(message: Message, params: Mapping[str, Any]) -> str:
    """A catalogue entry with its parameters: ``(template, text without them)`` falls back to the second
    when a parameter is missing (e.g. pydantic's context lost on the way)."""
    if isinstance(message, str):
        return message
    template, without = message
    if _fields(template) <= params.keys():
        return template.format_map({k: _shown(v) for k, v in params.items()})
    return without


def _shown(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(str(v) for v in value)
    return value


def chinese(code: str, params: Mapping[str, Any] | None = None) -> str | None:
    """The Chinese text of a code, or None when the catalogue lacks it."""
    message = MESSAGES.get(code)
    return None if message is None else render(message, params or {})


def localized_title(status: int, english: str) -> str:
    if language.get() != CHINESE:
        return english
    return TITLES.get(status, TITLES[400 if status < 500 else 500])


def localized(code: str, english: str, params: Mapping[str, Any] | None = None, *, status: int = 400) -> str:
    """The message for a code in the request's language. A code the catalogue lacks (the unit test
    ``test_every_error_code_has_a_chinese_message`` says which) still reads Chinese, generically."""
    if language.get() != CHINESE:
        return english
    text = chinese(code, params)
    if text is not None:
        return text
    return GENERIC_DETAIL.get(status, GENERIC_DETAIL[400 if status < 500 else 500])
