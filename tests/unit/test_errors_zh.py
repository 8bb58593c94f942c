"""Every error code the code base can answer with has a Chinese text, and the language is negotiated right.

The scan reads ``app/`` with ``ast`` and collects every code: ``code="..."`` (any call or default),
``FieldError(field, "code", ...)``, ``PydanticCustomError("code", ...)``, ``InvalidValue("code", ...)``,
the routing engine's ``_error("code", ...)`` / ``_member("code", ...)``, and ``problem_response``'s fourth
argument. A code built with an f-string (``f"parties.{role}_missing"``) needs at least one catalogue key of
that shape.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app import i18n
from app.errors_zh import GENERIC_DETAIL, MESSAGES, TITLES

APP = Path(__file__).resolve().parents[2] / "app"
FIRST_ARG_IS_CODE = {"PydanticCustomError", "InvalidValue", "_error", "_member"}
# Codes set without a literal at the call: the handlers in app/errors.py and app/limits.py's constant.
HANDLER_CODES = {"not_found", "method_not_allowed", "http_error", "validation_failed", "service_busy"}
HANDLER_CODES |= {"internal_error"}
CJK = re.compile(r"[\u4e00-\u9fff]")
WILDCARD = "{*}"


def _literal(node: ast.AST, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):  # code=BODY_TOO_LARGE_CODE: a module-level constant of the same file
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else WILDCARD for v in node.values)
    return None


def _codes_in(tree: ast.Module) -> list[tuple[str, int]]:
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: list[tuple[ast.AST, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            found += [(kw.value, node.lineno) for kw in node.keywords if kw.arg == "code"]
            if name == "FieldError" and len(node.args) >= 2:
                found.append((node.args[1], node.lineno))
            if name in FIRST_ARG_IS_CODE and node.args:
                found.append((node.args[0], node.lineno))
            if name == "problem_response" and len(node.args) >= 4:
                found.append((node.args[3], node.lineno))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = args.args[len(args.args) - len(args.defaults) :]
            found += [
                (d, node.lineno) for a, d in zip(positional, args.defaults, strict=True) if a.arg == "code"
            ]
            found += [
                (d, node.lineno)
                for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                if a.arg == "code" and d is not None
            ]
        elif isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "code" and node.value:
            found.append((node.value, node.lineno))
    return [(code, line) for value, line in found if (code := _literal(value, constants))]


def error_codes() -> dict[str, str]:
    """Every code in app/, with where it is first raised."""
    codes: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        for code, line in _codes_in(ast.parse(path.read_text(encoding="utf-8"))):
            codes.setdefault(code, f"{path.relative_to(APP.parent)}:{line}")
    return codes


def _covered(code: str) -> bool:
    if WILDCARD not in code:
        return code in MESSAGES
    pattern = re.compile(".+".join(re.escape(part) for part in code.split(WILDCARD)) + "$")
    return any(pattern.match(key) for key in MESSAGES)


def test_the_scan_finds_the_codes_it_should():
    codes = error_codes()
    # One of each way a code is written, so the scan cannot silently go blind.
    for code in ("case.not_found", "id_number.checksum", "password.too_short", "category.unknown"):
        assert code in codes
    assert "unknown_flag" in codes and "csrf_failed" in codes and "parties.{*}_missing" in codes
    assert "body.too_large" in codes and "invalid_credentials" in codes
    assert len(codes) > 80


def test_every_error_code_has_a_chinese_message():
    missing = {
        code: where
        for code, where in (error_codes() | dict.fromkeys(HANDLER_CODES, "app/errors.py")).items()
        if not _covered(code)
    }
    lines = [f'    "{code}": "……",  # raised at {where}' for code, where in sorted(missing.items())]
    assert not missing, (
        "These error codes have no Chinese text. Add each to MESSAGES in app/errors_zh.py (one line; use "
        '("… {param} …", "… without it …") when the English message carries a value):\n' + "\n".join(lines)
    )


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_entry_reads_chinese_with_and_without_its_values(code):
    entry = MESSAGES[code]
    without = i18n.render(entry, {})
    assert CJK.search(without) and "{" not in without, code
    if isinstance(entry, tuple):
        template = entry[0]
        names = {name for name in re.findall(r"{(\w+)}", template)}
        assert names, f"{code}: a pair is for a text with values; this one has none"
        filled = i18n.render(entry, dict.fromkeys(names, "7"))
        assert "7" in filled and "{" not in filled
    else:
        assert "{" not in entry, f"{code}: a text with values must be a pair with a text without them"


def test_titles_and_generic_details_are_chinese():
    for text in [*TITLES.values(), *GENERIC_DETAIL.values()]:
        assert CJK.search(text)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", i18n.CHINESE),
        ("zh", i18n.CHINESE),
        ("zh-Hans", i18n.CHINESE),
        ("zh-Hans-CN", i18n.CHINESE),
        ("ZH-cn", i18n.CHINESE),
        ("en;q=0.5, zh-CN;q=0.9", i18n.CHINESE),
        ("en-US,en;q=0.9,zh-CN;q=0.8", i18n.ENGLISH),
        ("en, zh", i18n.ENGLISH),  # a tie: the first wins
        ("zh;q=0, en;q=0.1", i18n.ENGLISH),
        ("zh;q=0", i18n.ENGLISH),
        ("*", i18n.ENGLISH),
        ("", i18n.ENGLISH),
        (None, i18n.ENGLISH),
        ("zhx", i18n.ENGLISH),
        ("zh;q=abc, en;q=0.2", i18n.ENGLISH),
    ],
)
def test_the_language_follows_the_most_preferred_range(header, language):
    assert i18n.negotiate(header) == language


def test_a_list_value_is_written_the_chinese_way():
    assert i18n.render(("可选：{allowed}。", "x"), {"allowed": ["low", "high"]}) == "可选：low、high。"
