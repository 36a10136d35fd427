"""Enumerate the app's routes so a new route cannot escape the CSRF and role tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def fill(path: str, ids: dict[str, int]) -> str:
    """The path with each ``{name}`` replaced by ``ids[name]`` (default 1)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """``(full path, route)`` of every FastAPI route (pages and API; static files excluded).

    FastAPI 0.165 keeps included routers as ``_IncludedRouter`` entries (resolved lazily), so
    they are walked here with their prefix.
    """
    yield from _walk(app.routes, "")


def _walk(routes: Any, prefix: str) -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        original = getattr(route, "original_router", None)
        if original is not None:
            included = getattr(route, "include_context", None)
            yield from _walk(original.routes, prefix + str(getattr(included, "prefix", "")))


def unsafe_routes(app: FastAPI) -> list[tuple[str, str]]:
    """``(method, path)`` of every state-changing route."""
    return sorted(
        (method, path)
        for path, route in api_routes(app)
        for method in route.methods
        if method in UNSAFE
    )


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def routes_depending_on(app: FastAPI, *calls: Callable[..., Any]) -> list[tuple[str, str]]:
    """``(method, path)`` of every route whose dependency tree includes one of ``calls``."""
    out = []
    for path, route in api_routes(app):
        if set(_calls(route.dependant)) & set(calls):
            out += [(method, path) for method in route.methods if method != "HEAD"]
    return sorted(out)
