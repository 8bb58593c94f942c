"""The committed OpenAPI document is what the app serves (run `make openapi` after changing the API)."""

import json
from pathlib import Path

from app.cli import openapi_document


def test_committed_openapi_is_current():
    committed = json.loads(
        (Path(__file__).parents[2] / "openapi" / "openapi.json").read_text(encoding="utf-8")
    )
    assert committed == json.loads(json.dumps(openapi_document())), (
        "openapi/openapi.json is stale: run `make openapi`"
    )
