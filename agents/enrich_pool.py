"""Stage 1 (enrich: stateless, CPU-bound) in worker processes, off the event loop.

With `WIREWATCH_ENRICH_PROCESSES=N` (> 0) the enrich agent hands each batch of raw messages to a pool of N
processes and awaits the results, so the event loop meanwhile fetches, decides and sends: on a machine
with a spare core, enrich and decide run in parallel. A child builds its `Enricher` from the pickled
configuration once per configuration version (a control-topic change brings a new one). Errors come back
as values, never raised across the process boundary.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from typing import Any

from streams.errors import WirewatchError
from streams.pipeline import Config, Enricher

__all__ = ["EnrichPool", "Outcome", "enrich_batch"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result for one raw message: its record, or the error to dead-letter (with the traceback of a bug)."""

    record: dict[str, Any] | None
    error: WirewatchError | None
    unexpected: tuple[str, str, str] | None
    """(exception type, message, traceback) of an exception that is not a WirewatchError: a bug in the core."""
    seconds: float


_ENRICHERS: dict[int, Enricher] = {}
"""In a child: the enricher of the configuration version it last saw."""


def _exit_with_parent(parent: int) -> None:
    """In a child: exit when the worker that started it is gone (a SIGKILLed worker runs no shutdown, and
    the pool's queues do not tell the child)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def enrich_batch(version: int, config: bytes, items: list[tuple[bytes, datetime | None]]) -> list[Outcome]:
    """Run in a child process: enrich each raw value, never raising."""
    enricher = _ENRICHERS.get(version)
    if enricher is None:
        _ENRICHERS.clear()
        enricher = _ENRICHERS[version] = Enricher(pickle.loads(config))  # noqa: S301  # our own parent's bytes
    out = []
    for value, fallback in items:
        started = time.perf_counter()
        try:
            record = enricher.enrich(value, fallback_time=fallback)
        except WirewatchError as exc:
            out.append(Outcome(None, exc, None, time.perf_counter() - started))
        except Exception as exc:  # noqa: BLE001  # a bug in the core: the parent logs its traceback, dead-letters it
            unexpected = (type(exc).__name__, str(exc), traceback.format_exc())
            out.append(Outcome(None, None, unexpected, time.perf_counter() - started))
        else:
            out.append(Outcome(record, None, None, time.perf_counter() - started))
    return out


class EnrichPool:
    """A process pool for `enrich_batch`, and the pickled configuration of the enricher in force."""

    def __init__(self, processes: int) -> None:
        # spawn, not fork: the parent runs threads (RocksDB, the event loop's executor) a fork would copy mid-state.
        self.executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        self._enricher: Enricher | None = None
        self._version = 0
        self._config = b""

    def arguments(self, enricher: Enricher, config: Config) -> tuple[int, bytes]:
        """(version, pickled configuration) for the enricher in force; pickled once per version."""
        if enricher is not self._enricher:
            self._enricher, self._version, self._config = enricher, self._version + 1, pickle.dumps(config)
        return self._version, self._config

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
