#!/usr/bin/env python3
"""Build agents/defaults/watchlist.json from the leaders dataset (standard library only).

    python tools/build_watchlist.py [--data ../shared/data] [--out agents/defaults/watchlist.json] [-v]

Input: <data>/leaders_2019_2025.jsonl (one row per person, office, country and mandate; see
LEADERS.md next to it) and tools/watchlist_curated.json (the hand-curated tables).  Output: one
JSON document with `countries` (one row per country of the dataset, with alternative and official
names, demonym adjectives and which office "the <adjective> leader" means) and `entities` (one
per leader, plus the curated non-leader people, organisations, places and facilities).  The
output is deterministic: same input, same bytes.

What the script does to the dataset rows, in order:
 1. cleans aliases: drops "President-elect " prefixes, Wikipedia disambiguations ("(politician)"),
    quoted nicknames, re-cases CIA all-caps surnames ("Ali Hoseini-KHAMENEI" -> "Ali
    Hoseini-Khamenei"), removes the aliases known to belong to another person (BAD_ALIASES) and
    adds the curated name forms (`leader_aliases`: transliterations such as Berdymukhamedov);
 2. groups rows into persons: by Wikidata QID; a row without a QID joins a QID person of the same
    country when its name equals one of that person's names (or contains all the tokens of one)
    and it holds the same role at overlapping dates (CIA spelling twins such as
    Wachiralongkon/Vajiralongkorn); the remaining rows group by normalised name + country;
 3. one office per row and role (`both` -> head_of_state + head_of_government, same dates);
 4. adds mechanical name forms: the ASCII-folded name/aliases and the surname (see
    surname_candidate), unless the surname is shared with another person, too short, a common
    English word (SURNAME_STOPLIST) or a country/place name;
 5. splits each person's names into `aliases` (full names: always a mention) and `surnames`
    (one-word names and surname forms: a mention only when the article anchors them).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import unicodedata
from pathlib import Path

VERSION = "2026.11.27-1"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "agents" / "defaults" / "watchlist.json"
CURATED_FILE = Path(__file__).resolve().parent / "watchlist_curated.json"
DATASET = "leaders_2019_2025.jsonl"
PEPPERCAT = "wikidata-via-peppercat"
CURATED_SOURCE = "wirewatch-curated"

DESCRIPTION = (
    "Watched entities for wirewatch: heads of state and government 2019-01..2026-01 with "
    "dated offices (from leaders_2019_2025), plus hand-curated people, organisations, "
    "places and facilities of the energy / Ukraine / Gaza / Syria beat. `aliases` always name the "
    "entity; `surnames` name it only when the article anchors them (full name, role or title)."
)

LICENCE = (
    "Mixed licences; the per-office and per-entity `source` fields keep them separable. "
    "cia-factbook: CIA World Factbook text (US-government work, public domain) via factbook/factbook.json "
    "(CC0 1.0) - redistributable without conditions. "
    "wikidata-via-peppercat: derived from Peppercat (peppercatorg/site-build, built from Wikidata), "
    "CC BY-NC 4.0 - attribution required and NO commercial use without separate licensing; this covers "
    "the Wikidata QIDs used as person ids, Wikidata start/end dates and the offices whose `source` "
    "contains 'wikidata-via-peppercat' (142 dataset rows have no other source). The facts "
    "themselves are Wikidata CC0, so a commercial deployment must either re-derive these parts from "
    "Wikidata directly (e.g. one SPARQL query for P39 of the positions in P1906/P1313) or drop the "
    "entries/offices whose source contains 'wikidata-via-peppercat'. "
    "open-data-archive: world-leaders-current, CC BY-SA 4.0 - attribution and share-alike for the "
    "QIDs and local-script names it contributed. "
    "manual-aliases and the curated entities and name forms with source 'wirewatch-curated': written "
    "for this project, no third-party restriction. Generated name forms (ASCII folding, surnames) "
    "inherit the licence of the names they were derived from. "
    "Country/ISO code tables: MilkMp CIA-World-Factbooks-Archive (MIT / public-domain data) and "
    "Debian iso-codes (LGPL-2.1+; official country names)."
)

SOURCES = [
    "CIA World Factbook weekly JSON snapshots: GitHub factbook/factbook.json, <region>/<fips>.json "
    "(Government / Executive branch), 221 snapshots 2017-03-28 and 2020-11-23 .. commit "
    "783ed27f7a1116663c10e7b39d162d0c4500505d (2026-01-22); repo LICENSE.md CC0 1.0, text public domain",
    "Peppercat (Tony Bowden, built from Wikidata): GitHub peppercatorg/site-build, "
    "docs/leaders/<slug>/leaders-historic.csv at 02ea8f21658ee8347b96c8fda84d4db1676059d5 (2023-01-15) and "
    "docs/leaders/<slug>/index.html daily 2023-01-15 .. 4940eac4c8df36c9465f5c988a68b24ede6cee60 "
    "(2025-01-31); CC BY-NC 4.0",
    "open-data-archive/world-leaders-current: data/countries/*/current.json, 2026-05-16 .. "
    "b06a1440a6eda040a90166cb3f84d9634d1779b2 (2026-08-22); CC BY-SA 4.0",
    "MilkMp/CIA-World-Factbooks-Archive-1990-2025: data/reference_tables/master_countries.csv at "
    "b998f60a91d7de6fde80f3d4d216fa0e591a099e; MIT / public-domain data (FIPS -> ISO-2 map)",
    "Debian iso-codes 4.15.0-1: /usr/share/iso-codes/json/iso_3166-1.json; LGPL-2.1+ (ISO-2 -> ISO-3, names, "
    "official names)",
    "hand-written alias table of the leaders dataset (24 leaders; manual-aliases)",
    "wirewatch-curated: tools/watchlist_curated.json (non-leader people, organisations, places, facilities; "
    "country names and adjectives; extra name forms of leaders) and the correction tables in "
    "tools/build_watchlist.py",
]

# ----------------------------------------------------------------------------------------------
# Text helpers

_FOLD_SPECIAL = str.maketrans(
    {"ı": "i", "İ": "I", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D"}
    | {"ħ": "h", "Ħ": "H", "ŀ": "l", "Ŀ": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
    | {"þ": "th", "Þ": "Th", "ŋ": "ng", "Ŋ": "Ng", "\u2019": "'", "\u2018": "'", "\u02bb": "'", "\u02bc": "'"}
    | {"\u02bf": "'", "\u02be": "'", "\u2010": "-", "\u2011": "-", "\u2013": "-"}
)


def fold(text: str) -> str:
    """ASCII-fold Latin text: Erdoğan -> Erdogan, Türkiye -> Turkiye, ı/İ -> i/I, ş -> s, ğ -> g."""
    text = text.translate(_FOLD_SPECIAL)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def is_latin(text: str) -> bool:
    """True when every letter is Latin (modifier letters such as the okina are ignored)."""
    letters = [ch for ch in text if ch.isalpha() and unicodedata.category(ch) != "Lm"]
    return bool(letters) and all("LATIN" in unicodedata.name(ch, "") for ch in letters)


def key(text: str) -> str:
    """Comparison key: folded, case-folded, whitespace collapsed."""
    return " ".join(fold(text).casefold().split())


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


def tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", text) if t]


ROMAN = re.compile(r"^(?=[IVXLC]+$)C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")


def recase_caps(text: str) -> str:
    """CIA writes surnames in capitals; re-case all-caps tokens (>= 3 letters, not roman numerals)
    when the rest of the string has lower-case letters: 'Vjosa OSMANI-Sadriu' -> 'Vjosa Osmani-Sadriu'."""
    if not any(ch.islower() for ch in text):
        return text

    def fix(m: re.Match) -> str:
        word = m.group(0)
        if len(word) >= 3 and word.isupper() and not ROMAN.match(word):
            return word.capitalize()
        return word

    return re.sub(r"[^\W\d_]+", fix, text)


def clean_alias(alias: str) -> str:
    """Drop "President-elect " prefixes and re-case CIA capitals; "" for a name that is not one
    (a Wikipedia disambiguation "Mark Phillips (Guyanese politician)", a quoted nickname)."""
    alias = re.sub(r"^President-[Ee]lect\s+", "", alias.strip())
    if "(" in alias or '"' in alias:
        return ""
    return recase_caps(" ".join(alias.split()))


def has_word_spaces(text: str) -> bool:
    """False for scripts written without spaces (习近平 is a full name, not a surname)."""
    return not any("CJK" in unicodedata.name(ch, "") or "HANGUL" in unicodedata.name(ch, "") for ch in text)


def dedupe(names: list[str], drop: str | None = None) -> list[str]:
    """Keep order, drop case-insensitive duplicates and anything equal to `drop`."""
    seen = {drop.casefold()} if drop else set()
    out = []
    for n in names:
        if n and n.casefold() not in seen:
            seen.add(n.casefold())
            out.append(n)
    return out


# ----------------------------------------------------------------------------------------------
# Dataset corrections (each checked by hand against the dataset rows; run with -v to see them applied)

# alias -> removed from the entity whose rows carry it; if a target id is given it is moved there.
BAD_ALIASES = [
    # Khamenei's row carries Lukashenko's hand-written aliases (a slip in the manual alias table).
    (
        "Q57336",
        "Q2866",
        ["Alexander Lukashenko", "Lukashenka", "Lukashenko", "Александр Лукашенко", "Аляксандр Лукашэнка"],
    ),
    # Choe Ryong-hae (President of the SPA Presidium) is not Premier Kim Jae-ryong.
    ("Q56818689", None, ["Choe Ryong Hae"]),
    # Ambrose Mandvulo Dlamini (PM 2018-2020, died 2020) is not Russell Dlamini.
    ("Q123342092", None, ["Ambrose Mandvulo Dlamini"]),
    # 'Muhammad bin Rashid Al-Nuhayan' mixes the Dubai ruler's name with the Nahyan family.
    ("Q1951896", None, ["Muhammad bin Rashid Al-Nuhayan"]),
    # Bhumibol (died 2016) is Vajiralongkorn's father (alias on a QID-less CIA spelling row).
    ("name:Wachiralongkon Bodinthrathepphayawarangkun", None, ["Bhumibol"]),
    # Zandanshatar succeeded Oyun-Erdene as PM in 2025; his name is on Oyun-Erdene's row.
    ("Q24248226", "name:Gombojavyn Zandanshatar", ["Gombojavis Zandanshatar"]),
    # Ulukbek Maripov was Kyrgyzstan's Chairman of the Cabinet in 2021, not Sadyr Japarov (the
    # dataset merged the two; Maripov's own mandate is therefore missing from it).
    ("Q25597826", None, ["Ulukbek Maripov"]),
    # CIA title fragments ("SAC Chair", "Interior") parsed as names.
    ("Q3462649", None, ["Sac Chair", "Sac Chair, Sr. Gen. Min Aung Hlaing"]),
    ("Q96747230", None, ["Interior Ludovit Odor", "Interior Ľudovít Ódor"]),
    # A nickname, not a name: "Frank" alone would be any Frank.
    ("Q57830", None, ["Frank"]),
]

# Single-token surname aliases are not generated for these (a shared/odd token, or the person is
# known by another name); value None = no surname, else the surname to use instead.
SURNAME_OVERRIDES = {
    "Luiz Inácio Lula da Silva": "Lula",
    "Marcelo Rebelo de Sousa": None,  # "Rebelo de Sousa"; a bare token would mislead
    "Ulisses Correia e Silva": None,
    "José Raúl Mulino": "Mulino",  # two given names + one surname
    "Lee Hsien Loong": None,  # family name first, "Lee" too short
    "Andrés Manuel López Obrador": None,  # known as López Obrador / AMLO
    "Abd-al-Fatah al-Burhan Abd-al-Rahman": "Burhan",
    "Xanana Gusmão": "Gusmão",
    "Tharman Shanmugaratnam": "Tharman",
    "Norodom Sihamoni": "Sihamoni",  # Norodom is the royal house
    "Carlos Vila Nova": None,  # compound surname "Vila Nova"
    "Joan-Enric Vives i Sicilia": "Vives",  # Catalan: first surname
    "Fernando Vergez Alzaga": None,
    "Xavier Espot Zamora": "Espot",
    "Juan Orlando Hernández": "Hernández",  # "Juan Orlando" is the given name
    "Francisco Pascual Obama Asue": None,  # "Obama" alone would catch Barack Obama
    "Ali Bongo Ondimba": "Bongo",
    "Denis Sassou Nguesso": "Sassou",
    "Salva Kiir Mayardit": "Kiir",
    "Bah Oury": None,  # Amadou Oury Bah: surname "Bah" (too short)
    "Joko Widodo": "Widodo",
    "Francisco Guterres": None,  # would catch UN Secretary-General António Guterres
    "Ahmad al-Shara'": "al-Sharaa",  # usual English spelling
}

# Office corrections (wirewatch-curated; the row's source gets "+wirewatch-curated").
# (name, country, office) -> fields to replace.
OFFICE_FIXES = {
    # CIA first listed him in the 2026-01-21 snapshot without a date; he was named president for the
    # transitional period on 2025-01-29.
    ("Ahmad al-Shara'", "SYR", "head_of_state"): {"start": "2025-01-29", "title": "President"},
    # The CIA's since-date is her predecessor Kiska's; she was inaugurated on 2019-06-15 (Wikidata).
    ("Zuzana Čaputová", "SVK", "head_of_state"): {"start": "2019-06-15"},
}

# Name order conventions for the surname alias.
FAMILY_NAME_FIRST = {"CHN", "TWN", "KOR", "PRK", "KHM"}
GIVEN_NAME_USED = {"THA", "IDN", "ETH", "ERI", "MYS"}  # people are referred to by the first name
GULF_MONARCHIES = {"SAU", "ARE", "QAT", "KWT", "BHR", "OMN"}  # "X bin Y": Y is the father, not a surname
NO_SURNAME = {"MMR", "SMR"}  # no family names / rotating captains
HISPANIC = set("ESP MEX ARG COL PER CHL VEN BOL ECU URY PRY GTM HND SLV NIC CRI PAN DOM CUB GNQ".split())
PARTICLE_SURNAME_OK = {"BEL", "NLD", "AUT", "DEU", "LUX", "SUR", "ZAF", "CHE"}
PARTICLES = set("van von der den de del della da das dos di du le la e y ter ten zu af bin ibn bint ould".split())
NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "junior"}
ARTICLE_PREFIX = re.compile(r"^(al|el|Al|El|ul)-(?=\w{4,})")

# Common English words (and very common given names) that must not become a one-word alias.
# Compared after ASCII folding, so 'Støre' -> 'Store' is caught. The last line: very common
# surnames, other famous bearers, words and places.
SURNAME_STOPLIST = set(
    """
    abdullah abraham adam ahmed albert alexander ali amir april archer august baker banda bell best bill bird
    bishop black bolivar bond brown bush carter case cash castle castro chad chance charles church cook cross
    david davis day days diaz drew east emir faith faye fernandez field fields fisher fletcher florence fox
    francis frank friday friend garcia george georgia gold golden gomez gonzalez grace grant gray green grey
    guard hall hassan hill hills hope hunt hunter ibrahim ismail israel james john jordan joy june just khan
    king knight lake law lee leo light little long lopez lord love major march mark marshal marshall martin
    martinez mason may michael miller mobile mohamed mohammed moon moses muhammad nation nice nicholas noble
    north omar ortega osman page park parker parks paul peace perez peter pham philip pierre pope porter power
    price rama reading rice rich river rock rodriguez rose ruth said saied sale salt sanchez santos shah sharp shah
    sheikh short silva silver smith south spring star stone store street strong sultan summer taylor thomas
    tran turner victor victoria vincent walker ward waters well wells west white will wilson winter wolf wood
    woods young
    chen wang zhang zhao huang zhou yang chang hong chung ivanov novikov mammadov rasmussen andersson schmidt
    simonyan bilal meta talon borne medina muscat merino nova nguyen
    """.split()
)
# Which office "the <adjective> leader" means. Executive presidencies, presidential systems with a
# (subordinate) prime minister and ruling monarchs -> head_of_state. Everything not listed here
# falls back to: head_of_state when the country has no separate head-of-government rows (all
# `both`), else head_of_government (parliamentary systems). Iran: the Supreme Leader is the
# dataset's head of state.
LEADER_HEAD_OF_STATE = set(
    """
    FRA RUS UKR BLR MDA ROU LTU SRB CYP BIH TUR AZE KAZ UZB TKM TJK KGZ MCO VAT
    IRN SYR EGY DZA TUN MAR MRT PSE YEM ARE QAT KWT BHR OMN JOR AFG
    CHN TWN KOR PRK IDN PHL LKA BRN MDV
    SDN SOM DJI UGA RWA BDI TZA COD COG CAF CMR GAB GNQ TCD NER MLI BFA SEN GMB GIN GNB CIV TGO MOZ MDG ZWE NAM SWZ
    USA PER CUB GUY
    """.split()
)
# Saudi Arabia: the King was also PM until 2022-09-27, since then the Crown Prince is PM, so
# head_of_government names the effective ruler at every date; Libya: the PM (Dbeibah) is the
# internationally active leader; Haiti: the HoS post was mostly vacant after 2021.
# (Cabo Verde, not listed above, is parliamentary: head_of_government by the fallback.)
LEADER_OVERRIDE = {"SAU": "head_of_government", "LBY": "head_of_government", "HTI": "head_of_government"}

# ----------------------------------------------------------------------------------------------


def load_rows(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                sys.exit(f"{path}:{n}: bad JSON: {exc}")
    return rows


def roles(office: str) -> list[str]:
    if office == "both":
        return ["head_of_state", "head_of_government"]
    if office in ("head_of_state", "head_of_government"):
        return [office]
    msg = f"unknown office {office!r}"
    raise ValueError(msg)


def overlaps(a: dict, b: dict) -> bool:
    a_end, b_end = a["end"] or "9999-12-31", b["end"] or "9999-12-31"
    return a["start"] <= b_end and b["start"] <= a_end


class Person:
    def __init__(self, pid: str | None):
        self.pid = pid
        self.rows: list[dict] = []

    def name_keys(self) -> set[str]:
        out = set()
        for r in self.rows:
            out.add(key(r["name"]))
            out.update(key(a) for a in r["aliases"])
        return out

    def token_sets(self) -> list[set[str]]:
        return [{key(t) for t in tokens(n)} for r in self.rows for n in [r["name"], *r["aliases"]] if is_latin(n)]

    def countries(self) -> set[str]:
        return {r["country"] for r in self.rows}


def clean_rows(rows: list[dict], extra_aliases: dict[str, list[str]]) -> tuple[list[dict], list[str]]:
    log = []
    rows = [dict(r) for r in rows]
    for r in rows:
        r["name"] = clean_alias(r["name"])
        cleaned = [clean_alias(a) for a in r["aliases"]]
        if "" in cleaned:
            log.append(
                f"dropped non-names {[a for a, c in zip(r['aliases'], cleaned, strict=True) if not c]} of {r['name']}"
            )
        r["aliases"] = [a for a in cleaned if a]
        if r["name"] in extra_aliases:
            r["aliases"] = r["aliases"] + extra_aliases[r["name"]]
            log.append(f"added curated aliases to {r['name']}: {extra_aliases[r['name']]}")
        fix = OFFICE_FIXES.get((r["name"], r["country"], r["office"]))
        if fix:
            log.append(f"office fix {r['name']} {r['country']} {r['office']}: { {k: r[k] for k in fix} } -> {fix}")
            r.update(fix)
            r["source"] = r["source"] + "+" + CURATED_SOURCE
    for owner, target, bad in BAD_ALIASES:
        for r in rows:
            rid = r["wikidata"] or f"name:{r['name']}"
            if rid != owner:
                continue
            removed = [a for a in r["aliases"] if a in bad]
            if removed:
                r["aliases"] = [a for a in r["aliases"] if a not in bad]
                log.append(f"removed {removed} from {r['name']} ({r['country']})")
                if target:
                    for t in rows:
                        if (t["wikidata"] or f"name:{t['name']}") == target:
                            t["aliases"] = t["aliases"] + [a for a in removed if a not in t["aliases"]]
                    log.append(f"  moved to {target}")
    return rows, log


def group_persons(rows: list[dict]) -> tuple[list[Person], list[str]]:
    log = []
    by_qid: dict[str, Person] = {}
    for r in sorted(rows, key=lambda r: (r["start"], r["country"], r["name"])):
        if r["wikidata"]:
            by_qid.setdefault(r["wikidata"], Person(r["wikidata"])).rows.append(r)
    persons = list(by_qid.values())
    loose: dict[tuple[str, str], Person] = {}
    pending = sorted((r for r in rows if not r["wikidata"]), key=lambda r: (len(r["name"]), r["name"], r["start"]))
    for r in pending:
        rkey, rtoks = key(r["name"]), {key(t) for t in tokens(r["name"])}
        rkeys = {rkey} | {key(a) for a in r["aliases"]}
        target = None
        for p in persons:
            if r["country"] not in p.countries():
                continue
            same_name = bool(rkeys & p.name_keys())
            subset = any(
                len(ts) >= 1 and ts <= rtoks and len(rtoks) > len(ts)
                for ts in p.token_sets()
                if all(len(t) >= 4 for t in ts)
            )
            same_role = any(
                set(roles(r["office"])) & set(roles(q["office"])) and overlaps(r, q)
                for q in p.rows
                if q["country"] == r["country"]
            )
            if (same_name or subset) and same_role:
                target = p
                break
        if target is not None:
            target.rows.append(r)
            log.append(f"merged QID-less row {r['name']} ({r['country']}) into {target.pid}")
            continue
        k = (rkey, r["country"])
        if k not in loose:
            loose[k] = Person(None)
            persons.append(loose[k])
        loose[k].rows.append(r)
    for p in persons:
        p.rows.sort(key=lambda r: (r["start"], r["office"], r["country"]))
    return persons, log


def pick_name(p: Person) -> str:
    def score(r):
        return (
            PEPPERCAT in r["source"] and r["wikidata"] is not None,
            any(ord(ch) > 127 for ch in r["name"]),
            r["start"],
        )

    return max(p.rows, key=score)["name"]


def surname_candidate(name: str, country: str) -> str | None:
    if name in SURNAME_OVERRIDES:
        return SURNAME_OVERRIDES[name]
    if country in NO_SURNAME or not is_latin(name):
        return None
    base = re.split(r",| of ", name)[0]
    if any(ROMAN.match(t) for t in tokens(base)):
        return None  # regnal name (Carl XVI Gustaf)
    toks = [t for t in tokens(base) if t.lower() not in NAME_SUFFIXES]
    toks = [t for t in toks if not re.fullmatch(r"\w\.", t)]  # initials "J."
    if len(toks) < 2:
        return None  # mononym (Naruhito, Francis)
    if country in FAMILY_NAME_FIRST:
        return toks[0]
    if country in GIVEN_NAME_USED:
        return toks[0]
    content = [t for t in toks if t.lower() not in PARTICLES]
    if country in GULF_MONARCHIES and any(t.lower() in {"bin", "ibn", "bint"} for t in toks):
        return None  # royal patronymic chain
    if country in HISPANIC and len(content) >= 3:
        return content[-2]  # first (paternal) surname
    if toks[-2].lower() in PARTICLES and toks[-2].lower() not in {"bin", "ibn", "bint", "ould"}:
        if country not in PARTICLE_SURNAME_OK:
            return None
        i = len(toks) - 1
        while i > 0 and toks[i - 1].lower() in PARTICLES:
            i -= 1
        return " ".join(toks[i:])
    return toks[-1]


def build_person_entities(persons: list[Person]) -> tuple[list[dict], list[str]]:
    log = []
    entities = []
    for p in persons:
        name = pick_name(p)
        aliases: list[str] = []
        for r in p.rows:
            aliases.append(r["name"])
            aliases.extend(r["aliases"])
        offices = []
        seen = set()
        for r in p.rows:
            for role in roles(r["office"]):
                o = {
                    "role": role,
                    "country": r["country"],
                    "title": r["title"],
                    "start": r["start"],
                    "end": r["end"],
                    "source": r["source"],
                }
                sig = (role, r["country"], r["start"], r["end"], r["title"])
                if sig not in seen:
                    seen.add(sig)
                    offices.append(o)
        offices.sort(key=lambda o: (o["start"], o["role"] != "head_of_state", o["country"]))
        eid = p.pid or "ww:" + slug(name)
        entities.append(
            {
                "id": eid,
                "name": name,
                "type": "person",
                "aliases": dedupe(aliases, name),
                "offices": offices,
                "source": "leaders_2019_2025",
                "_country": p.rows[-1]["country"],
                "_tokens": set(),
            }
        )
    # ww: ids must be unique (same name in two countries)
    counts = collections.Counter(e["id"] for e in entities)
    for e in entities:
        if counts[e["id"]] > 1 and e["id"].startswith("ww:"):
            e["id"] = f"{e['id']}-{e['_country'].lower()}"
            log.append(f"id collision: renamed to {e['id']}")
    return entities, log


def add_generated_aliases(entities: list[dict], reserved: set[str]) -> list[str]:
    """ASCII-folded forms for every entity; surname aliases for dataset persons."""
    log = []
    for e in entities:
        extra = []
        for n in [e["name"]] + e["aliases"]:
            if is_latin(n):
                f = fold(n)
                if f != n:
                    extra.append(f)
        e["aliases"] = dedupe(e["aliases"] + extra, e["name"])

    persons = [e for e in entities if e["type"] == "person"]
    # every token (and hyphen part) of every Latin name/alias of each person, folded
    for e in persons:
        toks = set()
        for n in [e["name"]] + e["aliases"]:
            if is_latin(n):
                for t in tokens(n):
                    toks.add(key(t))
                    toks.update(key(part) for part in t.split("-") if part)
        e["_tokens"] = toks
    token_owners: dict[str, set[str]] = collections.defaultdict(set)
    for e in persons:
        for t in e["_tokens"]:
            token_owners[t].add(e["id"])

    candidates: dict[str, list[str]] = {}
    for e in persons:
        if e["source"] != "leaders_2019_2025":
            continue
        s = surname_candidate(e["name"], e["_country"])
        if not s:
            continue
        forms = [s]
        m = ARTICLE_PREFIX.match(s)
        if m:
            forms.append(s[m.end() :])  # al-Assad -> Assad
        candidates[e["id"]] = forms

    cand_owners: dict[str, set[str]] = collections.defaultdict(set)
    for eid, forms in candidates.items():
        for f in forms:
            cand_owners[key(f)].add(eid)

    by_id = {e["id"]: e for e in persons}
    for eid, forms in sorted(candidates.items()):
        e = by_id[eid]
        have = {key(a) for a in [e["name"]] + e["aliases"]}
        added = []
        for f in forms:
            k = key(f)
            letters = re.sub(r"[^a-z]", "", k)
            why = None
            if len(letters) < 4:
                why = "short"
            elif k in SURNAME_STOPLIST or letters in SURNAME_STOPLIST:
                why = "stoplist"
            elif k in reserved:
                why = "country/place name"
            elif (token_owners.get(k, set()) | cand_owners.get(k, set())) - {eid}:
                others = sorted((token_owners.get(k, set()) | cand_owners.get(k, set())) - {eid})
                why = "shared with " + ",".join(others[:4])
            if why:
                log.append(f"surname {f!r} not added to {e['name']}: {why}")
                continue
            if k in have:
                continue
            added.append(f)
            if fold(f) != f:
                added.append(fold(f))
        if added:
            e["aliases"] = dedupe(e["aliases"] + added, e["name"])
    return log


def split_surnames(entities: list[dict]) -> None:
    """Move each person's surname-like names from `aliases` to `surnames`: one-word names
    ("Putin", "Эрдоган", "Francis") and particle surnames ("De Croo", "von der Leyen")."""
    for e in entities:
        if e["type"] != "person":
            continue
        full = key(e["name"]).split()
        weak = [n for n in [e["name"], *e["aliases"]] if is_surname_like(n, full)]
        e["surnames"] = dedupe([*e.get("surnames", []), *weak])
        e["aliases"] = [a for a in e["aliases"] if a not in weak]


def is_surname_like(name: str, full: list[str]) -> bool:
    words = key(name).split()
    if len(words) == 1:
        return has_word_spaces(name)
    first = words[0].split("-")[0]
    return words == full[-len(words) :] and len(words) < len(full) and first in PARTICLES | {"al", "el"}


def build_countries(rows: list[dict], tables: dict[str, dict]) -> tuple[list[dict], list[str]]:
    log = []
    info: dict[str, dict] = {}
    for r in rows:
        c = info.setdefault(r["country"], {"name": r["country_name"], "offices": collections.Counter()})
        c["offices"][r["office"]] += 1
    out = []
    for code in sorted(info):
        c = info[code]
        table = tables.get(code, {})
        if not table:
            log.append(f"no names/adjectives for {code}")
        official = re.sub(r"^the ", "", table.get("official_name", ""))
        extra_names = [*table.get("names", []), *([official] if official else [])]
        adjectives = table.get("adjectives", [])
        if code in LEADER_OVERRIDE:
            leader = LEADER_OVERRIDE[code]
        elif code in LEADER_HEAD_OF_STATE or c["offices"]["head_of_government"] == 0:
            leader = "head_of_state"
        else:
            leader = "head_of_government"
        names = [c["name"], *extra_names]
        names = dedupe(names + [fold(n) for n in names if fold(n) != n])
        out.append({"code": code, "name": c["name"], "names": names, "adjectives": adjectives, "leader": leader})
    unknown = sorted(set(tables) - set(info))
    if unknown:
        log.append(f"country table has codes not in the dataset: {unknown}")
    return out, log


def curated_entities(curated: list[dict]) -> list[dict]:
    out = []
    for c in curated:
        e = {
            "id": c["id"],
            "name": c["name"],
            "type": c["type"],
            "aliases": dedupe(list(c.get("aliases", [])), c["name"]),
        }
        if c.get("surnames"):
            e["surnames"] = list(c["surnames"])
        if "offices" in c:
            e["offices"] = [dict(o, source=CURATED_SOURCE) for o in c["offices"]]
        e["source"] = CURATED_SOURCE
        if c.get("notes"):
            e["notes"] = c["notes"]
        out.append(e)
    return out


def entity_sort_key(e: dict):
    m = re.fullmatch(r"Q(\d+)", e["id"])
    return (0, int(m.group(1)), "") if m else (1, 0, e["id"])


def dump(doc: dict) -> str:
    """Diff-friendly JSON: header keys one per line, one country / entity per line."""

    def one(obj):
        return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))

    lines = ["{"]
    lines.extend(f"  {one(k)}: {one(doc[k])}," for k in ("version", "description", "licence"))
    lines.append('  "sources": [')
    lines.append(",\n".join(f"    {one(s)}" for s in doc["sources"]))
    lines.append("  ],")
    lines.append('  "countries": [')
    lines.append(",\n".join(f"    {one(c)}" for c in doc["countries"]))
    lines.append("  ],")
    lines.append('  "entities": [')
    lines.append(",\n".join(f"    {one(e)}" for e in doc["entities"]))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"folder with {DATASET}")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output watchlist.json")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every correction and skipped surname")
    args = ap.parse_args(argv)

    src = args.data / DATASET
    if not src.is_file():
        print(f"error: {src} not found", file=sys.stderr)
        return 2
    raw = load_rows(src)
    tables = json.loads(CURATED_FILE.read_text(encoding="utf-8"))
    rows, log = clean_rows(raw, tables["leader_aliases"])
    persons, glog = group_persons(rows)
    log += glog
    entities, elog = build_person_entities(persons)
    log += elog
    countries, clog = build_countries(rows, tables["countries"])
    log += clog
    curated = curated_entities(tables["entities"])
    ids = {e["id"] for e in entities}
    for c in curated:
        if c["id"] in ids:
            print(f"error: curated id {c['id']} collides with a dataset entity", file=sys.stderr)
            return 1
    entities += curated

    reserved = set()
    for c in countries:
        reserved.update(key(n) for n in c["names"] + c["adjectives"])
    for c in curated:
        if c["type"] != "person":
            reserved.update(key(n) for n in [c["name"]] + c["aliases"])
    log += add_generated_aliases(entities, reserved)
    split_surnames(entities)

    order = ("id", "name", "type", "aliases", "surnames", "offices", "source", "notes")
    entities = [{k: e[k] for k in order if k in e and (k != "surnames" or e[k])} for e in entities]
    entities.sort(key=entity_sort_key)
    doc = {
        "version": VERSION,
        "description": DESCRIPTION,
        "licence": LICENCE,
        "sources": SOURCES,
        "countries": countries,
        "entities": entities,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump(doc), encoding="utf-8")

    if args.verbose:
        for line in log:
            print("  " + line)
    by_type = collections.Counter(e["type"] for e in entities)
    n_off = sum(len(e.get("offices", [])) for e in entities)
    n_alias = sum(len(e["aliases"]) + len(e.get("surnames", [])) for e in entities)
    print(
        f"wrote {args.out}: {len(entities)} entities ("
        + ", ".join(f"{t} {n}" for t, n in sorted(by_type.items()))
        + f"), {n_off} offices, {n_alias} aliases and surnames, {len(countries)} countries; "
        f"{len(raw)} dataset rows -> {by_type['person'] - sum(1 for c in curated if c['type'] == 'person')} leaders"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
