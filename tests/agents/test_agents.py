"""The Faust agents in-process (agent.test_context(), memory store): thin adapters around the core."""

from __future__ import annotations

from tests.agents.support import sent_records


async def test_enrich_forwards_an_enriched_record(service, make_article):
    """A raw article becomes one enriched record on the internal topic, with its meeting event."""
    async with service.enrich_agent.test_context() as agent:
        await agent.put(make_article("a-1"))
    [record] = sent_records(service.enriched_topic)
    assert record["id"] == "a-1"
    assert record["events"][0]["participants"] == ["Q39259", "Q7747"]
    assert service.output_topics["wire.deadletter"].send.await_count == 0


async def test_malformed_message_goes_to_deadletter_and_agent_continues(service, make_article):
    """Bad JSON is dead-lettered with its reason and original bytes; the next article still flows."""
    async with service.enrich_agent.test_context() as agent:
        await agent.put(b"{not json")
        await agent.put(make_article("a-2"))
    [dead] = sent_records(service.output_topics["wire.deadletter"])
    assert dead["reason"] == "invalid_json"
    assert dead["original"] == "e25vdCBqc29u"  # base64 of b"{not json"
    assert [r["id"] for r in sent_records(service.enriched_topic)] == ["a-2"]


async def test_decide_marks_copy_and_alerts_once(service, make_article):
    """Two copies of one story: both reach wire.articles, the second as a duplicate; one alert."""
    async with service.enrich_agent.test_context() as agent:
        await agent.put(make_article("orig", source="Wire A"))
        await agent.put(make_article("copy", source="Wire B", headline="Putin and Erdogan meet - Wire B"))
    enriched = [call.kwargs["value"] for call in service.enriched_topic.send.await_args_list]
    async with service.decide_agent.test_context() as agent:
        for value in enriched:
            await agent.put(value)
    articles = sent_records(service.output_topics["wire.articles"])
    assert [(a["id"], a["duplicate_of"]) for a in articles] == [("orig", None), ("copy", "orig")]
    alerts = sent_records(service.output_topics["wire.alerts"])
    assert [(a["kind"], a["rule"], a["article_id"]) for a in alerts] == [("new", "leaders-meeting", "orig")]
    assert service.tables["articles"]["copy"]["d"] == "orig"
