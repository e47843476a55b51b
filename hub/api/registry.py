"""The API's route registry: one declaration per endpoint drives routing, checks and the docs.

A view is declared with its method, path, summary, required role and the pydantic models of
its query, body and response. The registry turns that into an aiohttp handler that checks
the caller, validates the input, runs the view and dumps its (typed) result; the OpenAPI
document is generated from the very same declarations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.api.web_auth import require
from hub.auth import Principal
from hub.core import Hub
from hub.host.appkeys import HUB
from hub.models import Role
from hub.policy import DomainError

API_PREFIX = "/api/v1"
_PATH_PARAM = re.compile(r"\{(\w+)\}")

QueryT = TypeVar("QueryT")
BodyT = TypeVar("BodyT")


@dataclass(frozen=True)
class ApiCall(Generic[QueryT, BodyT]):
    """What a view gets: the checked caller and its validated input."""

    request: web.Request
    principal: Principal
    query: QueryT
    body: BodyT

    @property
    def hub(self) -> Hub:
        return self.request.app[HUB]

    def path_id(self, name: str = "id") -> int:
        # The route pattern admits digits only, so this cannot fail.
        return int(self.request.match_info[name])


View = Callable[[ApiCall[Any, Any]], Awaitable[BaseModel]]
ViewT = TypeVar("ViewT", bound=View)


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    view: View
    summary: str
    role: Role
    response: type[BaseModel]
    status: int = 200
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    tag: str = ""
    # Error statuses beyond those the declaration implies (see `error_statuses`).
    conflicts: bool = False
    # 404 for an id in the query or body (one the caller may not see is "no such").
    missing: bool = False

    def error_statuses(self) -> list[int]:
        statuses = {401}
        if self.role is not Role.operator or self.method != "GET":
            statuses.add(403)  # role too low, not the caller's conversation, or CSRF
        if self.body is not None:
            statuses.add(400)
        if self.body is not None or self.query is not None:
            statuses.add(422)
        if self.path_params or self.missing:
            statuses.add(404)
        if self.conflicts:
            statuses.add(409)
        return sorted(statuses)

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)

    @property
    def router_path(self) -> str:
        # Every path parameter is a row id: digits only, and within BIGINT.
        return _PATH_PARAM.sub(r"{\1:[0-9]{1,18}}", self.path)


@dataclass
class RouteTable:
    """The routes of one API area; views are added with the `get` / `post` decorators."""

    tag: str
    routes: list[ApiRoute] = field(default_factory=list)

    def get(
        self,
        path: str,
        *,
        summary: str,
        response: type[BaseModel],
        query: type[BaseModel] | None = None,
        role: Role = Role.operator,
        missing: bool = False,
    ) -> Callable[[ViewT], ViewT]:
        return self._add("GET", path, summary, response, role, query=query, missing=missing)

    def post(
        self,
        path: str,
        *,
        summary: str,
        response: type[BaseModel],
        body: type[BaseModel] | None = None,
        status: int = 200,
        role: Role = Role.operator,
        conflicts: bool = False,
        missing: bool = False,
    ) -> Callable[[ViewT], ViewT]:
        return self._add(
            "POST", path, summary, response, role, body=body, status=status,
            conflicts=conflicts, missing=missing,
        )  # fmt: skip

    def patch(
        self,
        path: str,
        *,
        summary: str,
        response: type[BaseModel],
        body: type[BaseModel],
        role: Role = Role.operator,
        conflicts: bool = False,
    ) -> Callable[[ViewT], ViewT]:
        return self._add("PATCH", path, summary, response, role, body=body, conflicts=conflicts)

    def put(
        self,
        path: str,
        *,
        summary: str,
        response: type[BaseModel],
        body: type[BaseModel],
        role: Role = Role.operator,
    ) -> Callable[[ViewT], ViewT]:
        return self._add("PUT", path, summary, response, role, body=body)

    def delete(
        self,
        path: str,
        *,
        summary: str,
        response: type[BaseModel],
        role: Role = Role.operator,
        conflicts: bool = False,
    ) -> Callable[[ViewT], ViewT]:
        return self._add("DELETE", path, summary, response, role, conflicts=conflicts)

    def _add(
        self,
        method: str,
        path: str,
        summary: str,
        response: type[BaseModel],
        role: Role,
        **extra: Any,
    ) -> Callable[[ViewT], ViewT]:
        def register(view: ViewT) -> ViewT:
            self.routes.append(
                ApiRoute(
                    method, API_PREFIX + path, view, summary, role, response, tag=self.tag, **extra
                )
            )
            return view

        return register


def field_errors(exc: ValidationError, location: str) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(part) for part in error["loc"]) or location,
            "location": location,
            "message": error["msg"],
            "type": error["type"],
        }
        for error in exc.errors(include_url=False)
    ]


def invalid_input(details: list[dict[str, str]]) -> DomainError:
    return DomainError("invalid-input", 422, "Some fields are not valid.", details)


def validate(model: type[BaseModel], data: Any, location: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(field_errors(exc, location)) from exc


def query_values(query: Mapping[str, str]) -> dict[str, str]:
    # "?phone=" means no phone filter, as browsers send empty form fields.
    return {key: value for key, value in query.items() if value.strip()}


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DomainError(
            "invalid-json", 400, "The request body is not valid JSON.", str(exc)
        ) from exc


def handler_for(route: ApiRoute) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        # Who first: an anonymous caller learns nothing about what the input should be.
        principal = require(request, route.role)
        query = validate(route.query, query_values(request.query), "query") if route.query else None
        body = validate(route.body, await read_json(request), "body") if route.body else None
        result = await route.view(ApiCall(request, principal, query, body))
        if not isinstance(result, route.response):
            raise TypeError(f"{route.view.__name__} returned {type(result).__name__}")
        return web.Response(
            text=result.model_dump_json(), status=route.status, content_type="application/json"
        )

    return handle


def register_routes(app: web.Application, routes: list[ApiRoute]) -> None:
    for route in routes:
        app.router.add_route(
            route.method, route.router_path, handler_for(route), name=route.view.__name__
        )
