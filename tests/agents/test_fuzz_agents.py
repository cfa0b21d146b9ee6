"""The agents in-process (test_context, memory store): nasty payloads and a bug in the core never stop them,
and nothing they receive is acknowledged without an output."""

from __future__ import annotations

import base64

import orjson

from streams.pipeline import Decider, Enricher
from tests.agents.support import sent_records
from tests.unit.test_fuzz_enrich import NASTY


async def test_every_nasty_payload_is_forwarded_or_dead_lettered(service):
    """The whole curated corpus through the enrich agent: one output per input, none lost, the agent alive."""
    async with service.enrich_agent.test_context() as agent:
        for _, raw, _ in NASTY:
            await agent.put(raw)
    forwarded = sent_records(service.enriched_topic)
    dead = sent_records(service.output_topics["wire.deadletter"])

    assert len(forwarded) + len(dead) == len(NASTY)
    expected_dead = sorted(reason for _, _, reason in NASTY if reason != "ok")
    assert sorted(d["reason"] for d in dead) == expected_dead
    by_reason = {d["reason"]: d for d in dead}
    assert by_reason["message_too_large"]["original_truncated"] is True
    assert by_reason["message_too_large"]["original_size"] > 10_000_000


async def test_unexpected_exception_in_enrich_is_dead_lettered_as_processing_error(service, make_article, monkeypatch):
    """A bug in the core (not a WirewatchError) parks the record with reason processing_error, the exception's
    type and the original bytes; the next article still flows."""
    real_enrich = Enricher.enrich

    def buggy(self, raw, *, fallback_time):
        if b"boom" in raw:
            message = "division by zero"
            raise ZeroDivisionError(message)
        return real_enrich(self, raw, fallback_time=fallback_time)

    monkeypatch.setattr(Enricher, "enrich", buggy)
    poison = make_article("boom-1")
    async with service.enrich_agent.test_context() as agent:
        await agent.put(poison)
        await agent.put(make_article("after-1"))

    [dead] = sent_records(service.output_topics["wire.deadletter"])
    assert (dead["reason"], dead["error_type"], dead["stage"]) == ("processing_error", "ZeroDivisionError", "enrich")
    assert dead["error"] == "ZeroDivisionError: division by zero"
    assert base64.b64decode(dead["original"]) == poison
    assert [r["id"] for r in sent_records(service.enriched_topic)] == ["after-1"]


async def test_unexpected_exception_in_decide_is_dead_lettered_as_processing_error(service, make_article, monkeypatch):
    """The same holds in the decision stage: the enriched record is parked and the next one is decided."""
    async with service.enrich_agent.test_context() as agent:
        await agent.put(make_article("boom-2", source="Wire A"))
        await agent.put(make_article("after-2", source="Wire B", headline="Other", body="Markets fell sharply."))
    enriched = [call.kwargs["value"] for call in service.enriched_topic.send.await_args_list]
    real_decide = Decider.decide

    def buggy(self, record):
        if record["id"] == "boom-2":
            message = "cluster"
            raise KeyError(message)
        return real_decide(self, record)

    monkeypatch.setattr(Decider, "decide", buggy)
    async with service.decide_agent.test_context() as agent:
        for value in enriched:
            await agent.put(value)

    [dead] = sent_records(service.output_topics["wire.deadletter"])
    assert (dead["reason"], dead["error_type"], dead["stage"]) == ("processing_error", "KeyError", "decide")
    assert orjson.loads(base64.b64decode(dead["original"]))["id"] == "boom-2"
    assert [a["id"] for a in sent_records(service.output_topics["wire.articles"])] == ["after-2"]
