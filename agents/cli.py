"""`wirewatch` command line: replay, worker, ingest, tail, config."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from agents.replay import STDIN, Progress, format_summary, input_label, read_lines, replay
from agents.resources import load_config
from agents.settings import Settings
from streams.errors import ConfigError
from streams.pipeline import Config

if TYPE_CHECKING:
    from agents.metrics import Recorder

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
    rp.add_argument("inputs", nargs="+", type=Path, metavar="INPUT.jsonl", help="input files; - for standard input")
    rp.add_argument("--articles-out", type=Path, help="write enriched article records here (.jsonl)")
    rp.add_argument("--alerts-out", type=Path, help="write alert records here (.jsonl); default: print alerts")
    rp.add_argument("--deadletter-out", type=Path, help="write rejected lines with their reasons here (.jsonl)")
    _config_options(rp)
    rp.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve the service's Prometheus metrics on http://HOST:PORT/metrics while the replay runs",
    )
    rp.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port (default: %(default)s)")
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
    tl.add_argument(
        "--topic",
        action="append",
        help="topic to follow, repeatable (default: every alert topic of the rules in force)",
    )
    tl.add_argument("--from-beginning", action="store_true", help="start at the oldest message")
    tl.add_argument("--max", type=int, metavar="N", help="stop after N messages")
    tl.add_argument("--idle-timeout", type=float, metavar="S", help="stop after S seconds without a message")
    tl.add_argument("--json", action="store_true", help="print each message as one JSON line")
    tl.set_defaults(run=_tail)

    cf = commands.add_parser(
        "config",
        help="publish or show the rules, watchlist and topics the running workers use",
        description="Workers follow a compacted control topic (WIREWATCH_CONTROL_TOPIC, default "
        "<WIREWATCH_APP_ID>.control.v1) and switch to each valid new version without a restart.",
    )
    actions = cf.add_subparsers(dest="action", required=True, metavar="ACTION")
    pb = actions.add_parser(
        "publish",
        help="validate files and publish them to the running workers",
        description="Validate each file with the workers' own parsers; publish only if all are valid "
        "(exit status 2 and the file, line and field of the first problem otherwise).",
    )
    pb.add_argument("--rules", type=Path, help="alert rules file (YAML/JSON)")
    pb.add_argument("--watchlist", type=Path, action="append", default=[], help="watchlist file; repeat to merge")
    pb.add_argument("--topics", type=Path, help="topic taxonomy file")
    pb.set_defaults(run=_config_publish)
    sh = actions.add_parser("show", help="print the latest published version of each document")
    sh.set_defaults(run=_config_show)
    return parser


def _config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--watchlist",
        type=Path,
        action="append",
        help="watchlist file (YAML/JSON); repeat to merge several; `default` names the shipped one",
    )
    parser.add_argument("--rules", type=Path, help="alert rules file (default: the shipped rules)")
    parser.add_argument("--topics", type=Path, help="topic taxonomy file (default: the shipped taxonomy)")


def _replay(args: argparse.Namespace) -> int:
    for path in args.inputs:
        if str(path) != STDIN and (not path.is_file() or not os.access(path, os.R_OK)):
            print(f"wirewatch replay: cannot read {path}", file=sys.stderr)
            return EXIT_USAGE
    horizon = Settings.from_env(os.environ).dedup_horizon  # the service's setting, so a replay gives its answers
    config = load_config(args.watchlist or (), args.topics, args.rules, dedup_horizon=horizon)
    recorder, server = None, None
    if args.metrics_port is not None:
        try:
            recorder, server = _serve_replay_metrics(args, config)
        except OSError as exc:
            print(
                f"wirewatch replay: cannot serve metrics on {args.metrics_host}:{args.metrics_port}: {exc}",
                file=sys.stderr,
            )
            return EXIT_USAGE
    sizes = [0 if str(path) == STDIN else path.stat().st_size for path in args.inputs]
    progress = Progress(None if STDIN in map(str, args.inputs) else sum(sizes))
    outs = {name: _open_output(getattr(args, name)) for name in ("articles_out", "alerts_out", "deadletter_out")}
    try:
        summary = replay(config, progress.wrap(read_lines(args.inputs)), recorder=recorder, **outs)
    finally:
        progress.close()
        for handle in outs.values():
            if handle is not None:
                handle.close()
        if server is not None:
            server.shutdown()
            server.server_close()
    if args.alerts_out is None:
        for alert in summary.alerts:
            print(format_alert(alert))
    sys.stdout.flush()
    print(format_summary(summary, [rule.id for rule in config.rules.rules]), file=sys.stderr)
    return 0


def _serve_replay_metrics(args: argparse.Namespace, config: Config) -> tuple[Recorder, Any]:
    """The worker's series (no latencies, no lag), labelled by input file, on a small HTTP server."""
    from prometheus_client import start_http_server

    from agents.metrics import Recorder, init_series, set_build_info, set_config_versions

    server, _ = start_http_server(args.metrics_port, addr=args.metrics_host)
    set_build_info()
    set_config_versions(config)
    init_series(config, sorted({input_label(str(path)) for path in args.inputs}))
    return Recorder(latency=False), server


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
    sent = asyncio.run(produce_lines(settings.broker_url, args.topic, pairs, security=settings.kafka))
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
    topics = args.topic or asyncio.run(_alert_topics(settings))

    async def run() -> int:
        count = 0
        async for _, value in follow(
            settings.broker_url,
            topics,
            from_beginning=args.from_beginning,
            idle_timeout=args.idle_timeout,
            security=settings.kafka,
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


async def _alert_topics(settings: Settings) -> list[str]:
    """The alert topics of the rules in force: the latest published rules, else the rules file."""
    from agents.control import latest
    from agents.kafka_io import matching_topics
    from agents.resources import load_rules, parse_document
    from streams.rules import parse_rules

    rules = load_rules(settings.rules_file) if settings.rules_file else load_config().rules
    if await matching_topics(settings.broker_url, f"^{re.escape(settings.control)}$", security=settings.kafka):
        message = (await latest(settings.broker_url, settings.control, security=settings.kafka)).get("rules")
        documents = message.get("documents") if message else None
        if isinstance(documents, list) and documents:
            with contextlib.suppress(ConfigError):  # the workers rejected it too: they keep the rules above
                rules = parse_document(documents[0]["text"], documents[0]["name"], parse_rules)
    return list(rules.topics)


def _config_publish(args: argparse.Namespace) -> int:
    from agents.control import encode, files_by_kind, publish

    chosen = files_by_kind(args.rules, args.watchlist, args.topics)
    if not chosen:
        print("wirewatch config publish: nothing to publish (give --rules, --watchlist or --topics)", file=sys.stderr)
        return EXIT_USAGE
    messages = [(kind, encode(kind, paths)) for kind, paths in chosen]  # all valid, or nothing is sent
    settings = Settings.from_env(os.environ)
    offsets = asyncio.run(publish(settings.broker_url, settings.control, messages, security=settings.kafka))
    for (kind, message), offset in zip(messages, offsets, strict=True):
        version = orjson.loads(message)["version"]
        print(f"wirewatch config publish: {kind} {version} -> {settings.control} (offset {offset})", file=sys.stderr)
    return 0


def _config_show(args: argparse.Namespace) -> int:
    from agents.control import latest

    settings = Settings.from_env(os.environ)
    found = asyncio.run(latest(settings.broker_url, settings.control, security=settings.kafka))
    if not found:
        print(f"nothing published on {settings.control}: workers use their files", file=sys.stderr)
    for kind, message in sorted(found.items()):
        print(f"{kind}\t{message.get('version')}\t{message.get('published_at')}\toffset {message['offset']}")
    return 0
