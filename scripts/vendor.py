"""`make vendor`: the supervisors' pages' front-end libraries, from the npm registry at a pinned version.

Each package's tarball is downloaded from the registry, checked against the sha512 written here (the
registry's own ``dist.integrity``, ``npm view echarts@5.6.0 dist.integrity``), and only then are the listed
files extracted into the app's static files. The extracted files are committed, so ``make run`` needs
neither npm nor the network; this script is how they got there and how a new version gets in:
change the version and the integrity together, run ``make vendor``, commit.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "app" / "web" / "workspace" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # "sha512-<base64>", as npm writes it
    files: dict[str, str]  # path inside the tarball → file name under TARGET
    # sha256 of each extracted file: a test checks the committed copies against these (no network).
    extracted_sha256: dict[str, str]

    @property
    def tarball(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"


PACKAGES = [
    Package(
        "echarts",
        "5.6.0",
        "sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA==",
        {
            "package/dist/echarts.min.js": "echarts.min.js",
            "package/LICENSE": "echarts.LICENSE",
            "package/NOTICE": "echarts.NOTICE",
        },
        {
            "echarts.min.js": "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1",
            "echarts.LICENSE": "634293835b43a6dd2094fa39182a3d9a6b9ca43b7fdb9ac354e8037af2a3093a",
            "echarts.NOTICE": "fa99ac3af859d0e13166906dc53a73ad34a08898da7e8ae83407275496e9e30c",
        },
    )
]


def check_integrity(body: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise SystemExit(f"unsupported integrity {algorithm}")
    actual = base64.b64encode(hashlib.sha512(body).digest()).decode()
    if actual != expected:
        raise SystemExit(f"integrity mismatch: expected sha512-{expected}, got sha512-{actual}")


def vendor(package: Package) -> None:
    with urllib.request.urlopen(package.tarball, timeout=120) as response:  # noqa: S310 - a fixed https URL
        body = response.read()
    check_integrity(body, package.integrity)
    TARGET.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        for inside, name in package.files.items():
            member = tar.extractfile(inside)
            if member is None:
                raise SystemExit(f"{inside} missing from {package.tarball}")
            content = member.read()
            if hashlib.sha256(content).hexdigest() != package.extracted_sha256[name]:
                raise SystemExit(f"{name}: not the file pinned in scripts/vendor.py")
            (TARGET / name).write_bytes(content)
            print(f"{package.name}@{package.version}: {inside} → {(TARGET / name).relative_to(ROOT)}")


def main() -> None:
    for package in PACKAGES:
        vendor(package)


if __name__ == "__main__":
    sys.exit(main())
