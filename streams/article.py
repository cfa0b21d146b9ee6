"""Input articles: the three accepted shapes (flat, IPTC ninjs 1.x, ninjs 2.x) become one `Article`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import orjson

from streams.errors import InvalidArticle, LimitExceeded
from streams.text import clean_article, html_to_text, looks_like_html

__all__ = ["Article", "Limits", "content_hash", "decode_article", "parse_article", "parse_time"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits; anything over them is dead-lettered, never truncated silently."""

    max_message_bytes: int = 2_000_000
    max_body_chars: int = 500_000
    max_headline_chars: int = 1_000
    max_id_chars: int = 512


@dataclass(frozen=True, slots=True)
class Article:
    """One article, cleaned. `text` is the body the tagger, detector and evidence offsets use."""

    id: str
    source: str
    url: str | None
    headline: str
    text: str
    published: datetime
    language: str | None


def decode_article(raw: bytes, *, fallback_time: datetime | None, limits: Limits = Limits()) -> Article:
    """Bytes of one JSON message (or `.jsonl` line) to an `Article`, or `InvalidArticle` with a reason."""
    if len(raw) > limits.max_message_bytes:
        msg = f"message of {len(raw)} bytes exceeds {limits.max_message_bytes}"
        raise LimitExceeded(msg, reason="message_too_large")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        msg = f"not valid JSON: {exc}"
        raise InvalidArticle(msg, reason="invalid_json") from exc
    if not isinstance(payload, dict):
        msg = f"expected a JSON object, got {type(payload).__name__}"
        raise InvalidArticle(msg, reason="not_an_object")
    return parse_article(payload, fallback_time=fallback_time, limits=limits)


def parse_article(
    payload: Mapping[str, object], *, fallback_time: datetime | None, limits: Limits = Limits()
) -> Article:
    """Recognise the input shape by its fields and build a cleaned `Article`."""
    article_id = _text_field(payload, "id") or _text_field(payload, "uri")
    if not article_id:
        msg = "no article id: flat articles need `id`, ninjs needs `uri`"
        raise InvalidArticle(msg, reason="missing_id")
    if len(article_id) > limits.max_id_chars:
        msg = f"id longer than {limits.max_id_chars} characters"
        raise LimitExceeded(msg, reason="id_too_long")
    headline = _headline(payload)
    body = _body(payload)
    if len(body) > limits.max_body_chars:
        msg = f"body of {len(body)} characters exceeds {limits.max_body_chars}"
        raise LimitExceeded(msg, reason="body_too_large")
    if len(headline) > limits.max_headline_chars:
        msg = f"headline of {len(headline)} characters exceeds {limits.max_headline_chars}"
        raise LimitExceeded(msg, reason="headline_too_large")
    cleaned_headline, text = clean_article(headline, body)
    if not text and not headline.strip():
        msg = "article has neither body text nor headline"
        raise InvalidArticle(msg, reason="missing_text")
    url = _text_field(payload, "url") or _ninjs_link(payload)
    published = _published(payload, fallback_time)
    return Article(
        id=article_id,
        source=_source(payload, url),
        url=url,
        headline=cleaned_headline,
        text=text,
        published=published,
        language=_text_field(payload, "language") or _text_field(payload, "lang"),
    )


def parse_time(value: str) -> datetime:
    """RFC 3339 / ISO 8601 date or date-time; naive values are taken as UTC (wires often omit it)."""
    text = value.strip().upper()  # RFC 3339 allows a lower-case "t" and "z"; fromisoformat does not
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        msg = f"unparseable date-time {value[:40]!r}"
        raise InvalidArticle(msg, reason="invalid_published") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _text_field(payload: Mapping[str, object], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        msg = f"field `{name}` must be a string, got {type(value).__name__}"
        raise InvalidArticle(msg, reason="wrong_type")
    return value.strip() or None


def _headline(payload: Mapping[str, object]) -> str:
    if (headline := _text_field(payload, "headline")) is not None:
        return headline
    if (title := _text_field(payload, "title")) is not None:
        return title
    return _ninjs2_pick(payload, "headlines", ("main", "default", "")) or ""


def _body(payload: Mapping[str, object]) -> str:
    for name in ("body", "body_text", "description_text"):
        if (value := _text_field(payload, name)) is not None:
            return html_to_text(value) if looks_like_html(value) else value
    for name in ("body_html", "description_html"):
        if (value := _text_field(payload, name)) is not None:
            return html_to_text(value)
    picked = _ninjs2_body(payload)
    return picked or ""


def _ninjs2_items(payload: Mapping[str, object], name: str) -> list[Mapping[str, object]]:
    items = payload.get(name)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        msg = f"field `{name}` must be a list of objects"
        raise InvalidArticle(msg, reason="wrong_type")
    return items


def _ninjs2_pick(payload: Mapping[str, object], name: str, roles: tuple[str, ...]) -> str | None:
    items = _ninjs2_items(payload, name)
    for role in roles:
        for item in items:
            value = item.get("value")
            if isinstance(value, str) and (item.get("role") or "") == role:
                return value
    first = items[0].get("value") if items else None
    return first if isinstance(first, str) else None


def _ninjs2_body(payload: Mapping[str, object]) -> str | None:
    items = _ninjs2_items(payload, "bodies")
    main = [i for i in items if (i.get("role") or "main") in ("main", "default")] or items
    for item in sorted(main, key=lambda i: "html" in str(i.get("contenttype", ""))):
        value = item.get("value")
        if isinstance(value, str) and value.strip():
            kind = str(item.get("contenttype", ""))
            return html_to_text(value) if "html" in kind or looks_like_html(value) else value
    return None


def _ninjs_link(payload: Mapping[str, object]) -> str | None:
    for item in _ninjs2_items(payload, "links"):
        href = item.get("href")
        if isinstance(href, str) and item.get("rel") in (None, "canonical", "self", "alternate"):
            return href
    return None


def _source(payload: Mapping[str, object], url: str | None) -> str:
    for name in ("source", "copyrightholder", "provider"):
        value = payload.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return str(value["name"]).strip()
    for item in _ninjs2_items(payload, "infosources"):
        if isinstance(item.get("name"), str):
            return str(item["name"]).strip()
    host = _hostname(url) if url else None
    return host.removeprefix("www.") if host else "unknown"


def _hostname(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:  # a malformed URL ("http://[::1") names no host; the article is still good
        return None


# Event-time arithmetic (horizons, cooldowns) must stay inside datetime's years 1-9999; no wire is
# dated outside these, so a date beyond them is a broken field, not an article from the year 1.
_EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _published(payload: Mapping[str, object], fallback_time: datetime | None) -> datetime:
    for name in ("published", "versioncreated", "firstcreated", "contentcreated"):
        if (value := _text_field(payload, name)) is not None:
            return _plausible(parse_time(value), name)
    if fallback_time is None:
        msg = "no `published`/`versioncreated` and no fallback event time"
        raise InvalidArticle(msg, reason="missing_published")
    return _plausible(fallback_time, "fallback event time")


def _plausible(moment: datetime, name: str) -> datetime:
    if not _EARLIEST <= moment < _LATEST:
        msg = f"{name} {moment.isoformat()} is outside the years {_EARLIEST.year}-{_LATEST.year - 1}"
        raise InvalidArticle(msg, reason="invalid_published")
    return moment


def content_hash(article: Article) -> str:
    """Hash of the cleaned text, used to tell a redelivery from a re-use of the same id."""
    return hashlib.blake2b(f"{article.headline}\n{article.text}".encode(), digest_size=12).hexdigest()
