"""The vendored ECharts is the pinned release: the committed files match the hashes in scripts/vendor.py,
and a tarball with another hash is refused before anything is extracted."""

from __future__ import annotations

import hashlib

import pytest

from scripts.vendor import PACKAGES, TARGET, check_integrity


def test_the_committed_files_are_the_pinned_ones() -> None:
    for package in PACKAGES:
        for name, sha256 in package.extracted_sha256.items():
            assert hashlib.sha256((TARGET / name).read_bytes()).hexdigest() == sha256, name
    assert "Apache License" in (TARGET / "echarts.LICENSE").read_text()
    assert "Apache ECharts" in (TARGET / "echarts.NOTICE").read_text()


def test_a_tarball_with_another_hash_is_refused() -> None:
    body = b"not the release"
    with pytest.raises(SystemExit, match="integrity mismatch"):
        check_integrity(body, PACKAGES[0].integrity)
    import base64

    check_integrity(body, "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode())
