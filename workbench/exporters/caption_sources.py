"""Where an export caption comes from, the form it is written in, and clean file-name words.

**Sources** rank ``expert > manifest > suggested > template``. A record's own ``caption``
carries its source in ``caption_source`` (``workbench.schema``): ``expert`` when a person
set it through ``wb.edit``, ``manifest`` when the loader read it from a manifest,
``suggested`` when it was accepted from a suggestion. A caption without a recorded source
counts as ``manifest`` (the loader was its only writer before the field existed). A
record without a caption of its own gets a ``template`` caption. The source used is written
per exported image (``CREDITS.csv``, ``metadata.jsonl``).

**Forms**: ``tags`` (kohya: comma-separated parts, the trigger first, so ``keep_tokens``
keeps it in place while ``shuffle_caption`` shuffles the rest) and ``sentence``
(imagefolder: a short phrase ending in a full stop, for diffusers' text column). ``auto``
picks ``tags`` for kohya and ``sentence`` otherwise.

**File-name words** feed template captions. Words of the file name that say nothing about
the picture are dropped: the creator's name (``acquila_architetto_franc.png`` by
"Architetto Francesco" gives ``acquila``), ids (``a3f9c2e1``, ``x7k2p9``), dates
(``2021-03-04``, ``12jan2021``) and numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

#: Caption sources, best first.
CAPTION_SOURCES = ("expert", "manifest", "suggested", "template")
#: Caption forms; ``auto`` is ``tags`` for kohya and ``sentence`` for the other formats.
FORMS = ("auto", "tags", "sentence")

#: File-name words that say nothing about the picture (camera and scanner defaults).
GENERIC_WORDS = frozenset({"img", "image", "dsc", "dscn", "dcim", "pic", "photo", "scan",
                           "copy", "final", "edit", "untitled", "screenshot", "file"})
_MONTHS = frozenset({
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "january", "february", "march", "april", "june", "july", "august", "september",
    "october", "november", "december"})
_HEX_ID = re.compile(r"[0-9a-f]{6,}")
#: A creator word this long or longer also drops its truncations (``franc`` of ``francesco``).
_PREFIX_MIN = 4


def form_for(fmt: str, form: str) -> str:
    """The caption form an export of format ``fmt`` writes (``auto`` resolved)."""
    if form not in FORMS:
        raise ValueError(f"caption form must be one of {list(FORMS)}; got {form!r}")
    if form != "auto":
        return form
    return "tags" if fmt == "kohya" else "sentence"


def own_caption_source(record: Mapping) -> str | None:
    """The source of a record's own ``caption`` (None when it has none).

    Examples
    --------
    >>> own_caption_source({"caption": "a heron", "caption_source": "expert"})
    'expert'
    >>> own_caption_source({"caption": "a heron"}), own_caption_source({"caption": " "})
    ('manifest', None)
    """
    caption = record.get("caption")
    if not isinstance(caption, str) or not caption.strip():
        return None
    source = record.get("caption_source")
    if source is None or (isinstance(source, float) and math.isnan(source)):
        return "manifest"
    source = str(source).strip().lower()
    if source not in CAPTION_SOURCES:
        raise ValueError(
            f"caption_source of record {record.get('id')!r} must be one of "
            f"{list(CAPTION_SOURCES)}; got {record.get('caption_source')!r}")
    return source


def name_words(text: object) -> set[str]:
    """The lower-case words (two letters or more) of a name such as a creator's."""
    if not isinstance(text, str):
        return set()
    return {w for w in re.split(r"[^\w]+|_|\d+", text.lower()) if len(w) > 1}


def _is_id(token: str) -> bool:
    low = token.lower()
    if not any(ch.isdigit() for ch in low):
        return False
    if _HEX_ID.fullmatch(low):
        return True  # a hash or uuid piece
    runs = re.findall(r"[a-z]+", low)
    return bool(runs) and all(len(r) <= 2 for r in runs)  # x7k2p9, ab12cd34


def _is_creator(word: str, creator: set[str]) -> bool:
    return word in creator or (len(word) >= _PREFIX_MIN and any(
        c.startswith(word) or (len(c) >= _PREFIX_MIN and word.startswith(c)) for c in creator))


def clean_name_words(stem: str, creator: object = None) -> list[str]:
    """The descriptive words of a file-name stem, lower-case, in order.

    Examples
    --------
    >>> clean_name_words("acquila_architetto_franc", "Architetto Francesco Rollandin")
    ['acquila']
    >>> clean_name_words("heron_great-blue_2021-03-04_a3f9c2e1_02")
    ['heron', 'great', 'blue']
    >>> clean_name_words("yen100"), clean_name_words("12jan2021_fox")
    (['yen'], ['fox'])
    """
    creator_words = name_words(creator)
    tokens = [t for t in re.split(r"[\W_]+", stem) if t]
    numeric = [any(ch.isdigit() for ch in t) for t in tokens]
    words: list[str] = []
    for k, token in enumerate(tokens):
        if _is_id(token):
            continue
        dated = numeric[k] or (k > 0 and numeric[k - 1]) or (k + 1 < len(tokens) and numeric[k + 1])
        token = re.sub(r"([a-z])([A-Z])", r"\1 \2", token)  # camelCase -> camel Case
        for word in re.findall(r"[^\W\d_]+", token):
            word = word.lower()
            if len(word) < 2 or word in GENERIC_WORDS or (dated and word in _MONTHS):
                continue
            if _is_creator(word, creator_words):
                continue
            if word not in words:
                words.append(word)
    return words


def has_trigger(caption: str, trigger: str) -> bool:
    """True when ``trigger`` appears in ``caption`` as a whole word (or words)."""
    return re.search(rf"(?<!\w){re.escape(trigger)}(?!\w)", caption) is not None


def trigger_parts(trigger: str | None) -> list[str]:
    """The comma-separated parts of a trigger (kohya's ``keep_tokens`` counts these)."""
    return [p.strip() for p in (trigger or "").split(",") if p.strip()]


def trigger_first(caption: str, trigger: str | None) -> str:
    """A tag caption that starts with the trigger's parts (moved there, or put in front).

    Examples
    --------
    >>> trigger_first("ink, plwb, blue", "plwb"), trigger_first("a plwb dog", "plwb")
    ('plwb, ink, blue', 'plwb, a plwb dog')
    """
    lead = trigger_parts(trigger)
    if not lead:
        return caption
    parts = [p.strip() for p in caption.split(",") if p.strip()]
    if parts[:len(lead)] == lead:
        return ", ".join(parts)
    rest = list(parts)
    for p in lead:
        if p in rest:
            rest.remove(p)
    return ", ".join(lead + rest)


def as_sentence(caption: str) -> str:
    """A caption ending in a full stop (empty stays empty).

    Examples
    --------
    >>> as_sentence("plwb, a picture of a heron, birds"), as_sentence("")
    ('plwb, a picture of a heron, birds.', '')
    """
    caption = caption.strip()
    if not caption or caption[-1] in ".!?":
        return caption
    return caption + "."
