"""The repository stands on its own: README.md and docs/ link only to files inside it, and those exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md")), ROOT / "bench" / "README.md"]
# [text](target) and ![alt](target); a bare http(s):// address anywhere.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
BARE_URL = re.compile(r"\bhttps?://[^\s)>\]`'\"]+")
# Addresses that name this machine, not a place outside the repository (examples of a local service).
LOCAL = re.compile(r"^https?://(127\.0\.0\.1|localhost|0\.0\.0\.0)(:\d+)?(/|$)")


def _targets(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return LINK.findall(text) + BARE_URL.findall(text)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_stays_in_the_repository(path: Path) -> None:
    outside = []
    for target in _targets(path):
        if LOCAL.match(target) or target.startswith("#"):
            continue
        if "://" in target or target.startswith("mailto:"):
            outside.append(target)
            continue
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            outside.append(target)
    assert outside == [], f"{path.name} links outside the repository or to missing files: {outside}"


def test_the_docs_a_newcomer_needs_exist() -> None:
    for name in ("domain.md", "architecture.md", "api.md", "operations.md"):
        assert (ROOT / "docs" / name).stat().st_size > 1000, name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("docs/domain.md", "docs/architecture.md", "docs/api.md", "docs/operations.md"):
        assert name in readme, f"README does not link {name}"
