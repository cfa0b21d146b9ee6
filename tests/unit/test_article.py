"""Input articles: the three accepted shapes, ids, times, and what is rejected with which reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from streams.article import Article, Limits, content_hash, decode_article, parse_article, parse_time
from streams.errors import InvalidArticle, LimitExceeded, WirewatchError

FALLBACK = datetime(2024, 7, 3, 9, 0, tzinfo=UTC)
DEFAULT_LIMITS = Limits()
PUBLISHED = "2024-07-03T10:00:00+03:00"
HEADLINE = "Leaders meet in Astana"
BODY_HTML = "<p>President Erdoğan met President Putin.</p><script>track();</script><p>They talked about energy.</p>"
TEXT = "President Erdoğan met President Putin.\n\nThey talked about energy."

FLAT = {
    "id": "wire-1",
    "headline": HEADLINE,
    "body": BODY_HTML,
    "source": "Daily Sabah",
    "url": "https://www.dailysabah.com/politics/leaders-meet",
    "published": PUBLISHED,
    "language": "en",
}
NINJS_1 = {
    "uri": "wire-1",
    "type": "text",
    "headline": HEADLINE,
    "body_html": BODY_HTML,
    "versioncreated": PUBLISHED,
    "language": "en",
    "copyrightholder": "Daily Sabah",
}
NINJS_2 = {
    "uri": "wire-1",
    "headlines": [{"role": "sub", "value": "Energy on the agenda"}, {"role": "main", "value": HEADLINE}],
    "bodies": [
        {"role": "main", "contenttype": "text/html", "value": BODY_HTML},
        {"role": "summary", "contenttype": "text/plain", "value": "A summary, not the body."},
    ],
    "versioncreated": PUBLISHED,
    "language": "en",
    "infosources": [{"name": "Daily Sabah"}],
}


def _decode(payload: object, *, fallback_time: datetime | None = FALLBACK, limits: Limits = DEFAULT_LIMITS) -> Article:
    return decode_article(orjson.dumps(payload), fallback_time=fallback_time, limits=limits)


def _reason(payload: object, **kwargs: object) -> str:
    with pytest.raises(InvalidArticle) as caught:
        _decode(payload, **kwargs)
    return caught.value.reason


@pytest.mark.parametrize("payload", [FLAT, NINJS_1, NINJS_2], ids=["flat", "ninjs1", "ninjs2"])
def test_every_shape_parses_to_the_same_fields(payload):
    """Flat, ninjs 1.x and ninjs 2.x carrying one story give one and the same article text."""
    article = _decode(payload)

    assert (article.id, article.source, article.headline, article.text, article.language) == (
        "wire-1",
        "Daily Sabah",
        HEADLINE,
        TEXT,
        "en",
    )
    assert article.published == datetime(2024, 7, 3, 7, 0, tzinfo=UTC)


def test_flat_plain_text_body_is_kept():
    """A flat body without markup is used as it is."""
    article = _decode(FLAT | {"body": "Putin met Erdoğan in Astana. They talked."})

    assert article.text == "Putin met Erdoğan in Astana. They talked."


def test_ninjs_1_body_text_is_used():
    """ninjs 1.x `body_text` is accepted instead of `body_html`."""
    payload = {k: v for k, v in NINJS_1.items() if k != "body_html"} | {"body_text": "Putin met Erdoğan."}

    assert _decode(payload).text == "Putin met Erdoğan."


def test_ninjs_2_plain_body_is_preferred_over_html():
    """Among main bodies, the plain-text one is taken before the HTML one."""
    payload = NINJS_2 | {
        "bodies": [
            {"role": "main", "contenttype": "text/html", "value": "<p>From HTML.</p>"},
            {"role": "main", "contenttype": "text/plain", "value": "From plain text."},
        ]
    }

    assert _decode(payload).text == "From plain text."


def test_id_prefers_id_over_uri():
    """`id` is the article id when both are present."""
    assert _decode(NINJS_1 | {"id": "flat-id"}).id == "flat-id"


def test_source_falls_back_to_url_host():
    """Without a source field the outlet is the URL's host, without "www."."""
    payload = {k: v for k, v in FLAT.items() if k != "source"}

    assert _decode(payload).source == "dailysabah.com"


def test_ninjs_2_link_gives_url():
    """A ninjs 2.x canonical link is the article's URL."""
    payload = NINJS_2 | {"links": [{"rel": "canonical", "href": "https://example.org/a"}]}

    assert _decode(payload).url == "https://example.org/a"


def test_html_body_is_reduced_to_text():
    """Markup, scripts and entities do not reach the article text."""
    article = _decode(FLAT | {"body": "<div><p>Putin &amp; Erdoğan met.</p><style>.x{}</style></div>"})

    assert article.text == "Putin & Erdoğan met."


def test_headline_suffix_and_dateline_are_cleaned():
    """The article carries the cleaned headline and body, not the raw ones."""
    article = _decode(FLAT | {"headline": f"{HEADLINE} - M5 Dergi", "body": "ANKARA (AA) - Putin met Erdoğan."})

    assert (article.headline, article.text) == (HEADLINE, "Putin met Erdoğan.")


def test_naive_published_is_taken_as_utc():
    """Wires often omit the zone; a naive time is UTC, never local time."""
    article = _decode(FLAT | {"published": "2024-07-03T10:00:00"})

    assert article.published == datetime(2024, 7, 3, 10, 0, tzinfo=UTC)


def test_missing_published_uses_fallback_time():
    """Without a published time the article takes the fallback event time (the Kafka timestamp)."""
    payload = {k: v for k, v in FLAT.items() if k != "published"}

    assert _decode(payload).published == FALLBACK


def test_missing_published_without_fallback_is_rejected():
    """No published time and no fallback: there is no event time to work with."""
    payload = {k: v for k, v in FLAT.items() if k != "published"}

    assert _reason(payload, fallback_time=None) == "missing_published"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-03T10:00:00Z", datetime(2024, 7, 3, 10, tzinfo=UTC)),
        ("2024-07-03t10:00:00z", datetime(2024, 7, 3, 10, tzinfo=UTC)),
        ("2024-07-03T10:00:00.123+03:00", datetime(2024, 7, 3, 10, 0, 0, 123000, tzinfo=timezone(timedelta(hours=3)))),
        ("2024-07-03", datetime(2024, 7, 3, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_rfc3339(value, expected):
    """RFC 3339 date-times, lower-case separators included, and bare dates parse."""
    assert parse_time(value) == expected


def test_unparseable_published_is_rejected():
    """A published value that is not a date-time is an invalid article, not a crash."""
    assert _reason(FLAT | {"published": "Wed, 3 Jul 2024"}) == "invalid_published"


@pytest.mark.parametrize("payload", [{k: v for k, v in FLAT.items() if k != "id"}, FLAT | {"id": "   "}])
def test_missing_id_is_rejected(payload):
    """Without `id` or `uri` an article cannot be deduplicated or alerted on."""
    assert _reason(payload) == "missing_id"


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"an article"', b"42", b"null"])
def test_non_object_is_rejected(raw):
    """Valid JSON that is not an object is not an article."""
    with pytest.raises(InvalidArticle) as caught:
        decode_article(raw, fallback_time=FALLBACK)

    assert caught.value.reason == "not_an_object"


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"id": "a"', b"\xff\xfe"])
def test_invalid_json_is_rejected(raw):
    """Bytes that do not decode as JSON are rejected with their reason."""
    with pytest.raises(InvalidArticle) as caught:
        decode_article(raw, fallback_time=FALLBACK)

    assert caught.value.reason == "invalid_json"


@pytest.mark.parametrize(
    "payload",
    [
        FLAT | {"id": 42},
        FLAT | {"headline": ["Leaders", "meet"]},
        FLAT | {"body": {"text": "Putin met Erdoğan."}},
        FLAT | {"published": 1720000000},
        NINJS_2 | {"bodies": "Putin met Erdoğan."},
        NINJS_2 | {"headlines": ["Leaders meet"]},
    ],
    ids=["id", "headline", "body", "published", "bodies", "headlines"],
)
def test_wrong_field_type_is_rejected(payload):
    """A field of the wrong JSON type is a wrong_type rejection, not a crash."""
    assert _reason(payload) == "wrong_type"


def test_article_without_text_is_rejected():
    """An article with neither body nor headline has nothing to process."""
    assert _reason({"id": "wire-1", "published": PUBLISHED}) == "missing_text"


def test_body_over_limit_is_rejected():
    """A body over the limit is dead-lettered, never silently truncated."""
    with pytest.raises(LimitExceeded) as caught:
        _decode(FLAT | {"body": "word " * 50}, limits=Limits(max_body_chars=100))

    assert caught.value.reason == "body_too_large"


def test_message_over_limit_is_rejected_before_parsing():
    """An oversized message is rejected by size alone, even if it is not JSON."""
    with pytest.raises(LimitExceeded) as caught:
        decode_article(b"x" * 101, fallback_time=FALLBACK, limits=Limits(max_message_bytes=100))

    assert caught.value.reason == "message_too_large"


@pytest.mark.parametrize(
    ("payload", "limits", "reason"),
    [
        (FLAT | {"headline": "Leaders " * 20}, Limits(max_headline_chars=50), "headline_too_large"),
        (FLAT | {"id": "x" * 20}, Limits(max_id_chars=10), "id_too_long"),
    ],
)
def test_other_limits_are_enforced(payload, limits, reason):
    """Headline and id limits give their own reasons."""
    with pytest.raises(LimitExceeded) as caught:
        _decode(payload, limits=limits)

    assert caught.value.reason == reason


def test_rejections_are_wirewatch_errors():
    """Agents catch WirewatchError only, so every rejection must be one."""
    with pytest.raises(WirewatchError):
        decode_article(b"{", fallback_time=FALLBACK)


def test_content_hash_ignores_republisher_wrapping():
    """A copy differing only in boilerplate and headline suffix has the same content hash."""
    wrapped = FLAT | {"headline": f"{HEADLINE} - M5 Dergi", "body": f"Abone Ol\n\n{TEXT}\n\nBack to top button"}

    assert content_hash(_decode(wrapped)) == content_hash(_decode(FLAT))


def test_content_hash_changes_with_text():
    """A changed body is a different content, so a re-used id is not taken for a redelivery."""
    changed = FLAT | {"body": "President Erdoğan met President Putin. They talked about Syria."}

    assert content_hash(_decode(changed)) != content_hash(_decode(FLAT))


def test_parse_article_accepts_a_mapping():
    """The shell can hand over an already decoded mapping."""
    article = parse_article(FLAT, fallback_time=None)

    assert article.id == "wire-1"
