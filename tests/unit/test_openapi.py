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


# What the document promises beyond FastAPI's defaults (app/openapi_contract.py, issue 10 "The contract").

import re  # noqa: E402

import pytest  # noqa: E402

from app.cases.lifecycle import Outcome  # noqa: E402
from app.models import CaseStatus, Tier  # noqa: E402
from app.routing.engine import CATEGORIES, RISK_LEVELS  # noqa: E402

PUBLIC = {("post", "/api/v1/auth/login"), ("get", "/healthz"), ("get", "/readyz")}


@pytest.fixture(scope="module")
def doc():
    return json.loads(json.dumps(openapi_document()))


def _operations(doc):
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def test_bearer_security_on_every_operation_but_login_and_probes(doc):
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    for method, path, operation in _operations(doc):
        if (method, path) in PUBLIC:
            assert not operation.get("security"), (method, path)
            assert path == "/api/v1/auth/login" or "401" not in operation["responses"], (method, path)
        else:
            assert operation["security"] == [{"bearer": []}], (method, path)
            assert {"401", "503"} <= set(operation["responses"]), (method, path)


def test_errors_are_problem_json_with_the_real_schema(doc):
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
    assert {"instance", "errors"} <= set(schemas["Problem"]["properties"])
    assert set(schemas["ProblemFieldError"]["required"]) == {"field", "code", "message"}
    for method, path, operation in _operations(doc):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                content = response["content"]
                assert content["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }, (method, path, status)
                assert path == "/readyz" or set(content) == {"application/problem+json"}
    assert "HTTPValidationError" not in json.dumps(doc)


def test_out_of_scope_404_on_every_id_route_and_body_limits(doc):
    for method, path, operation in _operations(doc):
        if "{" in path:
            assert "404" in operation["responses"], (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)
    actions = doc["paths"]["/api/v1/cases/{case_id}/dispatch"]["post"]["responses"]
    assert {"403", "404", "409", "412", "428"} <= set(actions)
    assert "429" in doc["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "400" in doc["paths"]["/api/v1/cases"]["get"]["responses"]  # cursor.invalid


def test_vocabularies_are_enums(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["CaseIn"]["properties"]["category"]["enum"] == list(CATEGORIES)
    assert schemas["CaseIn"]["properties"]["risk_level"]["enum"] == list(RISK_LEVELS)
    assert schemas["CaseStatus"]["enum"] == [s.value for s in CaseStatus]
    assert schemas["Tier"]["enum"] == [t.value for t in Tier]
    assert schemas["Outcome"]["enum"] == [o.value for o in Outcome]
    assert schemas["CaseOut"]["properties"]["status"] == {"$ref": "#/components/schemas/CaseStatus"}
    filters = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/cases"]["get"]["parameters"]}
    assert filters["status"]["$ref"] == "#/components/schemas/CaseStatus"
    assert filters["category"]["enum"] == list(CATEGORIES)


def test_if_match_has_the_pattern_the_service_accepts(doc):
    (if_match,) = [
        p
        for p in doc["paths"]["/api/v1/cases/{case_id}/accept"]["post"]["parameters"]
        if p["name"] == "If-Match"
    ]
    pattern = re.compile(if_match["schema"]["pattern"])
    assert all(pattern.match(v) for v in ('"3"', 'W/"3"', "3"))
    # Not digits of other scripts (int() would take some, not others) nor a number past any version.
    assert not any(pattern.match(v) for v in ('"²"', '"٣"', '"1234567890"', "null", ""))
    assert "anyOf" not in if_match["schema"]  # a header is never JSON null


def test_links_follow_a_new_case(doc):
    created = doc["paths"]["/api/v1/cases"]["post"]["responses"]["201"]
    links = created["links"]
    by_id = {op["operationId"]: (m, p) for m, p, op in _operations(doc)}
    targets = {by_id[link["operationId"]] for link in links.values()}
    assert ("get", "/api/v1/cases/{case_id}") in targets
    assert ("get", "/api/v1/cases/{case_id}/events") in targets
    assert ("post", "/api/v1/cases/{case_id}/dispatch") in targets
    for link in links.values():
        assert link["parameters"]["case_id"] == "$response.body#/id"
    assert links["post_accept"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    assert "ETag" in created["headers"]
    login = doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["200"]
    assert "links" not in login
