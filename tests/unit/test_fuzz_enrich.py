"""Bad input is data, not a crash: fuzzed and hand-made nasty payloads through both core stages.

Every input either comes out of `Enricher.enrich` + `Decider.decide` as an article, or is rejected
with a `WirewatchError` whose reason is one of the documented machine-readable reasons. The
strategies and the curated corpus are shared with `bench/fuzz_inputs.py` (the large campaign whose
figures docs/RELIABILITY.md reports) and the broker test in tests/integration.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.resources import load_config
from streams.errors import WirewatchError
from streams.pipeline import Decider, Enricher, State

REASONS = frozenset(
    {
        "invalid_json",
        "not_an_object",
        "missing_id",
        "missing_text",
        "missing_published",
        "invalid_published",
        "wrong_type",
        "message_too_large",
        "body_too_large",
        "headline_too_large",
        "id_too_long",
    }
)
"""Every reason the core may give (schemas/json/deadletter.v1.schema.json lists them for consumers)."""

T0 = datetime(2024, 7, 3, 11, 0, tzinfo=UTC)
MEETING = "Vladimir Putin met Recep Tayyip Erdoğan in Astana on Wednesday for talks on gas and grain."


@cache
def enricher() -> Enricher:
    """The shipped configuration (906 watchlist entities), as in production; built once (it takes ~1 s)."""
    return Enricher(load_config())


def outcome(raws: list[bytes], *, fallback_time: datetime | None = T0) -> list[str]:
    """Run the raw messages through both stages in order with fresh state: "ok" or the dead-letter reason.

    Anything but a `WirewatchError` from `enrich`, and anything at all from `decide`, propagates and
    fails the test (in the service it would be dead-lettered as `processing_error`: a bug).
    """
    decider = Decider(enricher().config, State())
    results = []
    for raw in raws:
        try:
            record = enricher().enrich(raw, fallback_time=fallback_time)
        except WirewatchError as exc:
            results.append(exc.reason)
            continue
        decision = decider.decide(record)
        assert decision.article["id"] == record["id"]
        assert datetime.fromisoformat(decision.article["published"]).tzinfo is not None
        results.append("ok")
    assert set(results) <= REASONS | {"ok"}, results
    return results


# --- strategies -----------------------------------------------------------------------------------------

_NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u2066reversed",
    "\ufeff",
    "\u200b\u200d\u2060",
    "İıŞşĞğ",
    "𝕻𝖚𝖙𝖎𝖓",
    "e\u0301" * 50,
    "<script>alert(1)</script>",
    "<p>Vladimir Putin</p><p>met</p><p>Erdoğan</p>",
    "&#x110000;&#0;&#xD800;&amp;&lt;",
    "<!--",
    "<![CDATA[",
    "<div" * 50,
    "PARIS (AFP) - ",
    "Abone Ol",
    "\r\n\r\n\t\v\f",
    "ﷺ" * 20,
    MEETING,
]
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=string.printable, max_size=300),
    st.sampled_from(_NASTY_TEXT),
    st.lists(st.sampled_from(_NASTY_TEXT), max_size=8).map(" ".join),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
_zones = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12, minutes=-30))])
_moments = st.datetimes(  # hypothesis takes naive bounds; a day's margin keeps every offset representable
    min_value=datetime(1, 1, 2),  # noqa: DTZ001
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.none() | _zones,
)
dates = st.one_of(
    _moments.map(datetime.isoformat),
    _moments.map(lambda d: d.isoformat().lower()),
    _moments.map(lambda d: d.date().isoformat()),
    _moments.map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S +0000")),
    _moments.map(lambda d: d.strftime("%d/%m/%Y")),
    _moments.map(lambda d: str(int(d.replace(tzinfo=UTC).timestamp()))),
    st.sampled_from(["", "yesterday", "2024-02-30", "2024-07-03T25:61:00Z", "2024-07-03T10:00:00+25:00", "0"]),
    st.integers(-(2**63), 2**63 - 1),
    texts,
)
urls = st.one_of(st.sampled_from(["http://[::1", "https://www.reuters.com/x", "//", "mailto:x", "ht tp://a b"]), texts)
_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(st.text(min_size=1, max_size=20), texts, json_values),
    "uri": st.one_of(st.text(min_size=1, max_size=20), json_values),
    "headline": texts | json_values,
    "title": texts,
    "body": texts | json_values,
    "body_text": texts,
    "body_html": texts,
    "headlines": st.lists(st.fixed_dictionaries({}, optional={"role": texts, "value": texts | json_values}))
    | json_values,
    "bodies": st.lists(
        st.fixed_dictionaries({}, optional={"role": texts, "contenttype": texts, "value": texts | json_values})
    )
    | json_values,
    "source": texts | json_values,
    "copyrightholder": texts | json_values,
    "url": urls | json_values,
    "links": st.lists(st.fixed_dictionaries({}, optional={"href": urls, "rel": texts})) | json_values,
    "infosources": st.lists(st.fixed_dictionaries({}, optional={"name": texts | json_values})) | json_values,
    "published": dates,
    "versioncreated": dates,
    "language": texts | json_values,
}
article_objects = st.fixed_dictionaries({}, optional=_FIELDS)
"""Article-shaped objects of all three input shapes, every field present or not, of any type."""
well_formed = st.builds(
    lambda i, body, published, source: {
        "id": f"w-{i}",
        "headline": "Leaders meet",
        "body": f"{MEETING} {body}",
        "published": published,
        "source": source,
    },
    st.integers(0, 5),
    texts,
    dates,
    texts,
)
"""Nearly valid articles: any date format, any source."""
valid_dates = _moments.filter(lambda d: 1000 <= d.year < 9000).map(datetime.isoformat)
nasty_text_articles = st.builds(
    lambda i, headline, body, html, published: {
        "id": f"t-{i}",
        "headline": headline,
        ("body_html" if html else "body"): f"{body} {MEETING} {body}",
        "published": published,
        "source": "Wire",
    },
    st.integers(0, 3),
    texts,
    texts,
    st.booleans(),
    valid_dates,
)
"""Valid articles with nasty text: through the cleaner, tagger, detector, dedup and alert rules."""


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    """A valid message with bytes flipped, cut or inserted (invalid UTF-8, stray NUL, truncation)."""
    raw = bytearray(orjson.dumps(draw(well_formed)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["flip", "cut", "insert"]))
        if kind == "flip" and at < len(raw):
            raw[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del raw[at:]
        else:
            raw[at:at] = draw(st.binary(min_size=1, max_size=4))
    return bytes(raw)


raw_messages = st.one_of(
    st.binary(max_size=200),
    json_values.map(orjson.dumps),
    article_objects.map(orjson.dumps),
    well_formed.map(orjson.dumps),
    nasty_text_articles.map(orjson.dumps),
    corrupted(),
)


# --- the curated corpus ---------------------------------------------------------------------------------


def nasty_payloads() -> Iterator[tuple[str, bytes, str]]:
    """(name, raw message, expected outcome: "ok" or the dead-letter reason) under the default limits."""
    good: dict[str, Any] = {"id": "n", "headline": "Leaders meet", "body": MEETING, "published": "2024-07-03T10:00Z"}

    def art(name: str, expected: str, **fields: Any) -> tuple[str, bytes, str]:
        merged = {**good, "id": f"nasty-{name}", **fields}
        return name, orjson.dumps({k: v for k, v in merged.items() if v is not None}), expected

    yield "empty-message", b"", "invalid_json"
    yield "whitespace-message", b" \n\t ", "invalid_json"
    yield "truncated-json", b'{"id": "t", "body": "cut off', "invalid_json"
    yield "json-null", b"null", "not_an_object"
    yield "json-array", b'[{"id": "a"}]', "not_an_object"
    yield "json-string", b'"an article"', "not_an_object"
    yield "invalid-utf8", b'{"id": "u", "body": "caf\xe9 \xff\xfe", "published": "2024-07-03"}', "invalid_json"
    yield "raw-nul-byte", b'{"id": "z", "body": "a\x00b", "published": "2024-07-03"}', "invalid_json"
    yield "nan-literal", b'{"id": "x", "body": "b", "score": NaN}', "invalid_json"
    yield "huge-number", b'{"id": "x", "body": "b", "n": 1e400}', "invalid_json"
    yield "nested-json-5000", b'{"id": "d", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "invalid_json"
    yield art("nested-json-200", "ok", extra=orjson.loads(b"[" * 200 + b"]" * 200))
    yield art("escaped-nul", "ok", body=f"{MEETING}\x00 and\x00more")
    yield art("nul-in-id", "ok", id="nasty-\x00-id")
    yield art("missing-id", "missing_id", id=None)
    yield art("blank-id", "missing_id", id="   ")
    yield art("numeric-id", "wrong_type", id=12345)
    yield art("long-id", "id_too_long", id="i" * 600)
    yield art("no-text", "missing_text", headline=None, body=None)
    yield art("empty-body", "ok", body="")
    yield art("empty-body-and-headline", "missing_text", body="", headline="")
    yield art("body-is-list", "wrong_type", body=["a", "b"])
    yield art("headline-is-object", "wrong_type", headline={"main": "x"})
    yield art("headline-5000", "headline_too_large", headline="H" * 5000)
    yield art("word-100k", "ok", body=f"{MEETING} {'x' * 100_000}")
    yield art("word-100k-accented", "ok", body=f"{MEETING} {'é' * 100_000}")
    yield art("combining-100k", "ok", body=f"{MEETING} a{chr(0x301) * 100_000}")
    yield art("body-600k-chars", "body_too_large", body="word " * 120_000)
    yield art("body-10MB", "message_too_large", body="x" * 10_000_000)
    yield art("html-bomb-nested", "ok", body="<div><span>" * 30_000 + MEETING)
    yield art("html-bomb-unclosed", "ok", body_html="<p><b><i>" * 30_000 + MEETING, body=None)
    yield art("html-entities", "ok", body="<p>&#x110000;&#0;&#xD800;&amp;&lt;&#9999999999;</p>" * 500 + MEETING)
    yield art("html-script-only", "missing_text", headline="", body="<script>" + "x" * 1000 + "</script>")
    yield art("date-rfc3339-z", "ok", published="2024-07-03T10:00:00Z")
    yield art("date-lowercase", "ok", published="2024-07-03t10:00:00z")
    yield art("date-only", "ok", published="2024-07-03")
    yield art("date-naive", "ok", published="2024-07-03 10:00:00")
    yield art("date-rfc2822", "invalid_published", published="Wed, 03 Jul 2024 10:00:00 +0000")
    yield art("date-slashes", "invalid_published", published="03/07/2024")
    yield art("date-words", "invalid_published", published="yesterday")
    yield art("date-feb-30", "invalid_published", published="2024-02-30")
    yield art("date-offset-25h", "invalid_published", published="2024-07-03T10:00:00+25:00")
    yield art("date-epoch-int", "wrong_type", published=1720000000)
    yield art("date-year-1", "invalid_published", published="0001-01-02T00:00:00+14:00")
    yield art("date-year-9999", "invalid_published", published="9999-12-31T23:59:59-12:00")
    yield art("date-1850", "ok", published="1850-07-03T10:00:00Z")
    yield art("date-none", "ok", published=None)  # the Kafka timestamp stands in
    yield art("url-invalid-ipv6", "ok", url="http://[::1", source=None)
    yield art("source-is-list", "ok", source=["a", "b"])
    yield "ninjs2-headlines-string", b'{"uri": "n2", "headlines": "x", "bodies": []}', "wrong_type"
    yield (
        "ninjs2-odd-bodies",
        orjson.dumps(
            {
                "uri": "nasty-ninjs2",
                "headlines": [{"value": "Leaders meet"}],
                "bodies": [{"value": 5}, {"contenttype": None}, {"role": "main", "value": f"<p>{MEETING}</p>"}],
                "versioncreated": "2024-07-03T10:00:00Z",
            }
        ),
        "ok",
    )


NASTY = list(nasty_payloads())


# --- tests ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "raw", "expected"), NASTY, ids=[n for n, _, _ in NASTY])
def test_nasty_payload_is_processed_or_dead_lettered_with_its_reason(name, raw, expected):
    """Each hand-made nasty payload has its documented outcome, and none raises anything else."""
    assert outcome([raw]) == [expected]


def test_duplicate_id_with_different_content_is_processed_both_times():
    """A re-used id with new content is a new version (both reach wire.articles); the same bytes again
    are a redelivery that repeats the verdict."""
    first = orjson.dumps({"id": "dup", "headline": "One", "body": MEETING, "published": "2024-07-03T10:00Z"})
    other = orjson.dumps({"id": "dup", "headline": "Two", "body": "Markets fell.", "published": "2024-07-03T11:00Z"})
    decider = Decider(enricher().config, State())
    decisions = [decider.decide(enricher().enrich(raw, fallback_time=None)) for raw in (first, other, other)]

    assert [d.article["headline"] for d in decisions] == ["One", "Two", "Two"]
    assert [d.redelivered for d in decisions] == [False, False, True]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(raw_messages, min_size=1, max_size=4))
def test_fuzzed_messages_never_raise_anything_but_wirewatch_error(raws):
    """Random bytes, JSON of any shape, article-shaped objects with any field types and corrupted valid
    messages: each is an article or a dead letter with a known reason, in both stages."""
    outcome(raws)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(article_objects.map(orjson.dumps), min_size=1, max_size=4))
def test_article_without_date_or_fallback_is_dead_lettered_not_crashed(raws):
    """With no Kafka timestamp to fall back on, a missing date is a dead letter like any other."""
    outcome(raws, fallback_time=None)
