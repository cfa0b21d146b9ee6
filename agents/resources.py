"""Reads watchlist, topic and rule files (YAML or JSON) and hands validated values to the core.

Errors name the file, the line and the field. Line numbers are only computed when a problem
is found, so loading the large default watchlist stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import TypeVar

import orjson
import yaml

from streams.config import Doc, Node
from streams.dedup import DedupPolicy
from streams.errors import ConfigError
from streams.pipeline import Config
from streams.rules import RuleSet, parse_rules
from streams.topics import Taxonomy, parse_taxonomy
from streams.watchlist import Watchlist, parse_watchlist

__all__ = ["DEFAULTS", "load_config", "load_rules", "load_taxonomy", "load_watchlists"]

T = TypeVar("T")
DEFAULTS = resources.files("agents") / "defaults"
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]  # CSafeLoader when libyaml is there
    """Safe loader that leaves dates as text: `Node.date` validates them and names the line."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def default_path(name: str) -> Path:
    return Path(str(DEFAULTS / name))


def load_watchlists(paths: Sequence[Path]) -> Watchlist:
    """One or more watchlists merged in order (a user's file beside or instead of the default);
    the name `default` stands for the shipped watchlist: `--watchlist default --watchlist mine.yaml`."""
    lists = [
        _load(default_path("watchlist.json") if str(path) == "default" else path, parse_watchlist) for path in paths
    ]
    merged = lists[0]
    for other in lists[1:]:
        merged = merged.merged(other)
    return merged


def load_taxonomy(path: Path) -> Taxonomy:
    return _load(path, parse_taxonomy)


def load_rules(path: Path) -> RuleSet:
    return _load(path, parse_rules)


def load_config(
    watchlists: Sequence[Path] = (),
    topics: Path | None = None,
    rules: Path | None = None,
    *,
    dedup_horizon: timedelta | None = None,
) -> Config:
    """The core's configuration; defaults are the files shipped in `agents/defaults/` and a 72 h dedup horizon."""
    return Config(
        watchlist=load_watchlists(list(watchlists) or [default_path("watchlist.json")]),
        taxonomy=load_taxonomy(topics or default_path("topics.yaml")),
        rules=load_rules(rules or default_path("rules.yaml")),
        dedup=DedupPolicy() if dedup_horizon is None else DedupPolicy(horizon=dedup_horizon),
    )


def parse_document(text: str, source: str, parse: Callable[[Node], T]) -> T:
    """Parse YAML/JSON text and validate it; on a problem, re-raise with the line of the field."""
    data = _parse(text, source)
    try:
        return parse(Node(Doc(source), "", data))
    except ConfigError as exc:
        if exc.line is not None:
            raise
        raise Doc(source, _line_map(text)).error(exc.field, exc.problem) from None


def _load(path: Path, parse: Callable[[Node], T]) -> T:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, "(file)", f"cannot read: {exc}") from exc
    return parse_document(text, str(path), parse)


def _parse(text: str, source: str) -> object:
    if text.lstrip().startswith(("{", "[")):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(source, exc.lineno, "(syntax)", f"invalid JSON: {exc.msg}") from None
            raise
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506  # a safe loader, C-accelerated when available
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, line, "(syntax)", f"invalid YAML: {problem}") from None


def _line_map(text: str) -> dict[str, int]:
    """Field path ("rules[0].when.event") → 1-based line, from the YAML node tree (JSON is YAML)."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]")

    root = yaml.compose(text, Loader=_Loader)
    if root is not None:
        walk(root, "")
    return lines
