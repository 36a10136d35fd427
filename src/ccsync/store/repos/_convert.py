"""Turn ORM objects and result rows into the repos' frozen dataclasses."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, FromClause

T = TypeVar("T")


def field_names(cls: type[Any]) -> tuple[str, ...]:
    """The dataclass field names of ``cls``."""
    return tuple(f.name for f in fields(cls))


def to_row(cls: type[T], obj: Any) -> T:
    """Build ``cls`` from the same-named attributes of ``obj`` (an ORM object)."""
    return cls(**{name: getattr(obj, name) for name in field_names(cls)})


def columns_for(cls: type[Any], table: FromClause) -> list[ColumnElement[Any]]:
    """The columns of ``table`` named like the fields of ``cls``, in field order."""
    return [table.c[name] for name in field_names(cls)]
