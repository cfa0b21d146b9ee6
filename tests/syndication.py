"""A syndication simulator: what re-publishers do to a wire story, applied to real articles.

Each variation takes the story as (headline, paragraphs) and returns a changed copy; `render`
turns a copy into the (headline, body) a re-publisher would serve, as text or as HTML. The
variations are those seen in the wild (the seed article shows most of them): boilerplate lines,
a new headline or a headline suffix, a dateline, truncation to the first paragraphs, merged or
split paragraphs, HTML, diacritics folded to ASCII, straightened (or curled) quotes, typos.

Used by tests/unit/test_syndication.py (a sample) and bench/dedup_eval.py (every article).
Deterministic for a given `random.Random`.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from random import Random

__all__ = [
    "VARIATIONS",
    "Copy",
    "Story",
    "copies_of",
    "paragraphs_of",
    "render",
    "story_of",
    "syndicate",
    "word_count",
]


@dataclass(frozen=True)
class Story:
    """A story as a re-publisher sees it, plus what it wraps around it."""

    headline: str
    paragraphs: tuple[str, ...]
    before: tuple[str, ...] = ()
    """Lines the re-publisher puts above the story (menus, buttons, the repeated headline)."""
    after: tuple[str, ...] = ()
    """Lines below it (source credit, related articles, share bars)."""
    as_html: bool = False


@dataclass(frozen=True)
class Copy:
    """One simulated re-publication of a real article."""

    original_id: str
    variation: str
    headline: str
    body: str
    kept: float = 1.0
    """Share of the original's words the copy keeps (below 1 for truncated copies)."""


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]{2,}\S)")  # blank line, or Reuters' indented paragraphs
_SENTENCE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[\"“‘(]?[A-Z])")
_WORD = re.compile(r"[^\W\d_]{4,}")


def word_count(text: str) -> int:
    return len(text.split())


def paragraphs_of(body: str) -> tuple[str, ...]:
    """Paragraphs of a corpus body; wrapped lines joined; a flattened body is cut every few sentences."""
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(body)]
    paragraphs = [p for p in paragraphs if p]
    if len(paragraphs) == 1 and "\n" in body.strip():  # one sentence per line (ECB+)
        paragraphs = [" ".join(line.split()) for line in body.splitlines() if line.strip()]
    if len(paragraphs) <= 2 and word_count(body) > 150:  # press releases lost their breaks
        sentences = [s for p in paragraphs for s in _SENTENCE.split(p)]
        paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return tuple(paragraphs)


def story_of(headline: str, body: str) -> Story:
    return Story(headline=headline.strip(), paragraphs=paragraphs_of(body))


def render(story: Story) -> tuple[str, str]:
    """(headline, body) as served: plain paragraphs separated by blank lines, or an HTML page."""
    if not story.as_html:
        return story.headline, "\n\n".join([*story.before, *story.paragraphs, *story.after])
    esc = html.escape
    parts = [
        "<html><head><title>",
        esc(story.headline),
        "</title><style>p{margin:0}</style></head><body>",
        '<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>',
        *(f'<div class="meta">{esc(line)}</div>' for line in story.before),
        f"<article><h1>{esc(story.headline)}</h1>",
        *(f"<p>{_entities(esc(p))}</p>" for p in story.paragraphs),
        "</article>",
        "<script>window.dataLayer=window.dataLayer||[];dataLayer.push({'event':'article'});</script>",
        *(f'<div class="after">{esc(line)}</div>' for line in story.after),
        "</body></html>",
    ]
    return story.headline, "\n".join(parts)


def _entities(text: str) -> str:
    """Some CMSs write typographic characters as numeric entities."""
    return text.replace("’", "&#8217;").replace("“", "&#8220;").replace("”", "&#8221;")


# --- the variations ---------------------------------------------------------------------------

_BOILERPLATE_BEFORE = (
    "Abone Ol",
    "Defence NewsÖne Çıkan",
    "Home » World » Europe",
    "Son Dakika",
    "Share on Facebook Share on Twitter",
    "Listen to this article",
    "Advertisement",
)
_BOILERPLATE_AFTER = (
    "Source: Da,lySabah",
    "Abone Ol",
    "Related Articles",
    "Back to top button",
    "Read more: Markets brace for a busy week",
    "Tags: world, politics, economy",
    "© 2024 M5 Dergi. All rights reserved.",
    "Follow us on Google News",
    "Subscribe to our newsletter",
    "Click here to read the latest news",
    "Kaynak: AA",
)
_HEADLINE_SUFFIXES = (" - M5 Dergi", " | Daily Sabah", " – Hürriyet Daily News", " - The Frontier Post", " | World")
_NEW_HEADLINES = (
    "Leaders talk trade, energy in long-awaited meeting",
    "WATCH: what we know so far",
    "Here is what happened today",
    "Breaking: officials confirm the report",
)
_DATELINES = (
    "ANKARA (AA) - ",
    "MOSCOW, March 3 (Reuters) - ",
    "LONDON — ",
    "WASHINGTON (AP) — ",
    "ISTANBUL: ",
    "(AFP) - ",
)
_FOLD_EXTRA = str.maketrans({"ı": "i", "İ": "I", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "ß": "ss"})
_STRAIGHT = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
_CURLY_DOUBLE = re.compile(r'"([^"\n]{1,400})"')
_CURLY_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")


def boilerplate(story: Story, rng: Random) -> Story:
    """The re-publisher's menus, buttons, credits and 'related' lines around the story."""
    before = tuple(rng.sample(_BOILERPLATE_BEFORE, rng.randint(1, 3)))
    after = tuple(rng.sample(_BOILERPLATE_AFTER, rng.randint(2, 5)))
    paragraphs = list(story.paragraphs)
    if len(paragraphs) > 4 and rng.random() < 0.5:  # an ad break in the middle
        paragraphs.insert(len(paragraphs) // 2, "Advertisement")
    return replace(story, before=story.before + before, after=after + story.after, paragraphs=tuple(paragraphs))


def headline(story: Story, rng: Random) -> Story:
    """A headline suffix, or a new headline; the old one is repeated at the top of the body."""
    new = story.headline + rng.choice(_HEADLINE_SUFFIXES) if rng.random() < 0.5 else rng.choice(_NEW_HEADLINES)
    return replace(story, headline=new, before=(*story.before, story.headline))


def dateline(story: Story, rng: Random) -> Story:
    """A wire dateline opening the first paragraph."""
    if not story.paragraphs:
        return story
    first, *rest = story.paragraphs
    return replace(story, paragraphs=(rng.choice(_DATELINES) + first, *rest))


def truncate(story: Story, rng: Random, share: float | None = None) -> Story:
    """Keep the first paragraphs: at least `share` (40-90 %) of the words, cut at a sentence end."""
    share = rng.uniform(0.4, 0.9) if share is None else share
    words = [w for p in story.paragraphs for w in p.split()]
    target = math.ceil(len(words) * share)
    kept: list[str] = []
    count = 0
    for paragraph in story.paragraphs:
        if count >= target:
            break
        size = word_count(paragraph)
        if count + size <= target:
            kept.append(paragraph)
            count += size
            continue
        sentences = _SENTENCE.split(paragraph)
        part: list[str] = []
        for sentence in sentences:
            if count >= target:
                break
            part.append(sentence)
            count += word_count(sentence)
        kept.append(" ".join(part))
    return replace(story, paragraphs=tuple(kept))


def reflow(story: Story, rng: Random) -> Story:
    """Merge neighbouring paragraphs and split long ones at sentence ends."""
    out: list[str] = []
    for paragraph in story.paragraphs:
        sentences = _SENTENCE.split(paragraph)
        if len(sentences) > 2 and rng.random() < 0.5:
            cut = rng.randint(1, len(sentences) - 1)
            out += [" ".join(sentences[:cut]), " ".join(sentences[cut:])]
        elif out and rng.random() < 0.4:
            out[-1] = f"{out[-1]} {paragraph}"
        else:
            out.append(paragraph)
    return replace(story, paragraphs=tuple(out))


def as_html(story: Story, rng: Random) -> Story:
    """Served as an HTML page: navigation, <p> paragraphs, a script, entities."""
    return replace(story, as_html=True)


def ascii_fold(story: Story, rng: Random) -> Story:
    """Diacritics dropped and quotes straightened, as outlets with ASCII-only systems do."""

    def fold(text: str) -> str:
        text = text.translate(_FOLD_EXTRA).translate(_STRAIGHT)
        decomposed = unicodedata.normalize("NFKD", text)
        return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))

    return _map_text(story, fold)


def quotes(story: Story, rng: Random) -> Story:
    """Straightened quotes where the original has curly ones, curly ones where it has straight ones."""
    text = " ".join(story.paragraphs)
    if any(c in text for c in "“”‘’"):
        return _map_text(story, lambda t: t.translate(_STRAIGHT))
    return _map_text(story, lambda t: _CURLY_APOSTROPHE.sub("’", _CURLY_DOUBLE.sub(r"“\1”", t)))


def typos(story: Story, rng: Random) -> Story:
    """One or two typos: a swapped, dropped or doubled letter in a word of four letters or more."""
    paragraphs = list(story.paragraphs)
    for _ in range(rng.randint(1, 2)):
        candidates = [(i, m) for i, p in enumerate(paragraphs) for m in _WORD.finditer(p)]
        if not candidates:
            break
        i, match = rng.choice(candidates)
        word = match.group()
        k = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("swap", "drop", "double"))
        if kind == "swap":
            new = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
        elif kind == "drop":
            new = word[:k] + word[k + 1 :]
        else:
            new = word[:k] + word[k] + word[k:]
        p = paragraphs[i]
        paragraphs[i] = p[: match.start()] + new + p[match.end() :]
    return replace(story, paragraphs=tuple(paragraphs))


def _map_text(story: Story, change: Callable[[str], str]) -> Story:
    return replace(story, headline=change(story.headline), paragraphs=tuple(change(p) for p in story.paragraphs))


Variation = Callable[[Story, Random], Story]
VARIATIONS: dict[str, Variation] = {
    "boilerplate": boilerplate,
    "headline": headline,
    "dateline": dateline,
    "truncate": truncate,
    "reflow": reflow,
    "html": as_html,
    "ascii_fold": ascii_fold,
    "quotes": quotes,
    "typos": typos,
}
"""Each variation alone; `copies_of` adds combinations."""
_ORDER = ("truncate", "reflow", "typos", "ascii_fold", "quotes", "dateline", "headline", "boilerplate", "html")


def _apply(story: Story, names: list[str], rng: Random) -> Story:
    for name in sorted(names, key=_ORDER.index):  # text edits first, wrapping last
        story = VARIATIONS[name](story, rng)
    return story


def syndicate(headline_: str, body: str, names: list[str], rng: Random) -> tuple[str, str]:
    """One copy with the named variations applied: (headline, body) as the re-publisher serves them."""
    return render(_apply(story_of(headline_, body), names, rng))


def copies_of(article_id: str, headline_: str, body: str, rng: Random, *, combined: int = 3) -> list[Copy]:
    """Every variation alone, truncation at 40 % exactly, everything at once, and `combined` random mixes."""
    story = story_of(headline_, body)
    total = sum(word_count(p) for p in story.paragraphs) or 1
    plans: list[tuple[str, list[str]]] = [(name, [name]) for name in VARIATIONS]
    plans.append(("all", list(VARIATIONS)))
    names = list(VARIATIONS)
    for _ in range(combined):
        mix = rng.sample(names, rng.randint(2, len(names) - 1))
        plans.append(("mix:" + "+".join(sorted(mix, key=_ORDER.index)), mix))
    out: list[Copy] = []
    for label, plan in plans:
        copy = _apply(story, plan, rng)
        out.append(_copy(article_id, label, copy, total))
    cut = truncate(story, rng, share=0.4)
    out.append(_copy(article_id, "truncate@40%", cut, total))
    worst = _apply(truncate(story, rng, share=0.4), [n for n in names if n != "truncate"], rng)
    out.append(_copy(article_id, "all+truncate@40%", worst, total))
    return out


def _copy(article_id: str, label: str, story: Story, total: int) -> Copy:
    title, body = render(story)
    kept = sum(word_count(p) for p in story.paragraphs) / total
    return Copy(article_id, label, title, body, min(1.0, kept))
