"""Meeting detection and `new`-alert precision/recall on the labelled press-release sample.

    python bench/meetings_eval.py [--split dev|test|lifecycle|all] [--errors] [--rules FILE]

Gold: tests/data/gold/meetings.jsonl (labelled by hand from the Kremlin and President of Ukraine
press releases in ../shared/data, read through WIREWATCH_SHARED_DATA). Each labelled article lists
the meetings it reports: `held` (the news), `planned`, or `earlier` (a meeting referred to that is
not the article's news). A detected held event is a true positive when its participant set equals
a gold held meeting of that article, neutral when it equals an `earlier` one, and a false positive
otherwise (a planned meeting reported as held is a false positive).

Alerts: the sample runs through the real Enricher and Decider in publication order with the
default rules; every `leaders-meeting` alert is mapped to the real meeting (participants + date)
it reports. Precision of `new` alerts counts only the first `new` for a real meeting; a second
`new` for the same meeting is a duplicate; recall is the share of real meetings that got one.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agents.resources import load_config  # noqa: E402  # after the path tweak, as a script
from streams.article import parse_article  # noqa: E402
from streams.pipeline import Decider, Enricher, State  # noqa: E402

GOLD = REPO / "tests" / "data" / "gold" / "meetings.jsonl"
SHARED = Path(os.environ.get("WIREWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
CORPUS = SHARED / "leaders_pressreleases_2021_2022.jsonl"

Key = tuple[frozenset[str], str]


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    neutral: int = 0
    untagged_fn: int = 0
    errors: list[str] = field(default_factory=list)

    def row(self, name: str) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return (
            f"  {name:<14} {self.tp + self.fn:>5} {self.tp + self.fp:>5} {self.tp:>4} {self.fp:>4} {self.fn:>4} "
            f"{self.neutral:>7} {precision:>9.3f} {recall:>7.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "lifecycle", "all"), default="all")
    parser.add_argument("--errors", action="store_true", help="print every false positive and negative")
    parser.add_argument("--rules", type=Path, help="rules file (default: the shipped rules)")
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"corpus not found: {CORPUS} (set WIREWATCH_SHARED_DATA)", file=sys.stderr)
        return 2
    gold = [orjson.loads(line) for line in GOLD.read_bytes().splitlines() if line.strip()]
    gold = [g for g in gold if args.split in ("all", g["split"])]
    wanted = {g["id"] for g in gold}
    corpus = {r["id"]: r for r in map(orjson.loads, CORPUS.read_bytes().splitlines()) if r["id"] in wanted}
    config = load_config(rules=args.rules)
    enricher = Enricher(config)
    records = {g["id"]: enricher.enrich_article(parse_article(corpus[g["id"]], fallback_time=None)) for g in gold}

    print(
        f"split: {args.split} — {len(gold)} labelled articles, "
        f"{sum(m['status'] == 'held' for g in gold for m in g['meetings'])} held meetings, "
        f"{len(_real_meetings(gold))} distinct real meetings"
    )
    _detection(gold, records, config, show_errors=args.errors)
    _alerts(gold, records, config, show_errors=args.errors)
    return 0


def _detection(
    gold: list[dict[str, Any]], records: dict[str, dict[str, Any]], config: Any, *, show_errors: bool
) -> None:
    tallies: dict[str, Tally] = defaultdict(Tally)
    planned = Tally()
    modes: Counter[str] = Counter()
    for item in gold:
        record = records[item["id"]]
        mentioned = {e["id"] for e in record["entities"] if e.get("spans")}
        held = {frozenset(m["participants"]): m for m in item["meetings"] if m["status"] == "held"}
        other = {frozenset(m["participants"]) for m in item["meetings"] if m["status"] != "held"}
        gold_planned = {frozenset(m["participants"]) for m in item["meetings"] if m["status"] == "planned"}
        predicted = {frozenset(e["participants"]): e for e in record["events"] if e["status"] == "held"}
        for tally in (tallies["all"], tallies[item["id"].rsplit("-", 1)[0]]):
            for participants, event in predicted.items():
                if participants in held:
                    tally.tp += 1
                elif participants in other:
                    tally.neutral += 1
                else:
                    tally.fp += 1
                    tally.errors.append(f"FP {item['id']}: {_names(record, participants)} :: {event['evidence'][:240]}")
            for participants in held.keys() - predicted.keys():
                tally.fn += 1
                untagged = not participants <= mentioned
                tally.untagged_fn += untagged
                why = " (a participant is not named in the body)" if untagged else ""
                tally.errors.append(f"FN {item['id']}: {sorted(held[participants]['names'])}{why} — {item['note']}")
        for participants, meeting in held.items():
            event = predicted.get(participants)
            if event is not None and meeting["mode"] != "unspecified":
                modes["right" if event["mode"] == meeting["mode"] else "wrong"] += 1
        predicted_planned = {frozenset(e["participants"]) for e in record["events"] if e["status"] == "planned"}
        planned.tp += len(predicted_planned & gold_planned)
        planned.fp += len(predicted_planned - gold_planned - held.keys())
        planned.fn += len(gold_planned - predicted_planned)
    print("\nheld-meeting detection (an event = one participant set in one article)")
    header = ("", "gold", "pred", "TP", "FP", "FN", "neutral", "precision", "recall")
    print("  {:<14} {:>5} {:>5} {:>4} {:>4} {:>4} {:>7} {:>9} {:>7}".format(*header))
    for name in ("all", "kremlin", "ua-president"):
        print(tallies[name].row(name))
    print(planned.row("planned (info)"))
    total = modes["right"] + modes["wrong"]
    print(f"  mode right on {modes['right']}/{total} true positives whose mode the text states")
    print(f"  false negatives with a participant not named in the body: {tallies['all'].untagged_fn}")
    if show_errors:
        print("\n".join(sorted(tallies["all"].errors)))


def _real_meetings(gold: list[dict[str, Any]]) -> dict[Key, list[str]]:
    meetings: dict[Key, list[str]] = defaultdict(list)
    for item in gold:
        for m in item["meetings"]:
            if m["status"] == "held":
                meetings[(frozenset(m["participants"]), m["date"])].append(item["id"])
    return meetings


def _alerts(gold: list[dict[str, Any]], records: dict[str, dict[str, Any]], config: Any, *, show_errors: bool) -> None:
    by_id = {g["id"]: g for g in gold}
    decider = Decider(config, State())
    order = sorted(records.values(), key=lambda r: (r["published"], r["id"]))
    real = _real_meetings(gold)
    first_alert: dict[str, Key | None] = {}
    alerted: dict[Key, list[str]] = defaultdict(list)
    timeline: dict[Key, list[str]] = defaultdict(list)
    false_alerts: list[str] = []
    updates = Counter[str]()
    for record in order:
        decision = decider.decide(record)
        for alert in decision.alerts:
            if alert["rule"] != "leaders-meeting":
                continue
            participants = frozenset(e["id"] for e in alert["entities"])
            key = _meeting_of(by_id[alert["article_id"]], participants)
            if key is not None:
                timeline[key].append(f"{alert['kind']}({alert['corroborations']}) {alert['article_id']}")
            if alert["kind"] == "new":
                first_alert[alert["alert_id"]] = key
                if key is None:
                    false_alerts.append(f"{alert['article_id']}: {[e['name'] for e in alert['entities']]}")
                else:
                    alerted[key].append(alert["article_id"])
            else:
                same = key is not None and first_alert.get(alert["alert_id"]) == key
                updates["right" if same else "wrong"] += 1
    news = sum(len(v) for v in alerted.values()) + len(false_alerts)
    firsts = len(alerted)
    duplicates = news - firsts - len(false_alerts)
    precision = firsts / news if news else 1.0
    recall = firsts / len(real) if real else 1.0
    missed = [k for k in real if k not in alerted]
    print("\nleaders-meeting alerts (one `new` per real meeting; real meeting = participants + date)")
    print(
        f"  real meetings {len(real)}  new alerts {news}  first-per-meeting {firsts}  duplicates {duplicates}  "
        f"false {len(false_alerts)}  precision {precision:.3f}  recall {recall:.3f}"
    )
    print(f"  updates {sum(updates.values())} (same real meeting as their alert: {updates['right']})")
    several = {k: v for k, v in real.items() if len(v) > 1}
    cross = sum(len({i.rsplit("-", 1)[0] for i in ids}) > 1 for ids in several.values())
    print(f"  meetings reported by several articles: {len(several)} ({cross} by both offices); their alerts:")
    for key, ids in sorted(several.items(), key=lambda kv: kv[0][1]):
        names = "+".join(sorted(_short(records[ids[0]], p).split()[-1] for p in key[0]))
        offices = "+".join(sorted({i.rsplit("-", 1)[0] for i in ids}))
        alerts = ", ".join(timeline.get(key, ["(no alert)"]))
        print(f"    {key[1]} {names:<30} {len(ids)} reports ({offices}): {alerts}")
    if show_errors:
        for line in false_alerts:
            print(f"  false new alert: {line}")
        for key in missed:
            print(f"  no new alert: {key[1]} {sorted(_short(records[real[key][0]], p) for p in key[0])} {real[key]}")


def _meeting_of(item: dict[str, Any], participants: frozenset[str]) -> Key | None:
    for m in item["meetings"]:
        if m["status"] == "held" and frozenset(m["participants"]) == participants:
            return participants, m["date"]
    return None


def _names(record: dict[str, Any], participants: frozenset[str]) -> list[str]:
    return sorted(_short(record, p) for p in participants)


def _short(record: dict[str, Any], entity_id: str) -> str:
    return next((e["name"] for e in record["entities"] if e["id"] == entity_id), entity_id)


if __name__ == "__main__":
    raise SystemExit(main())
