"""What the OpenAPI document says beyond what FastAPI infers: who may call, how errors look, what links what.

FastAPI describes the bodies and parameters it validates, and which operations need a bearer credential
(``app.deps.bearer_scheme``). It cannot know that every error leaves the app as ``application/problem+json``
(``app.errors``), not as its own ``HTTPValidationError``, which statuses the cross-cutting machinery gives
(401 without a credential, 404 for what is out of the caller's scope, 413 over the body limit, 503 when the
database is lost), nor which response's id feeds which next operation (OpenAPI links, used by
schemathesis' stateful run). :func:`install` adds those once, when the document is first asked for, from each
operation's security, parameters and body, so they follow the code.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.errors import PROBLEM_MEDIA_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "RFC 9457 problem details; `code` is stable and machine-readable.",
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "code": {"type": "string", "description": "e.g. validation_failed, case.not_found"},
            "instance": {"type": "string", "description": "The request's path"},
            "errors": {
                "type": "array",
                "description": "Every bad field of the request (422)",
                "items": {"$ref": "#/components/schemas/ProblemFieldError"},
            },
        },
        # Some problems carry more, e.g. a 412's current_version.
        "additionalProperties": True,
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "required": ["field", "code", "message"],
        "properties": {
            "field": {"type": "string", "description": "Dotted path, e.g. parties.1.id_number"},
            "code": {"type": "string", "description": "e.g. id_number.checksum"},
            "message": {"type": "string"},
        },
    },
}

DESCRIPTIONS = {
    400: "Malformed request: a body that is not JSON, a cursor this API did not issue (`cursor.invalid`)",
    401: "No credential, or an expired or revoked one",
    403: "Authenticated, but the role, the key's scope or the CSRF token does not allow this",
    404: "No such object, or one outside your scope (its existence is not disclosed)",
    409: "The action is not allowed in the object's current state, or a duplicate",
    410: "The cursor is too old; re-sync from the list endpoint",
    412: "If-Match (or version) is not the current version: reload and retry",
    413: "The request body is over the service's size limit",
    422: "Invalid fields; each is listed in `errors`",
    428: "Send the version you last saw (If-Match or version)",
    429: "Too many attempts; wait for Retry-After seconds",
    503: "The database is unavailable or at capacity; nothing was stored; retry after Retry-After seconds",
}

# Operations every authenticated caller may use: no role check, no scope.
OPEN_TO_EVERY_CALLER = {
    ("get", "/api/v1/auth/me"),
    ("get", "/api/v1/organizations"),
    ("post", "/api/v1/auth/logout"),
}
# The feed refuses a person's token (403) but has no object to hide (no 404).
MACHINE_FEED = {("get", "/api/v1/feed"), ("post", "/api/v1/feed/ack")}
PUBLIC_WITH_DATABASE = {("post", "/api/v1/auth/login")}

CASE = "/api/v1/cases/{case_id}"
CASE_ACTIONS = ("dispatch", "accept", "decline", "escalate", "outcome", "withdraw", "close")
# Where a response's case feeds the next call: its id into the path, its ETag into If-Match.
_CASE_TARGETS = [("get", CASE), ("get", f"{CASE}/events")] + [("post", f"{CASE}/{a}") for a in CASE_ACTIONS]
CASE_LINK_SOURCES = [("post", "/api/v1/cases", "201"), ("get", CASE, "200")] + [
    ("post", f"{CASE}/{a}", "200") for a in CASE_ACTIONS
]


def _statuses(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """The statuses the shared machinery (authentication, scope, limits, the database) can give here."""
    authenticated = bool(operation.get("security"))
    parameters = operation.get("parameters", [])
    statuses: set[int] = set()
    if authenticated:
        statuses |= {401, 503}
        if (method, path) not in OPEN_TO_EVERY_CALLER:
            # A person's endpoint does not exist for a machine key (404) and needs a role (403); a machine
            # endpoint refuses a person's token (403). A cookie session without its CSRF token gets 403.
            statuses |= {403} if (method, path) in MACHINE_FEED else {403, 404}
    if (method, path) in PUBLIC_WITH_DATABASE:
        statuses.add(503)
    if "{" in path:
        statuses.add(404)  # out of the caller's scope looks like absent
    if "requestBody" in operation:
        statuses |= {400, 413, 422}  # 400: the body is not JSON at all
    if parameters:
        statuses.add(422)
    if any(p["name"] == "cursor" for p in parameters):
        statuses.add(400)
    return statuses


def _not_nullable(parameter: dict[str, Any]) -> None:
    """A query, path or header value is a string or absent, never JSON null: drop FastAPI's ``null`` branch
    of an optional parameter so a client (or the fuzzer) does not send the text "null"."""
    schema = parameter.get("schema", {})
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if "anyOf" in schema and len(branches) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        parameter["schema"] = {**branches[0], **rest}


def _problem(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    description = (existing or {}).get("description")
    if not description or description in ("Validation Error", "Additional Response"):
        description = DESCRIPTIONS.get(status, HTTPStatus(status).phrase)
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}}
    return response


def _case_links(doc: dict[str, Any]) -> None:
    paths = doc["paths"]
    targets = {
        f"{method}_{path.rsplit('/', 1)[-1].strip('{}')}": paths[path][method]["operationId"]
        for method, path in _CASE_TARGETS
    }
    for method, path, status in CASE_LINK_SOURCES:
        response = paths[path][method]["responses"][status]
        response.setdefault("headers", {})["ETag"] = {
            "description": 'The case\'s version, e.g. "3": send it back as If-Match',
            "schema": {"type": "string", "pattern": r'^"[0-9]+"$'},
        }
        links = {}
        for name, operation_id in targets.items():
            parameters: dict[str, str] = {"case_id": "$response.body#/id"}
            if name.startswith("post_"):
                parameters["header.If-Match"] = "$response.header.ETag"
            links[name] = {"operationId": operation_id, "parameters": parameters}
        response["links"] = links
    created = paths["/api/v1/organizations"]["post"]["responses"]["201"]
    created["links"] = {
        "patch_organization": {
            "operationId": paths["/api/v1/organizations/{code}"]["patch"]["operationId"],
            "parameters": {"code": "$response.body#/code"},
        }
    }


def amend(doc: dict[str, Any]) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(PROBLEM_SCHEMAS)
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                _not_nullable(parameter)
            responses = operation["responses"]
            wanted = _statuses(method, path, operation) | {int(s) for s in responses if str(s)[0] in "45"}
            for status in sorted(wanted):
                responses[str(status)] = _problem(status, responses.get(str(status)))
    readyz = doc["paths"]["/readyz"]["get"]["responses"]
    readyz["503"] = _problem(503, {"description": "The database does not answer"})
    readyz["503"]["content"]["application/json"] = {"schema": {"type": "object"}}
    _case_links(doc)
    return doc


def install(app: FastAPI) -> None:
    """Serve the amended document at /openapi.json and from ``app.openapi()`` (``jiefen openapi``)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = amend(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
