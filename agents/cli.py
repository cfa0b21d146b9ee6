"""`wirewatch` command line: replay, worker, ingest, tail, topics."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from agents.replay import read_lines, replay
from agents.resources import load_config
from agents.settings import Settings
from streams.errors import ConfigError

__all__ = ["format_alert", "main"]

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except ConfigError as exc:
        print(f"wirewatch: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return result


def format_alert(alert: dict[str, Any]) -> str:
    """One readable line per alert message."""
    names = " + ".join(e["name"] for e in alert["entities"])
    return (
        f"[{alert['kind']}] {alert['rule']} ({alert['severity']}) {names} · {alert['published'][:16]} · "
        f"{alert['source']}: {alert['headline']} · sources={alert['corroborations']} id={alert['alert_id']}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description="Stream processor for news wires: dedup syndicated copies, tag watched entities "
        "and topics, detect leaders' meetings, emit alerts.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    rp = commands.add_parser(
        "replay",
        help="run the pipeline on .jsonl files, no broker (embedded mode)",
        description="Process articles from .jsonl files in file order with the same core as the service. "
        "Event time comes from each article. Bad lines go to the dead-letter output; the run goes on.",
    )
    rp.add_argument("inputs", nargs="+", type=Path, metavar="INPUT.jsonl")
    rp.add_argument("--articles-out", type=Path, help="write enriched article records here (.jsonl)")
    rp.add_argument("--alerts-out", type=Path, help="write alert records here (.jsonl); default: print alerts")
    rp.add_argument("--deadletter-out", type=Path, help="write rejected lines with their reasons here (.jsonl)")
    _config_options(rp)
    rp.set_defaults(run=_replay)

    wk = commands.add_parser(
        "worker",
        help="run the Faust service against Kafka",
        description="Consume every raw topic matching WIREWATCH_RAW_TOPIC_PATTERN from WIREWATCH_BROKER_URL "
        "and produce wire.articles, alert topics and wire.deadletter. Creates missing topics first. "
        "Settings come from WIREWATCH_* environment variables (see README).",
    )
    wk.add_argument("--create-topics-only", action="store_true", help="create the topics and exit")
    wk.set_defaults(run=_worker)

    ig = commands.add_parser(
        "ingest",
        help="produce articles from .jsonl files to a raw topic",
        description="Send each non-blank line of the files as one message (key: the article id when the "
        "line is a JSON object with `id`/`uri`) to a raw topic.",
    )
    ig.add_argument("inputs", nargs="+", type=Path, metavar="FILE.jsonl")
    ig.add_argument("--topic", default="wire.raw.default", help="raw topic (default: %(default)s)")
    ig.set_defaults(run=_ingest)

    tl = commands.add_parser(
        "tail",
        help="follow an alert topic",
        description="Print alert messages as readable lines (or raw JSON with --json) as they arrive.",
    )
    tl.add_argument("--topic", action="append", help="topic to follow, repeatable (default: wire.alerts)")
    tl.add_argument("--from-beginning", action="store_true", help="start at the oldest message")
    tl.add_argument("--max", type=int, metavar="N", help="stop after N messages")
    tl.add_argument("--idle-timeout", type=float, metavar="S", help="stop after S seconds without a message")
    tl.add_argument("--json", action="store_true", help="print each message as one JSON line")
    tl.set_defaults(run=_tail)
    return parser


def _config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--watchlist",
        type=Path,
        action="append",
        help="watchlist file (YAML/JSON); repeat to merge several (default: the shipped one)",
    )
    parser.add_argument("--rules", type=Path, help="alert rules file (default: the shipped rules)")
    parser.add_argument("--topics", type=Path, help="topic taxonomy file (default: the shipped taxonomy)")


def _replay(args: argparse.Namespace) -> int:
    for path in args.inputs:
        if not path.is_file() or not os.access(path, os.R_OK):
            print(f"wirewatch replay: cannot read {path}", file=sys.stderr)
            return EXIT_USAGE
    horizon = Settings.from_env(os.environ).dedup_horizon  # the service's setting, so a replay gives its answers
    config = load_config(args.watchlist or (), args.topics, args.rules, dedup_horizon=horizon)
    started = time.perf_counter()
    outs = {name: _open_output(getattr(args, name)) for name in ("articles_out", "alerts_out", "deadletter_out")}
    try:
        summary = replay(config, read_lines(args.inputs), **outs)
    finally:
        for handle in outs.values():
            if handle is not None:
                handle.close()
    elapsed = time.perf_counter() - started
    if args.alerts_out is None:
        for alert in summary.alerts:
            print(format_alert(alert))
    sys.stdout.flush()
    rules = ", ".join(f"{rule}={n}" for rule, n in sorted(summary.alerts_by_rule.items())) or "none"
    print(
        f"wirewatch replay: {summary.articles} articles, {summary.clusters} stories, {summary.duplicates} duplicates, "
        f"{summary.dead_letters} dead letters, alerts: {rules} "
        f"({summary.articles / max(elapsed, 1e-9):.0f} articles/s)",
        file=sys.stderr,
    )
    return 0


def _open_output(path: Path | None) -> BinaryIO | None:
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("wb")


def _worker(args: argparse.Namespace) -> int:
    from agents.worker import run_worker  # Faust is imported only for the service

    return run_worker(Settings.from_env(os.environ), create_topics_only=args.create_topics_only)


def _ingest(args: argparse.Namespace) -> int:
    from agents.kafka_io import produce_lines

    settings = Settings.from_env(os.environ)
    for path in args.inputs:
        if not path.is_file():
            print(f"wirewatch ingest: cannot read {path}", file=sys.stderr)
            return EXIT_USAGE
    pairs = ((_key_of(raw), raw) for _, _, raw in read_lines(args.inputs))
    sent = asyncio.run(produce_lines(settings.broker_url, args.topic, pairs))
    print(f"wirewatch ingest: {sent} messages to {args.topic}", file=sys.stderr)
    return 0


def _key_of(raw: bytes) -> bytes | None:
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    key = (payload.get("id") or payload.get("uri")) if isinstance(payload, dict) else None
    return key.encode() if isinstance(key, str) else None


def _tail(args: argparse.Namespace) -> int:
    from agents.kafka_io import follow

    settings = Settings.from_env(os.environ)
    topics = args.topic or ["wire.alerts"]

    async def run() -> int:
        count = 0
        async for _, value in follow(
            settings.broker_url, topics, from_beginning=args.from_beginning, idle_timeout=args.idle_timeout
        ):
            if args.json:
                print(value.decode("utf-8", "replace"), flush=True)
            else:
                try:
                    print(format_alert(orjson.loads(value)), flush=True)
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    print(value.decode("utf-8", "replace"), flush=True)
            count += 1
            if args.max is not None and count >= args.max:
                break
        return 0

    return asyncio.run(run())
