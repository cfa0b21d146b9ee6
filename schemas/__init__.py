"""Wire contracts: one JSON Schema per topic payload (schemas/json/) and typed records for code."""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson

__all__ = ["SCHEMA_NAMES", "load_example", "load_schema"]

SCHEMA_NAMES = ("raw-article", "article", "alert", "deadletter")


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a payload: raw-article, article, alert or deadletter."""
    data: dict[str, Any] = orjson.loads((resources.files("schemas") / "json" / f"{name}.v1.schema.json").read_bytes())
    return data


def load_example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((resources.files("schemas") / "examples" / f"{name}.v1.json").read_bytes())
    return data
