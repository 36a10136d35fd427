"""Validate bodies against the official Swagger 2.0 contract (parsed once per session)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.support.paths import cc_contract
except ImportError:  # pragma: no cover - depends on how pytest was invoked
    from support.paths import cc_contract  # type: ignore[no-redef]

FORMATS = jsonschema.FormatChecker(())


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


def spec_path() -> Path:
    """The contract (the calling test skips without it, or fails when ``CI=true``)."""
    return cc_contract()


def require_contract() -> Path:
    """The contract's path; the calling test skips without it, or fails when ``CI=true``."""
    return cc_contract()


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load(spec_path().read_text(encoding="utf-8"), Loader=loader)
    return spec


@lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    """The contract's ``definitions``, strict: no undeclared properties, ``x-nullable`` honoured."""
    return {name: _strict(schema) for name, schema in _spec()["definitions"].items()}


def raw_spec() -> dict[str, Any]:
    """The contract as parsed (shared; do not modify)."""
    return _spec()


@lru_cache(maxsize=1)
def operations() -> dict[tuple[str, str], dict[str, Any]]:
    """``(METHOD, /path) → operation`` of the contract."""
    spec = _spec()
    return {
        (method.upper(), path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "delete", "patch")
    }


def _strict(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if k not in ("example", "x-example")}
    if out.get("x-nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if out.get("type") == "object" and "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def response_schema(method: str, path: str, status: int) -> dict[str, Any]:
    """The contract's schema for one documented response."""
    op = operations()[(method, path)]
    schema = op["responses"][str(status)]["schema"]
    return copy.deepcopy(schema) if isinstance(schema, dict) else {}


def validate(schema: dict[str, Any], body: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``body`` fits ``schema``."""
    root = {**schema, "definitions": definitions()} if "$ref" in json.dumps(schema) else schema
    jsonschema.Draft4Validator(root, format_checker=FORMATS).validate(body)


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    """Validate a response body against the operation's documented response."""
    validate(response_schema(method, path, status), body)


def validate_definition(name: str, body: Any) -> None:
    """Validate ``body`` against ``#/definitions/<name>``."""
    validate({"$ref": f"#/definitions/{name}"}, body)


ERROR_ITEM = {
    "type": "object",
    "required": ["error_key", "error_message"],
    "properties": {"error_key": {"type": "string"}, "error_message": {"type": "string"}},
    "additionalProperties": False,
}
ERROR_ARRAY = {"type": "array", "minItems": 1, "items": ERROR_ITEM}
OKTA_ERROR = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    "additionalProperties": False,
}


def validate_error(status: int, body: Any) -> None:
    """Error bodies per the brief: arrays, except 401 and 429 which are single objects."""
    schema = ERROR_ITEM if status in (401, 429) else ERROR_ARRAY
    jsonschema.Draft4Validator(schema).validate(body)
