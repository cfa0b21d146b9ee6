"""Enricher + Decider with in-process state: dedup verdicts, alert lifecycle, determinism, rule files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from agents.resources import parse_document
from streams.article import decode_article
from streams.errors import ConfigError
from streams.pipeline import Decider, Decision, Enricher, State
from streams.rules import AlertState, lifecycle, match_rule, parse_rules

ERDOGAN, PUTIN = "Q39259", "Q7747"
PARTICIPANTS = [ERDOGAN, PUTIN]
SEED_HEADLINE = "Erdoğan invites Putin to Türkiye as leaders discuss strategic ties"
BOILERPLATE = {"Defence NewsÖne Çıkan", "Abone Ol", "Source: Da,lySabah", "Related Articles", "Back to top button"}
INDEPENDENT_BODY = (
    "ASTANA (AA) - Turkish President Recep Tayyip Erdoğan held talks with Russian President Vladimir Putin "
    "on Wednesday on the sidelines of the Shanghai Cooperation Organization summit in Kazakhstan's capital.\n\n"
    "The two leaders discussed bilateral trade, the Akkuyu nuclear power plant and regional conflicts, "
    "Türkiye's Communications Directorate said in a statement. Erdoğan invited Putin to visit Türkiye, "
    "the statement added."
)
LATER_CALL_BODY = (
    "MOSCOW (TASS) - Russian President Vladimir Putin had a telephone conversation with Turkish President "
    "Recep Tayyip Erdoğan on Saturday, the Kremlin press service said.\n\n"
    "The leaders discussed the situation in Syria and the grain corridor, and agreed to stay in contact."
)
SEED_TIME = datetime(2024, 7, 3, 11, 0, tzinfo=UTC)


def _at(offset: timedelta) -> str:
    return (SEED_TIME + offset).isoformat()


@pytest.fixture(scope="module")
def enricher(small_config) -> Enricher:
    return Enricher(small_config)


@pytest.fixture
def seed_raw(seed_text, make_article) -> bytes:
    """The seed as M5 Dergi served it."""
    headline, body = seed_text
    return make_article("m5-seed", headline=headline, body=body, source="M5 Dergi", published=_at(timedelta(0)))


@pytest.fixture
def copy_raw(seed_text, make_article) -> bytes:
    """The same story from Daily Sabah: no boilerplate, its own headline, two hours earlier."""
    _, body = seed_text
    lines = [line for line in body.split("\n") if line.strip() not in BOILERPLATE | {SEED_HEADLINE}]
    return make_article(
        "dailysabah-1",
        headline="Erdoğan invites Putin to Türkiye during Astana talks",
        body="\n".join(lines),
        source="Daily Sabah",
        url="https://www.dailysabah.com/politics/diplomacy/erdogan-invites-putin",
        published=_at(timedelta(hours=-2)),
    )


@pytest.fixture
def independent_raw(make_article) -> bytes:
    """Another outlet's own report of the same meeting, five hours after the seed."""
    return make_article(
        "aa-1",
        headline="Erdoğan, Putin hold talks in Astana",
        body=INDEPENDENT_BODY,
        source="Anadolu Agency",
        published=_at(timedelta(hours=5)),
    )


@pytest.fixture
def later_raw(make_article) -> bytes:
    """A report of a later phone call, after the rule's 48 h cooldown."""
    return make_article(
        "tass-1",
        headline="Putin, Erdoğan talk by phone",
        body=LATER_CALL_BODY,
        source="TASS",
        published=_at(timedelta(days=3)),
    )


@pytest.fixture
def run(small_config, enricher):
    """Feed raw articles, in order, through a fresh Decider; return its decisions."""

    def feed(*raws: bytes, state: State | None = None) -> list[Decision]:
        decider = Decider(small_config, state if state is not None else State())
        return [decider.decide(enricher.enrich(raw, fallback_time=None)) for raw in raws]

    return feed


def _meeting_alerts(decision: Decision) -> list[dict]:
    return [alert for alert in decision.alerts if alert["rule"] == "leaders-meeting"]


def _all_meeting_alerts(decisions: list[Decision]) -> list[dict]:
    return [alert for decision in decisions for alert in _meeting_alerts(decision)]


def test_seed_and_clean_copy_give_one_new_meeting_alert(run, seed_raw, copy_raw):
    """Two copies of one story from two outlets give exactly one `new` leaders-meeting alert."""
    decisions = run(seed_raw, copy_raw)

    alerts = _all_meeting_alerts(decisions)
    assert [alert["kind"] for alert in alerts] == ["new"]
    assert [entity["id"] for entity in alerts[0]["entities"]] == PARTICIPANTS
    assert alerts[0]["entities"][0]["name"] == "Recep Tayyip Erdoğan"
    assert alerts[0]["corroborations"] == 1
    assert alerts[0]["article_id"] == "m5-seed"
    assert alerts[0]["severity"] == "high"
    assert alerts[0]["topic"] == "wire.alerts"


def test_clean_copy_is_a_duplicate_of_the_first(run, seed_raw, copy_raw):
    """The second copy points at the first copy seen, and the cluster counts both outlets."""
    first, second = run(seed_raw, copy_raw)

    assert (first.article["cluster_id"], first.article["duplicate_of"], first.article["similarity"]) == (
        "m5-seed",
        None,
        None,
    )
    assert (second.article["cluster_id"], second.article["duplicate_of"]) == ("m5-seed", "m5-seed")
    assert 0.5 <= second.article["similarity"] <= 1.0
    assert second.article["cluster_size"] == 2
    assert second.article["cluster_sources"] == ["M5 Dergi", "Daily Sabah"]


def test_article_record_has_the_contract_fields(run, seed_raw):
    """The enriched record carries the DESIGN §2 fields for the seed."""
    (decision,) = run(seed_raw)
    record = decision.article

    assert record["headline"] == SEED_HEADLINE
    assert record["published"] == "2024-07-03T11:00:00+00:00"
    assert {t["id"] for t in record["topics"]} == {"energy", "ukraine", "syria"}
    assert [(e["type"], e["status"], e["mode"], e["participants"]) for e in record["events"]] == [
        ("meeting", "held", "in_person", PARTICIPANTS)
    ]
    assert "met Russian President Vladimir Putin" in record["events"][0]["evidence"]
    putin = next(e for e in record["entities"] if e["id"] == PUTIN)
    assert (putin["name"], putin["type"]) == ("Vladimir Putin", "person")
    assert putin["mentions"] >= 15


def test_redelivered_article_repeats_its_verdict_and_alerts(run, seed_raw, copy_raw):
    """A redelivery (same id, same content) repeats the same verdict and the very same alert messages
    (same ids: no second alert), so a crash between state write and send cannot lose an alert."""
    decisions = run(seed_raw, copy_raw, seed_raw, copy_raw)

    assert [d.redelivered for d in decisions] == [False, False, True, True]
    assert decisions[0].alerts
    assert decisions[2].alerts == decisions[0].alerts
    assert decisions[3].alerts == ()
    for original, again in [(decisions[0], decisions[2]), (decisions[1], decisions[3])]:
        keys = ("cluster_id", "duplicate_of", "similarity")
        assert [again.article[k] for k in keys] == [original.article[k] for k in keys]


def test_redelivery_leaves_state_unchanged(small_config, enricher, seed_raw):
    """Deciding a redelivered article writes nothing to the tables."""
    state = State()
    decider = Decider(small_config, state)
    decider.decide(enricher.enrich(seed_raw, fallback_time=None))
    before = orjson.dumps([dict(state.articles), dict(state.clusters), dict(state.alerts)])

    decider.decide(enricher.enrich(seed_raw, fallback_time=None))

    assert orjson.dumps([dict(state.articles), dict(state.clusters), dict(state.alerts)]) == before


def test_reused_id_with_new_content_is_not_a_redelivery(run, seed_raw, make_article):
    """The same id with a different text is a new version, decided again."""
    other = make_article("m5-seed", headline="Something else", body=LATER_CALL_BODY, published=_at(timedelta(hours=1)))

    decisions = run(seed_raw, other)

    assert [d.redelivered for d in decisions] == [False, False]


def test_independent_report_within_cooldown_is_an_update(run, seed_raw, copy_raw, independent_raw):
    """Another outlet's own report of the meeting corroborates the alert already sent."""
    decisions = run(seed_raw, copy_raw, independent_raw)

    alerts = _all_meeting_alerts(decisions)
    assert [alert["kind"] for alert in alerts] == ["new", "update"]
    assert alerts[1]["alert_id"] == alerts[0]["alert_id"]
    assert alerts[1]["corroborations"] == 2
    assert alerts[1]["article_id"] == "aa-1"
    assert decisions[2].article["duplicate_of"] is None


def test_same_outlet_again_is_not_a_corroboration(run, seed_raw, make_article):
    """A second, different story from the outlet that was already counted adds nothing."""
    again = make_article("m5-2", headline="Astana talks", body=INDEPENDENT_BODY, source="M5 Dergi")

    decisions = run(seed_raw, again)

    assert [alert["kind"] for alert in _all_meeting_alerts(decisions)] == ["new"]


def test_report_after_cooldown_is_a_new_alert(run, seed_raw, independent_raw, later_raw):
    """Past the rule's cooldown (event time) the same leaders meeting again fire a second `new`."""
    decisions = run(seed_raw, independent_raw, later_raw)

    alerts = _all_meeting_alerts(decisions)
    assert [alert["kind"] for alert in alerts] == ["new", "update", "new"]
    assert alerts[2]["alert_id"] != alerts[0]["alert_id"]
    assert alerts[2]["corroborations"] == 1


def test_alert_ids_are_identical_across_replays(run, seed_raw, copy_raw, independent_raw, later_raw):
    """Two fresh replays of the same input give the same alerts, ids included."""
    first = run(seed_raw, copy_raw, independent_raw, later_raw)
    second = run(seed_raw, copy_raw, independent_raw, later_raw)

    assert [a for d in first for a in d.alerts] == [a for d in second for a in d.alerts]
    assert [d.article for d in first] == [d.article for d in second]


def test_restarted_decider_keeps_its_memory(run, seed_raw, copy_raw, independent_raw):
    """A Decider rebuilt from the same tables (a restart) still sees the story and the alert."""
    state = State()
    run(seed_raw, state=state)

    copy_decision, independent_decision = run(copy_raw, independent_raw, state=state)

    assert copy_decision.article["duplicate_of"] == "m5-seed"
    assert [alert["kind"] for alert in _meeting_alerts(independent_decision)] == ["update"]


def test_state_is_json_able(small_config, enricher, seed_raw, copy_raw):
    """Table values survive a JSON round trip: they can live in changelog topics."""
    state = State()
    decider = Decider(small_config, state)
    for raw in (seed_raw, copy_raw):
        decider.decide(enricher.enrich(raw, fallback_time=None))

    for table in (state.articles, state.clusters, state.alerts):
        assert orjson.loads(orjson.dumps(dict(table))) == dict(table)


def test_alert_evidence_spans_select_the_article_text(run, seed_raw):
    """Every evidence span's text is the article text at its offsets, and one is the meeting sentence."""
    (decision,) = run(seed_raw)
    text = decode_article(seed_raw, fallback_time=None).text
    (alert,) = _meeting_alerts(decision)

    for span in alert["evidence"]:
        assert span["text"] == text[span["start"] : span["end"]]
    sentences = [span["text"] for span in alert["evidence"] if span["kind"] == "sentence"]
    assert any(s.startswith("President Recep Tayyip Erdoğan met Russian President Vladimir Putin") for s in sentences)


def test_planned_meeting_does_not_fire(run, make_article):
    """The default rule wants a held meeting: a planned one gives no alert."""
    raw = make_article(body="Vladimir Putin will meet Recep Tayyip Erdoğan next week in Sochi, the Kremlin said.")

    (decision,) = run(raw)

    assert decision.article["events"][0]["status"] == "planned"
    assert _meeting_alerts(decision) == []


def test_energy_facility_rule_needs_the_energy_topic(run, seed_raw, make_article):
    """The facility rule fires on the seed (energy + Akkuyu) but not on a passing mention of Akkuyu."""
    passing = make_article("p-1", headline="Tourism grows", body="Tourists visited the coast near Akkuyu this summer.")

    seed_decision, passing_decision = run(seed_raw, passing)

    assert [a["entities"] for a in seed_decision.alerts if a["rule"] == "energy-facility"] == [
        [{"id": "ww:akkuyu-npp", "name": "Akkuyu Nuclear Power Plant"}]
    ]
    assert passing_decision.alerts == ()


def test_lifecycle_update_keeps_the_first_fire_time(small_config):
    """An update keeps the alert id and fired_at; the cooldown runs from the first alert."""
    rule = small_config.rules.rules[0]
    (match,) = match_rule(
        rule,
        {
            "cluster_id": "c1",
            "topics": [],
            "events": [{"type": "meeting", "status": "held", "participants": PARTICIPANTS, "spans": []}],
        },
    )
    kind, state = lifecycle(match, None, cluster_id="c1", source="A", event_time=SEED_TIME)
    previous = AlertState.from_state(state.to_state())

    update = lifecycle(match, previous, cluster_id="c2", source="B", event_time=SEED_TIME + rule.cooldown)
    late = lifecycle(match, previous, cluster_id="c3", source="C", event_time=SEED_TIME + rule.cooldown * 2)

    assert kind == "new"
    assert (update[0], update[1].alert_id, update[1].fired_at) == ("update", state.alert_id, SEED_TIME)
    assert late[0] == "new"


RULES = """version: "t-1"
rules:
  - id: leaders-meeting
    version: "1"
    severity: high
    topic: wire.alerts
    cooldown_hours: 48
    when:
      event: {type: meeting, status: [held]}
  - id: energy-facility
    version: "1"
    severity: medium
    topic: wire.alerts.energy
    cooldown_hours: 24
    when:
      topics: {all: [energy]}
      entities: {types: [facility]}
"""


def test_rules_defaults():
    """A meeting rule groups by participants, an entity rule by entities, unless told otherwise."""
    rules = parse_document(RULES, "rules.yaml", parse_rules)

    assert [(r.id, r.group_by, r.cooldown) for r in rules.rules] == [
        ("leaders-meeting", "participants", timedelta(hours=48)),
        ("energy-facility", "entities", timedelta(hours=24)),
    ]
    assert rules.topics == ("wire.alerts", "wire.alerts.energy")


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("severity: high", "severity: urgent", "rules.yaml:5: rules[0].severity: must be one of"),
        (
            "status: [held]",
            "status: [rumoured]",
            "rules.yaml:9: rules[0].when.event.status[0]: must be one of held, planned",
        ),
        ("cooldown_hours: 48", "cooldown_hours: -1", "rules.yaml:7: rules[0].cooldown_hours: must be at least 0"),
        ("cooldown_hours: 48", 'cooldown_hours: "48h"', "rules.yaml:7: rules[0].cooldown_hours: must be a number"),
        ("type: meeting", "type: protest", "rules.yaml:9: rules[0].when.event.type: must be one of meeting"),
        ("id: energy-facility", "id: leaders-meeting", "rules.yaml:10: rules[1].id: duplicate rule id"),
        ("      topics:", "      topic:", "rules.yaml:16: rules[1].when.topic: unknown field"),
        ("    topic: wire.alerts\n", "", "rules.yaml:3: rules[0].topic: must be a non-empty string, got nothing"),
        (
            "      topics: {all: [energy]}\n      entities: {types: [facility]}\n",
            "      {}\n",
            "rules.yaml:15: rules[1].when: needs at least one of event, topics, entities",
        ),
    ],
    ids=["severity", "status", "negative", "not-a-number", "event-type", "duplicate", "unknown", "missing", "empty"],
)
def test_rule_errors_name_file_line_and_field(old, new, where):
    """A mistake in a rules file names the file, the line and the field path."""
    assert old in RULES

    with pytest.raises(ConfigError) as caught:
        parse_document(RULES.replace(old, new, 1), "rules.yaml", parse_rules)

    assert str(caught.value).startswith(where)
