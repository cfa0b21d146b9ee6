"""Build agents/samples/wires.jsonl, the bundled demo wires for `wirewatch replay`.

    python tools/build_samples.py [--data ../shared/data] [--seeds ../shared/seeds]

Contents (see agents/samples/README.md for attribution): six Kremlin / President of Ukraine
press releases (CC BY 4.0), the seed article as M5 Dergi re-published it, the same story as
its original outlet would carry it (boilerplate removed), and one malformed line that shows
the dead-letter path.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PRESS_RELEASES = [
    "kremlin-66988",  # greetings: no meeting
    "kremlin-67269",  # telephone conversation with Erdogan
    "kremlin-67364",  # talks with Xi Jinping (videoconference)
    "ua-president-72601",  # Zelenskyy - Macron phone conversation
    "kremlin-67734",  # talks with Macron in Moscow
    "ua-president-72814",  # filled in below if present: a second Ukrainian release
]
SEED = "000_4a9f1934b585f67a.txt"
BOILERPLATE = {"Abone Ol", "Back to top button", "Related Articles", "Source: Da,lySabah", "Defence NewsÖne Çıkan"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent.parent
    parser.add_argument("--data", type=Path, default=here.parent / "shared" / "data")
    parser.add_argument("--seeds", type=Path, default=here.parent / "shared" / "seeds")
    parser.add_argument("--out", type=Path, default=here / "agents" / "samples" / "wires.jsonl")
    args = parser.parse_args()

    rows = {}
    with (args.data / "leaders_pressreleases_2021_2022.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            rows[row["id"]] = row
    records = [
        {
            "id": rows[i]["id"],
            "headline": rows[i]["title"],
            "body": rows[i]["body"],
            "source": rows[i]["source"],
            "url": rows[i]["url"],
            "published": rows[i]["published"],
            "language": rows[i]["language"],
        }
        for i in PRESS_RELEASES
        if i in rows
    ]
    headline, _, body = (args.seeds / SEED).read_text(encoding="utf-8").partition("\n")
    title = headline.removesuffix(" - M5 Dergi")
    clean = "\n".join(line for line in body.splitlines() if line.strip() not in BOILERPLATE | {title})
    records.append(
        {
            "id": "m5dergi-erdogan-putin-astana",
            "headline": headline,
            "body": body,
            "source": "M5 Dergi",
            "url": None,
            "published": "2024-07-03T18:30:00+03:00",
            "language": "en",
        }
    )
    records.append(
        {
            "id": "dailysabah-erdogan-putin-astana",
            "headline": title,
            "body": clean,
            "source": "Daily Sabah",
            "url": None,
            "published": "2024-07-03T17:05:00+03:00",
            "language": "en",
        }
    )
    with args.out.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.write('{"id": "broken-1", "headline": "A truncated message", "body": "cut off in transit\n')
    print(f"wrote {len(records) + 1} lines to {args.out}")


if __name__ == "__main__":
    main()
