"""Rules as data (conditions, validation) and the alert lifecycle (new, update, cooldown, repeats)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.resources import parse_document
from streams.errors import ConfigError
from streams.rules import AlertState, RuleMatch, lifecycle, match_rule, parse_rules

T0 = datetime(2022, 2, 7, 18, 0, tzinfo=UTC)
PUTIN, MACRON, SCHOLZ = "Q7747", "Q3052772", "Q61053"

RULES = """version: "r-1"
rules:
  - id: leaders-meeting
    version: 3
    severity: high
    topic: wire.alerts
    cooldown_hours: 48
    same_source_repeat_hours: 12
    when:
      event: {type: meeting, status: [held], modes: [phone, in_person]}
  - id: putin-meetings
    version: "1"
    severity: critical
    topic: wire.alerts.putin
    cooldown_hours: 24
    when:
      event: {type: meeting, participants: {any: [Q7747]}}
  - id: ministers
    version: "1"
    severity: low
    topic: wire.alerts.ministers
    cooldown_hours: 24
    when:
      entities: {roles: [minister]}
"""


@pytest.fixture(scope="module")
def rules():
    return {rule.id: rule for rule in parse_document(RULES, "rules.yaml", parse_rules).rules}


def _event(participants, *, mode="phone", status="held", reference=False):
    event = {"type": "meeting", "status": status, "mode": mode, "participants": participants, "spans": []}
    return event | ({"reference": True} if reference else {})


def _article(*events, entities=()):
    return {"cluster_id": "c1", "topics": [], "events": list(events), "entities": list(entities)}


def test_rule_fields_are_parsed(rules):
    """A numeric version is kept as text; conditions and the repeat window are read."""
    meeting = rules["leaders-meeting"]

    assert (meeting.version, meeting.event_modes, meeting.same_source_repeat) == (
        "3",
        ("phone", "in_person"),
        timedelta(hours=12),
    )
    assert rules["putin-meetings"].participants_any == (PUTIN,)
    assert rules["ministers"].entity_roles == ("minister",)


def test_each_reported_meeting_is_a_match(rules):
    """An article reporting two meetings matches once for each participant set."""
    article = _article(_event([MACRON, PUTIN]), _event([PUTIN, SCHOLZ]))

    assert [m.group for m in match_rule(rules["leaders-meeting"], article)] == [(MACRON, PUTIN), (SCHOLZ, PUTIN)]


def test_conditions_filter_events_and_entities(rules):
    """Mode, participant and role conditions select what they name, and nothing else."""
    video = _article(_event([MACRON, PUTIN], mode="video"))
    without_putin = _article(_event([MACRON, SCHOLZ]))
    minister = {"id": "Q1", "name": "A Minister", "type": "person", "roles": ["minister"], "spans": []}
    leader = {"id": "Q2", "name": "A Leader", "type": "person", "roles": ["head_of_state"], "spans": []}

    assert match_rule(rules["leaders-meeting"], video) == ()
    assert match_rule(rules["putin-meetings"], without_putin) == ()
    assert [m.entity_ids for m in match_rule(rules["ministers"], _article(entities=[minister, leader]))] == [("Q1",)]


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("modes: [phone, in_person]", "modes: [telepathy]", "rules.yaml:10: rules[0].when.event.modes[0]: must be one"),
        ("topic: wire.alerts\n", "topic: wire alerts!\n", "rules.yaml:6: rules[0].topic: is not a valid Kafka topic"),
        ("same_source_repeat_hours: 12", "same_source_repeat_hours: 0", "rules.yaml:8: rules[0].same_source_repeat"),
        ("participants: {any: [Q7747]}", "participants: {some: [Q7747]}", "rules.yaml:17: rules[1].when.event.part"),
        ("roles: [minister]", "roles: minister", "rules.yaml:24: rules[2].when.entities.roles: must be a list"),
    ],
    ids=["mode", "topic-name", "repeat", "participants-key", "roles-type"],
)
def test_rule_errors_name_file_line_and_field(old, new, where):
    """A mistake in the new rule fields names the file, the line and the field."""
    assert old in RULES
    with pytest.raises(ConfigError) as caught:
        parse_document(RULES.replace(old, new, 1), "rules.yaml", parse_rules)

    assert str(caught.value).startswith(where)


def test_empty_rule_list_is_rejected():
    """A rules document must contain at least one rule."""
    with pytest.raises(ConfigError, match="needs at least one rule"):
        parse_document('version: "x"\nrules: []\n', "rules.yaml", parse_rules)


def _match(rule, participants=(MACRON, PUTIN), **event) -> RuleMatch:
    (match,) = match_rule(rule, _article(_event(list(participants), **event)))
    return match


def _run(rule, reports, **event):
    """Feed (cluster, source, hours after T0) reports through the lifecycle; the kinds sent."""
    state, kinds = None, []
    for cluster, source, hours in reports:
        kind, state = lifecycle(
            _match(rule, **event), state, cluster_id=cluster, source=source, event_time=T0 + timedelta(hours=hours)
        )
        state = AlertState.from_state(state.to_state()) if state else None  # through the table's JSON
        kinds.append(kind)
    return kinds, state


def test_copies_and_same_outlet_are_silent_new_sources_update(rules):
    """A copy (same story) and the same outlet send nothing; a new story from a new outlet is an update."""
    kinds, state = _run(rules["putin-meetings"], [("c1", "A", 0), ("c1", "B", 1), ("c2", "A", 2), ("c3", "B", 3)])

    assert kinds == ["new", None, None, "update"]
    assert (state.sources, state.clusters) == (("A", "B"), ("c1", "c3"))


def test_cooldown_is_event_time_from_the_first_alert(rules):
    """Past the cooldown (counted from the first alert, in event time) the same group fires a new alert."""
    kinds, _ = _run(rules["putin-meetings"], [("c1", "A", 0), ("c2", "B", 23), ("c3", "C", 25)])

    assert kinds == ["new", "update", "new"]


def test_same_source_repeat_is_a_new_contact(rules):
    """With same_source_repeat, an outlet reporting the group again 12 h after its last report starts a new
    alert; its follow-ups within 12 h do not, and each follow-up moves the 12 h on."""
    kinds, _ = _run(rules["leaders-meeting"], [("c1", "K", 0), ("c2", "K", 8), ("c3", "K", 19), ("c4", "K", 32)])

    assert kinds == ["new", None, None, "new"]


def test_a_reference_corroborates_but_never_starts_an_alert(rules):
    """A meeting only referred to ("the recent talks") updates an alert, but alone it fires nothing."""
    first = lifecycle(_match(rules["putin-meetings"], reference=True), None, cluster_id="c1", source="A", event_time=T0)
    _, state = _run(rules["putin-meetings"], [("c1", "A", 0)])
    update = lifecycle(
        _match(rules["putin-meetings"], reference=True),
        state,
        cluster_id="c2",
        source="B",
        event_time=T0 + timedelta(hours=20),
    )

    assert first == (None, None)
    assert update[0] == "update"


def test_alert_ids_are_deterministic(rules):
    """The same story and rule give the same alert id, whatever else happened before."""
    one = lifecycle(_match(rules["putin-meetings"]), None, cluster_id="c9", source="A", event_time=T0)
    two = lifecycle(_match(rules["putin-meetings"]), None, cluster_id="c9", source="Z", event_time=T0 + timedelta(1))

    assert one[1].alert_id == two[1].alert_id


def test_state_without_source_times_still_loads():
    """A table value written before `last_seen` existed is read, with no source times."""
    state = AlertState.from_state({"id": "a", "t": T0.isoformat(), "c": ["c1"], "s": ["A"]})

    assert (state.alert_id, dict(state.last_seen)) == ("a", {})
