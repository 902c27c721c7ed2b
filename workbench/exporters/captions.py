"""Training captions: a template over record fields, an optional trigger token, and checks.

Pure Python; the CLIP tokenizer (bundled with the CLIP package, no download) is reached
through :mod:`workbench.models.tokens`, imported only when caption lengths are checked.

Template rule: the template is split at commas into parts, and a part whose
fields are all present is kept; a part with a missing field (``None``, empty,
NaN) is dropped whole, so ``"{style} pattern"`` never becomes ``"None pattern"``
or a dangling ``"pattern"``. The trigger is never lost: when a dropped part held
``{trigger}``, the trigger stays as its own part. A trigger is put first when the
template has no ``{trigger}``, and in front of a sample's own caption unless it
already contains it.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field

#: Fields a template may always name, even when no record has them. ``file_words`` is
#: the words of the file's name (``heron_great-blue_02.png`` gives ``heron great blue``).
TEMPLATE_FIELDS = (
    "trigger", "group", "creator", "source", "license", "attribution", "consent",
    "ai_generated", "region", "style", "technique", "caption", "file_words",
)

#: File-name words that say nothing about the picture (camera and scanner defaults).
_GENERIC_WORDS = frozenset({"img", "image", "dsc", "dscn", "dcim", "pic", "photo", "scan",
                            "copy", "final", "edit", "untitled", "screenshot", "file"})


@dataclass(frozen=True)
class CaptionConfig:
    """How captions are made and checked.

    Attributes
    ----------
    template
        ``str.format`` fields over the record (plus ``trigger``, ``group`` and
        ``file_words``), separated by commas; parts with missing fields are dropped.
    fallback_template
        Used where ``template`` (and the record's own caption) give nothing, so no
        image is exported without a caption: by default the group value, technique,
        region and the words of the file name. ``None`` leaves such captions empty.
    trigger
        A token to teach the model (``"sks"``, ``"plwb style"``); ``None`` for none.
    prefer_sample_caption
        Use a record's own ``caption`` when it has one, instead of the template.
    max_tokens
        CLIP's context length, start and end tokens included; longer captions are
        reported (CLIP truncates them in training).
    tokenizer
        CLIP model name (``"ViT-B-32"``) whose tokenizer counts tokens; ``None`` skips
        the check.
    shared_max_count, shared_max_share
        A caption used by more than this many images, or more than this share of
        them, is reported as shared.

    Examples
    --------
    >>> cfg = CaptionConfig(template="{trigger}, {style} pattern, {technique}", trigger="plwb")
    >>> render_caption({"style": "ink"}, cfg)
    'plwb, ink pattern'
    """

    template: str = "{trigger}, {style}, {technique}, {region}"
    fallback_template: str | None = "{trigger}, {group}, {technique}, {region}, {file_words}"
    trigger: str | None = None
    prefer_sample_caption: bool = True
    max_tokens: int = 77
    tokenizer: str | None = "ViT-B-32"
    shared_max_count: int = 10
    shared_max_share: float = 0.2

    def __post_init__(self) -> None:
        if not isinstance(self.template, str):
            raise TypeError(f"template must be a str; got {type(self.template).__name__}")
        _parse_parts(self.template)  # raises on unbalanced braces
        if self.fallback_template is not None:
            _parse_parts(self.fallback_template)
        if self.trigger is not None and not str(self.trigger).strip():
            raise ValueError("trigger must be None or a non-empty string; got an empty string")
        if self.max_tokens < 3:
            raise ValueError(f"max_tokens must be at least 3; got {self.max_tokens!r}")
        if not 0 < self.shared_max_share <= 1:
            raise ValueError(f"shared_max_share must be in (0, 1]; got {self.shared_max_share!r}")


@dataclass
class CaptionIssues:
    """Caption problems found at export time; reported, never fatal.

    Attributes
    ----------
    empty
        Ids of samples whose caption came out empty.
    too_long
        ``{id, tokens}`` for captions longer than ``max_tokens`` CLIP tokens.
    missing_trigger
        Ids of samples whose caption lacks the trigger.
    shared
        ``{caption, count}`` for captions used by many images.
    note
        Why a check could not run (for example, no tokenizer), else ``None``.
    """

    empty: list[str] = field(default_factory=list)
    too_long: list[dict] = field(default_factory=list)
    missing_trigger: list[str] = field(default_factory=list)
    shared: list[dict] = field(default_factory=list)
    note: str | None = None

    @property
    def count(self) -> int:
        """Number of issues of all kinds."""
        return len(self.empty) + len(self.too_long) + len(self.missing_trigger) + len(self.shared)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        parts = [f"{len(self.empty)} empty", f"{len(self.too_long)} over the token limit",
                 f"{len(self.missing_trigger)} without the trigger",
                 f"{len(self.shared)} shared by many images"]
        text = "captions: " + ", ".join(parts)
        return text + (f" ({self.note})" if self.note else "")


def _parse_parts(template: str) -> list[tuple[str, list[str]]]:
    """Split a template at top-level commas into (part, field names)."""
    formatter = string.Formatter()
    try:
        pieces = list(formatter.parse(template))
    except ValueError as exc:
        raise ValueError(f"template {template!r} is not a valid format string: {exc}") from None
    parts: list[tuple[str, list[str]]] = []
    text, names = "", []
    for literal, name, spec, conversion in pieces:
        literal = literal.replace("{", "{{").replace("}", "}}")
        chunks = literal.split(",")
        for chunk in chunks[:-1]:
            parts.append((text + chunk, names))
            text, names = "", []
        text += chunks[-1]
        if name is not None:
            if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(
                    f"template field {{{name}}} must be a plain field name such as "
                    f"{{style}}; got {name!r} in {template!r}"
                )
            text += "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec}" if spec else "") + "}"
            names.append(name)
    parts.append((text, names))
    return parts


def template_fields(template: str) -> list[str]:
    """The field names a template uses, in order."""
    return [name for _, names in _parse_parts(template) for name in names]


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def clean_caption(text: str) -> str:
    """One line, single spaces, no empty comma parts.

    Examples
    --------
    >>> clean_caption(" ink ,, , pattern,\\n blue ,")
    'ink, pattern, blue'
    """
    text = re.sub(r"\s+", " ", text)
    parts = [p.strip() for p in text.split(",")]
    return ", ".join(p for p in parts if p)


def _has_trigger(caption: str, trigger: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(trigger)}(?!\w)", caption) is not None


def file_words(path: object) -> str | None:
    """The descriptive words of a file's name, lower-case.

    Examples
    --------
    >>> file_words("/x/heron_great-blue_02.png")
    'heron great blue'
    >>> file_words("IMG_0042.JPG") is None
    True
    """
    if not _present(path):
        return None
    stem = str(path).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = re.sub(r"([a-z])([A-Z])", r"\1 \2", stem)  # camelCase -> camel Case
    words = [w.lower() for w in re.split(r"[^A-Za-z]+", stem)]
    words = [w for w in words if len(w) > 1 and w not in _GENERIC_WORDS]
    return " ".join(words) or None


def render_caption(record: Mapping, config: CaptionConfig) -> str:
    """The caption for one record (the fallback template is not applied here).

    Examples
    --------
    >>> cfg = CaptionConfig(template="{trigger}, {style} pattern, {technique}", trigger="plwb")
    >>> render_caption({"style": "ink", "technique": None}, cfg)
    'plwb, ink pattern'
    >>> render_caption({"style": None, "technique": "weaving"}, cfg)
    'plwb, weaving'
    """
    trigger = config.trigger.strip() if config.trigger else None
    own = record.get("caption")
    if config.prefer_sample_caption and _present(own):
        caption = clean_caption(str(own))
        if trigger and not _has_trigger(caption, trigger):
            caption = clean_caption(f"{trigger}, {caption}")
        return caption

    return _render_template(record, config.template, trigger)


def _render_template(record: Mapping, template: str, trigger: str | None) -> str:
    values = {k: v for k, v in record.items() if isinstance(k, str)}
    values["trigger"] = trigger
    if "file_words" not in values:
        values["file_words"] = file_words(record.get("filepath"))
    kept: list[str] = []
    for text, names in _parse_parts(template):
        if all(_present(values.get(n)) for n in names):
            rendered = text.format_map({n: str(values[n]).strip() for n in names})
            kept.append(rendered)
        elif "trigger" in names and trigger:
            kept.append(trigger)
    caption = clean_caption(",".join(kept))
    if trigger and "trigger" not in template_fields(template):
        caption = clean_caption(f"{trigger}, {caption}")
    return caption


def render_captions(records: Sequence[Mapping], config: CaptionConfig) -> list[str]:
    """Captions for many records (see :func:`captions_with_fallback`)."""
    return captions_with_fallback(records, config)[0]


def captions_with_fallback(records: Sequence[Mapping], config: CaptionConfig
                           ) -> tuple[list[str], list[bool]]:
    """Captions for many records, and which came from ``config.fallback_template``.

    A caption that the template leaves empty (or holding only the trigger) is made
    from the fallback template instead.

    Raises
    ------
    ValueError
        When a template names a field that no record has and that is not a
        standard field (most likely a typo).
    """
    known = set(TEMPLATE_FIELDS)
    for record in records:
        known.update(k for k in record if isinstance(k, str))
    for name, template in (("template", config.template),
                           ("fallback_template", config.fallback_template)):
        unknown = [n for n in template_fields(template or "") if n not in known]
        if unknown:
            raise ValueError(
                f"caption {name} {template!r} uses unknown field(s) {unknown}; "
                f"valid fields: {sorted(known)}"
            )
    trigger = config.trigger.strip() if config.trigger else None
    captions, fallback = [], []
    for record in records:
        caption = render_caption(record, config)
        used = False
        if config.fallback_template and caption in ("", trigger):
            made = _render_template(record, config.fallback_template, trigger)
            if made not in ("", trigger):
                caption, used = made, True
        captions.append(caption)
        fallback.append(used)
    return captions, fallback


#: What a missing or broken tokenizer raises (import, files, unknown model name).
TOKENIZER_ERRORS = (ImportError, OSError, RuntimeError, ValueError, KeyError, AttributeError)


def surely_fits(caption: str, max_tokens: int) -> bool:
    """True when an ASCII caption is too short to exceed ``max_tokens`` CLIP tokens.

    CLIP's BPE emits at most one token per byte of (lower-cased, cleaned) text and
    drops whitespace, so an ASCII caption of ``n`` characters has at most ``n + 2``
    tokens with the start and end tokens. Short template captions are settled
    without importing the tokenizer (and torch).
    """
    return caption.isascii() and len(caption) + 2 <= max_tokens


def count_tokens(captions: Sequence[str], tokenizer: str = "ViT-B-32") -> list[int]:
    """CLIP token counts, start and end tokens included (compare with 77).

    Counted by :func:`workbench.models.tokens.count_clip_tokens`, imported here on first
    use so that exporting without a length check never loads the models layer.

    Raises
    ------
    ImportError
        When the CLIP package is not installed (the message says how to install it).
    """
    from workbench.models.tokens import count_clip_tokens

    return count_clip_tokens(captions, tokenizer)


def count_tokens_where_needed(captions: Sequence[str], config: CaptionConfig) -> list[int]:
    """Token counts, tokenizing only captions that :func:`surely_fits` cannot settle.

    Settled captions get the upper bound ``len + 2`` (which is within the limit).
    """
    counts = [len(c) + 2 if surely_fits(c, config.max_tokens) else -1 for c in captions]
    todo = [i for i, n in enumerate(counts) if n < 0]
    if todo:
        for i, n in zip(todo, count_tokens([captions[i] for i in todo], config.tokenizer)):
            counts[i] = n
    return counts


def count_tokens_async(captions: Sequence[str], config: CaptionConfig) -> Future:
    """Start :func:`count_tokens_where_needed` in a background thread; returns its future.

    The export counts tokens while worker processes write images, so a slow first
    import of the tokenizer (torch) overlaps with image work.
    """
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-tokens")
    future = pool.submit(count_tokens_where_needed, list(captions), config)
    pool.shutdown(wait=False)
    return future


def check_captions(ids: Sequence[str], captions: Sequence[str], config: CaptionConfig, *,
                   token_counts: Sequence[int] | Future | None = None) -> CaptionIssues:
    """Find empty, over-long, trigger-less and widely shared captions.

    ``token_counts`` (aligned with ``captions``, or a future of them) saves counting
    again; by default they are counted here when ``config.tokenizer`` is set.

    Examples
    --------
    >>> cfg = CaptionConfig(trigger="plwb", tokenizer=None)
    >>> check_captions(["a", "b"], ["plwb, ink", ""], cfg).empty
    ['b']
    """
    issues = CaptionIssues()
    trigger = config.trigger.strip() if config.trigger else None
    for sid, caption in zip(ids, captions):
        if not caption:
            issues.empty.append(sid)
        elif trigger and not _has_trigger(caption, trigger):
            issues.missing_trigger.append(sid)

    if config.tokenizer is None:
        issues.note = "token length not checked (tokenizer=None)"
    else:
        try:
            if isinstance(token_counts, Future):
                counts = token_counts.result()
            elif token_counts is not None:
                counts = list(token_counts)
            else:
                counts = count_tokens_where_needed(captions, config)
        except TOKENIZER_ERRORS as exc:  # missing package or model: a note, not a failure
            issues.note = (
                f"token length not checked: CLIP tokenizer {config.tokenizer!r} "
                f"unavailable ({type(exc).__name__}: {exc})"
            )
        else:
            issues.too_long = [{"id": sid, "tokens": n} for sid, n in zip(ids, counts)
                               if n > config.max_tokens]

    n = len(captions)
    for caption, count in sorted(Counter(c for c in captions if c).items(),
                                 key=lambda kv: (-kv[1], kv[0])):
        if count >= 2 and (count > config.shared_max_count or count / n > config.shared_max_share):
            issues.shared.append({"caption": caption, "count": count})
    return issues
