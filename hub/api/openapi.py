"""The OpenAPI 3.1 document, generated from the route declarations and their pydantic models."""

from __future__ import annotations

from importlib import metadata
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from hub.api.web_auth import CSRF_HEADER
from hub.auth import SESSION_COOKIE

from .registry import ApiRoute
from .schemas import ErrorBody

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]
# (model, mode) -> {"$ref": ...}; keyed loosely as pydantic also accepts dataclasses there.
Refs = dict[Any, dict[str, Any]]

_ERRORS = {
    400: "The body is not valid JSON (invalid-json).",
    401: "Not logged in and no bearer token (not-authenticated).",
    403: f"Role too low, not your conversation, or missing {CSRF_HEADER} (csrf-failed).",
    404: "No such object.",
    409: "The object is not in a state that allows this.",
    422: "Input failed validation (invalid-input); details lists each field.",
}


def _version() -> str:
    try:
        return metadata.version("okno")
    except metadata.PackageNotFoundError:
        return "0"


def _schemas(
    routes: list[ApiRoute],
) -> tuple[Refs, dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], Mode], None] = {(ErrorBody, "serialization"): None}
    for route in routes:
        wanted[(route.response, "serialization")] = None
        for model in (route.query, route.body):
            if model is not None:
                wanted[(model, "validation")] = None
    refs, definitions = models_json_schema(list(wanted), ref_template=REF)
    return refs, definitions.get("$defs", {})


def _component_name(ref: dict[str, str]) -> str:
    return ref["$ref"].rsplit("/", 1)[-1]


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        # An optional parameter's description sits inside its anyOf: lift it up.
        described = [prop, *prop.get("anyOf", ())]
        description = next((d["description"] for d in described if "description" in d), None)
        if description is not None:
            param["description"] = description
        param["schema"] = {k: v for k, v in prop.items() if k != "description"}
        params.append(param)
    return params


def _operation(route: ApiRoute, refs: Refs, definitions: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
        for name in route.path_params
    ]
    if route.query is not None:
        ref = refs[(route.query, "validation")]
        parameters += _query_parameters(definitions[_component_name(ref)])
    error_ref = refs[(ErrorBody, "serialization")]
    responses: dict[str, Any] = {
        str(route.status): {
            "description": route.response.__doc__ or route.response.__name__,
            "content": {"application/json": {"schema": refs[(route.response, "serialization")]}},
        }
    }
    for status in route.error_statuses():
        responses[str(status)] = {
            "description": _ERRORS[status],
            "content": {"application/json": {"schema": error_ref}},
        }
    operation: dict[str, Any] = {
        "operationId": route.view.__name__,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": parameters,
        "responses": responses,
        "x-okno-role": route.role.value,
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(route.body, "validation")]}},
        }
    return operation


def build_document(routes: list[ApiRoute]) -> dict[str, Any]:
    refs, definitions = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(
            route, refs, definitions
        )
    # A query model is a set of parameters (unfolded above), not an object anyone sends.
    for route in routes:
        if route.query is not None:
            definitions.pop(_component_name(refs[(route.query, "validation")]), None)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Okno API",
            "version": _version(),
            "description": (
                "Conversations, contacts and leads of an Okno hub. Authenticate with "
                f"`Authorization: Bearer <token>` or the `{SESSION_COOKIE}` session cookie; "
                f"cookie sessions must send `{CSRF_HEADER}` on POST. `x-okno-role` is the "
                "least role an operation needs (operator < supervisor < admin)."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    }
