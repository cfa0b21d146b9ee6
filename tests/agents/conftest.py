"""The in-process service the agent tests drive with `agent.test_context()`."""

from __future__ import annotations

import asyncio
from unittest.mock import AsyncMock

import pytest

from agents.service import Service, build_service
from agents.settings import Settings
from streams.pipeline import Config


@pytest.fixture
async def service(small_config: Config) -> Service:
    """A service on the memory store with every outbound send captured."""
    settings = Settings(app_id="wirewatch-agent-test", store="memory://", web_port=60666)
    built = build_service(settings, small_config, ["wire.raw.test"], faust_metrics=False)
    built.app.loop = asyncio.get_running_loop()
    built.app.finalize()
    built.app.flow_control.resume()
    built.enriched_topic.send = AsyncMock()
    for topic in built.output_topics.values():
        topic.send = AsyncMock()
    return built
