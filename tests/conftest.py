"""Shared fixtures: the seed article, the small test configuration, and raw-article factories."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from agents.resources import load_rules, load_taxonomy, load_watchlists
from streams.pipeline import Config

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = REPO / "tests" / "data"
SHARED_DATA = Path(os.environ.get("WIREWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
"""Real corpora (read in place, never copied into the repo)."""
SEED = SHARED_DATA.parent / "seeds" / "000_4a9f1934b585f67a.txt"
"""The Daily Sabah story as re-published by M5 Dergi on 2024-07-03: first line headline, then body."""
SEED_PUBLISHED = "2024-07-03T14:00:00+03:00"
PRESS_RELEASES = SHARED_DATA / "leaders_pressreleases_2021_2022.jsonl"
"""Kremlin and President of Ukraine press releases, CC BY 4.0 (kremlin.ru, president.gov.ua)."""


def _require(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):  # CI always has shared/ beside the clone: never skip there
            pytest.fail(f"shared data not found: {path}")
        pytest.skip(f"shared data not found: {path} (set WIREWATCH_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def seed_text() -> tuple[str, str]:
    """(headline, body) of the seed article, exactly as the re-publisher served them."""
    headline, _, body = _require(SEED).read_text(encoding="utf-8").partition("\n")
    return headline, body


@cache
def _press_releases() -> dict[str, dict[str, Any]]:
    with _require(PRESS_RELEASES).open(encoding="utf-8") as lines:
        return {row["id"]: row for row in map(orjson.loads, lines)}


@pytest.fixture
def press_release() -> Callable[[str], dict[str, Any]]:
    """One press release by id, as the corpus stores it (a flat article with `title`)."""

    def get(release_id: str) -> dict[str, Any]:
        _require(PRESS_RELEASES)
        return dict(_press_releases()[release_id])

    return get


@pytest.fixture(scope="session")
def small_config() -> Config:
    """The small test watchlist and taxonomy with the default rules."""
    return Config(
        watchlist=load_watchlists([TEST_DATA / "watchlist.small.yaml"]),
        taxonomy=load_taxonomy(TEST_DATA / "topics.small.yaml"),
        rules=load_rules(REPO / "agents" / "defaults" / "rules.yaml"),
    )


@pytest.fixture
def make_article() -> Callable[..., bytes]:
    """Raw JSON bytes of a flat article; pass a field as None to leave it out."""

    def make(
        article_id: str = "test-1",
        *,
        headline: str = "Leaders meet in Astana",
        body: str = "Vladimir Putin met Recep Tayyip Erdoğan in Astana on Wednesday.",
        source: str | None = "Test Wire",
        url: str | None = None,
        published: str | None = SEED_PUBLISHED,
        language: str | None = "en",
        **extra: Any,
    ) -> bytes:
        fields = {
            "id": article_id,
            "headline": headline,
            "body": body,
            "source": source,
            "url": url,
            "published": published,
            "language": language,
            **extra,
        }
        return orjson.dumps({k: v for k, v in fields.items() if v is not None})

    return make
