"""The two stages every mode runs: `Enricher` (stateless, parallel) and `Decider` (stateful, serial).

`wirewatch replay` and the Faust agents call exactly these; only where state lives differs
(dicts in replay, changelog-backed tables in the service).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from heapq import heappop, heappush
from typing import Any, NamedTuple

from streams.article import Article, Limits, content_hash, decode_article
from streams.dedup import (
    DedupPolicy,
    DedupVerdict,
    StoryEntry,
    StoryIndex,
    entry_from_state,
    event_micros,
    exact_key,
)
from streams.events import MeetingEvent, detect_meetings, first_person_speaker
from streams.fingerprint import encode_signature, fingerprint, fingerprint_from_record, fingerprint_to_record
from streams.rules import AlertState, RuleMatch, RuleSet, group_key, lifecycle, match_rule
from streams.tagger import EntityHit, Tagger
from streams.topics import Taxonomy
from streams.watchlist import Watchlist

__all__ = ["Config", "Decider", "Decision", "Enricher", "State"]

Record = dict[str, Any]
_MAX_SPANS_PER_ENTITY = 10


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the core needs, loaded and validated by the shell."""

    watchlist: Watchlist
    taxonomy: Taxonomy
    rules: RuleSet
    limits: Limits = Limits()  # noqa: RUF009  # frozen values: sharing the default is safe
    dedup: DedupPolicy = DedupPolicy()  # noqa: RUF009


class Enricher:
    """Stage 1: bytes → enriched record (parse, clean, fingerprint, tag, detect). No state."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.tagger = Tagger(config.watchlist, config.taxonomy)
        self._entities = {e.id: e for e in config.watchlist.entities}

    def enrich(self, raw: bytes, *, fallback_time: datetime | None) -> Record:
        """Raises `WirewatchError` for input that must be dead-lettered."""
        article = decode_article(raw, fallback_time=fallback_time, limits=self.config.limits)
        return self.enrich_article(article)

    def enrich_article(self, article: Article) -> Record:
        fp = fingerprint(article.headline, article.text)
        day = article.published.date()
        tagging = self.tagger.tag(article.headline, article.text, day=day)
        speaker = first_person_speaker(
            article.headline, [h.entity.id for h in tagging.entities if h.in_headline and h.entity.is_leader_on(day)]
        )
        # No sentence spans given: the detector splits the text only when it can hold a meeting.
        events = detect_meetings(
            article.text, None, tagging.mentions, self._entities, day=day, speaker=speaker, folded=tagging.folded
        )
        return {
            "id": article.id,
            "source": article.source,
            "url": article.url,
            "headline": article.headline,
            "published": article.published.isoformat(),
            "language": article.language,
            "content_hash": content_hash(article),
            "fingerprint": fingerprint_to_record(fp),
            "entities": [_entity_record(hit, article.text, day) for hit in tagging.entities],
            "topics": [
                {"id": t.topic.id, "iptc": t.topic.iptc, "score": t.score, "terms": list(t.terms)}
                for t in tagging.topics
            ],
            "events": [_event_record(e) for e in events],
            "versions": {"watchlist": self.config.watchlist.version, "topics": self.config.taxonomy.version},
        }


@dataclass(slots=True)
class State:
    """The three tables of stage 2. Values are JSON-able and always replaced, never mutated."""

    articles: MutableMapping[str, Any] = field(default_factory=dict)
    """article id → its verdict (+ fingerprint for originals): redelivery and the story index."""
    clusters: MutableMapping[str, Any] = field(default_factory=dict)
    """cluster id → size, distinct sources, first event time."""
    alerts: MutableMapping[str, Any] = field(default_factory=dict)
    """rule|group → AlertState."""


@dataclass(frozen=True, slots=True)
class Decision:
    article: Record
    """The `wire.articles` record."""
    alerts: tuple[Record, ...]
    redelivered: bool = False
    """The same article (id and content) was decided before: the same outputs repeat (the same alert
    ids, so consumers drop them) and state is unchanged, unless a crash kept the verdict but lost the
    alert state, which is then written. Repeating rather than suppressing the alerts means a crash
    between the state writes and the alert send cannot lose an alert."""


class Decider:
    """Stage 2: dedup verdict, cluster bookkeeping and alert lifecycle, in event-time order per story."""

    def __init__(self, config: Config, state: State) -> None:
        self.config = config
        self.state = state
        self._expiry: list[tuple[int, str, str]] = []
        """(event time in µs since the epoch, table, key): a min-heap of what may expire."""
        self._horizons: tuple[Config, dict[str, int]] | None = None
        """Each table's horizon in µs, for the config they were computed from (the shell may swap it)."""
        self.index = StoryIndex(config.dedup)
        self.rebuild()

    def rebuild(self) -> None:
        """Derive the in-memory index and expiry queue from the tables (after recovery or rebalance)."""
        entries: list[StoryEntry] = []
        self._expiry = []
        for article_id, value in list(self.state.articles.items()):
            if "s" in value:
                entries.append(entry_from_state(article_id, value))
            heappush(self._expiry, (_stamp_micros(value["t"]), "articles", article_id))
        for key, value in list(self.state.clusters.items()):
            heappush(self._expiry, (_stamp_micros(value["t"]), "clusters", key))
        for key, value in list(self.state.alerts.items()):
            heappush(self._expiry, (_stamp_micros(value["t"]), "alerts", key))
        self.index = StoryIndex.rebuilt(self.config.dedup, entries)

    def decide(self, enriched: Record) -> Decision:
        article_id: str = enriched["id"]
        published = datetime.fromisoformat(enriched["published"])
        seen = self.state.articles.get(article_id)
        if seen is not None and seen.get("h") == enriched["content_hash"]:
            verdict = DedupVerdict(seen["c"], seen.get("d"), seen.get("m"))
            cluster = self.state.clusters.get(verdict.cluster_id) or _new_cluster(enriched, published.isoformat())
            record = _article_record(enriched, verdict, cluster)
            # The alert table, not this entry, says which messages the article caused: after a crash the
            # two tables' changelogs may each hold a different part of the last writes.
            return Decision(record, tuple(self._alerts(record, published)), redelivered=True)
        when = _Moment(published, event_micros(published), published.isoformat())
        self._expire(when)
        fp = enriched["fingerprint"]
        verdict = self._dedup(enriched, fp, when)
        cluster = self._count_in_cluster(enriched, verdict, when)
        record = _article_record(enriched, verdict, cluster)
        return Decision(record, tuple(self._alerts(record, published, when.micros)))

    def _dedup(self, enriched: Record, fp: Record, when: _Moment) -> DedupVerdict:
        fingerprint_ = fingerprint_from_record(fp)
        article_id: str = enriched["id"]
        exact = exact_key(fingerprint_.exact)
        signature, shingles = fingerprint_.signature, fingerprint_.shingles
        verdict = self.index.match_story(exact, signature, shingles, when.micros, exclude=article_id)
        seen: Record = {"h": enriched["content_hash"], "t": when.stamp}
        if verdict is None:
            verdict = DedupVerdict(article_id)
            self.index.add_story(article_id, article_id, exact, signature, shingles, when.micros, when.time)
            # entry_to_state's fields, from what is at hand
            seen |= {"c": article_id, "x": fingerprint_.exact, "s": encode_signature(signature), "n": shingles}
        seen |= {"c": verdict.cluster_id, "d": verdict.duplicate_of, "m": verdict.similarity}
        self.state.articles[article_id] = seen
        heappush(self._expiry, (when.micros, "articles", article_id))
        return verdict

    def _count_in_cluster(self, enriched: Record, verdict: DedupVerdict, when: _Moment) -> Record:
        previous = self.state.clusters.get(verdict.cluster_id)
        if previous is None:
            cluster = _new_cluster(enriched, when.stamp)
            heappush(self._expiry, (when.micros, "clusters", verdict.cluster_id))
        else:
            sources = previous["sources"]
            if enriched["source"] not in sources:
                sources = [*sources, enriched["source"]]
            cluster = {"size": previous["size"] + 1, "sources": sources, "t": previous["t"]}
        self.state.clusters[verdict.cluster_id] = cluster
        return cluster

    def _alerts(self, record: Record, published: datetime, published_us: int | None = None) -> Iterable[Record]:
        for rule in self.config.rules.rules:
            for match in match_rule(rule, record):
                key = group_key(rule, match.group)
                stored = self.state.alerts.get(key)
                previous = AlertState.from_state(stored) if stored is not None else None
                kind, state = lifecycle(
                    match,
                    previous,
                    cluster_id=record["cluster_id"],
                    source=record["source"],
                    event_time=published,
                    article_id=record["id"],
                )
                if state is not None and state != previous:  # a redelivery repeats its message, writes nothing
                    self.state.alerts[key] = state.to_state()
                    if kind == "new":
                        micros = event_micros(published) if published_us is None else published_us
                        heappush(self._expiry, (micros, "alerts", key))
                if kind is not None and state is not None:
                    _, corroborations = state.sent_for(record["id"]) or (kind, len(state.sources))
                    yield _alert_record(
                        kind, match, state, record, published, self.config.rules.version, corroborations
                    )

    def _expire(self, now: _Moment) -> None:
        """Drop state older than its horizon, measured from the highest event time seen."""
        for article_id in self.index.advance_micros(now.micros, now.time):
            self.state.articles.pop(article_id, None)
        watermark = self.index.watermark_micros
        horizons = self._horizons_us()
        cutoff = watermark - max(horizons.values())
        expiry = self._expiry
        if not expiry or expiry[0][0] >= cutoff:
            return
        tables = {"articles": self.state.articles, "clusters": self.state.clusters, "alerts": self.state.alerts}
        while expiry and expiry[0][0] < cutoff:
            _, table, key = heappop(expiry)
            stored = tables[table].get(key)
            if stored is not None and _stamp_micros(stored["t"]) < watermark - horizons[table]:
                del tables[table][key]

    def _horizons_us(self) -> dict[str, int]:
        if self._horizons is None or self._horizons[0] is not self.config:
            horizon = self.config.dedup.horizon
            spans = {"articles": horizon, "clusters": horizon, "alerts": self.config.rules.longest_cooldown or horizon}
            self._horizons = (self.config, {table: span // _MICROSECOND for table, span in spans.items()})
        return self._horizons[1]


_MICROSECOND = timedelta(microseconds=1)


class _Moment(NamedTuple):
    """An article's event time in the three forms decide needs: aware datetime, µs since the epoch, ISO text."""

    time: datetime
    micros: int
    stamp: str


def _stamp_micros(stamp: str) -> int:
    """A table value's "t" (ISO 8601 text) as µs since the epoch."""
    return event_micros(datetime.fromisoformat(stamp))


def _alert_record(  # the message gathers all of these
    kind: str,
    match: RuleMatch,
    state: AlertState,
    record: Record,
    published: datetime,
    rules_version: str,
    corroborations: int,
) -> Record:
    """The alert message: what fired (rule and version), for whom, why (evidence spans), from where."""
    rule = match.rule
    names = {e["id"]: e["name"] for e in record["entities"]}
    alert: Record = {
        "alert_id": state.alert_id,
        "kind": kind,
        "rule": rule.id,
        "rule_version": rule.version,
        "severity": rule.severity,
        "topic": rule.topic,
        "fired_at": published.isoformat(),
        "article_id": record["id"],
        "cluster_id": record["cluster_id"],
        "headline": record["headline"],
        "source": record["source"],
        "published": record["published"],
        "entities": [{"id": i, "name": names.get(i, i)} for i in match.entity_ids],
        "evidence": [dict(span) for span in match.evidence],
        "corroborations": corroborations,  # as of this message: a redelivery repeats it unchanged
        "sources": list(state.sources[:corroborations]),
        "rules_version": rules_version,
        "watchlist_version": record["versions"]["watchlist"],
    }
    if match.event is not None:
        alert["event"] = dict(match.event)
    alert["explanation"] = _explanation(alert, rules_version)
    return alert


def _explanation(alert: Record, rules_version: str) -> str:
    """One line a person can read: which rule fired, for whom, on which sentence, from where."""
    who = " + ".join(e["name"] for e in alert["entities"])
    event = alert.get("event") or {}
    how = {"in_person": " in person", "phone": " by phone", "video": " by video"}.get(str(event.get("mode")), "")
    what = {"held": f" held talks{how}", "planned": f" plan talks{how}"}.get(str(event.get("status")), "")
    sentence = next((e["text"] for e in alert["evidence"] if e.get("kind") == "sentence"), None)
    quoted = f' — "{sentence[:200]}"' if sentence else ""
    return (
        f"{alert['rule']} v{alert['rule_version']} (rules {rules_version}): {who}{what}{quoted} "
        f"[{alert['source']}, story {alert['cluster_id']}, {alert['corroborations']} source(s)]"
    )


def _new_cluster(enriched: Record, stamp: str) -> Record:
    return {"size": 1, "sources": [enriched["source"]], "t": stamp}


def _article_record(enriched: Record, verdict: DedupVerdict, cluster: Record) -> Record:
    return {
        "id": enriched["id"],
        "source": enriched["source"],
        "url": enriched["url"],
        "headline": enriched["headline"],
        "published": enriched["published"],
        "language": enriched["language"],
        "cluster_id": verdict.cluster_id,
        "duplicate_of": verdict.duplicate_of,
        "similarity": verdict.similarity,
        "cluster_size": cluster["size"],
        "cluster_sources": cluster["sources"],
        "entities": enriched["entities"],
        "topics": enriched["topics"],
        "events": enriched["events"],
        "versions": enriched["versions"],
    }


def _entity_record(hit: EntityHit, text: str, day: date) -> Record:
    entity = hit.entity
    return {
        "id": entity.id,
        "name": entity.name,
        "type": entity.type,
        "roles": sorted({o.role for o in entity.offices if o.holds_on(day)}) if entity.offices else [],
        "mentions": len(hit.mentions) + hit.in_headline,
        "spans": [  # Mention fields by unpacking, not by name: many spans per article
            {"text": text[start:end], "start": start, "end": end, "kind": via}
            for _, start, end, via in hit.mentions[:_MAX_SPANS_PER_ENTITY]
        ],
    }


def _event_record(event: MeetingEvent) -> Record:
    record: Record = {
        "type": "meeting",
        "status": event.status,
        "mode": event.mode,
        "participants": list(event.participants),
        "evidence": " ".join(s.text for s in event.sentences),
        "spans": [{"text": s.text, "start": s.start, "end": s.end, "kind": s.kind} for s in event.evidence],
    }
    if event.reference:
        record["reference"] = True
    return record
