"""Training captions: a template over record fields, an optional trigger token, and checks.

A record's own caption (an expert's, a manifest's or an accepted suggestion) ranks above a
template caption (:mod:`workbench.exporters.caption_sources`); the checks live in
:mod:`workbench.exporters.caption_checks` and are re-exported here. Captions come in two
forms: ``tags`` (kohya: comma-separated, the trigger first) and ``sentence`` (imagefolder).

Template rule: the template is split at commas into parts, and a part whose
fields are all present is kept; a part with a missing field (``None``, empty,
NaN) is dropped whole, so ``"{style} pattern"`` never becomes ``"None pattern"``
or a dangling ``"pattern"``. The trigger is never lost: when a dropped part held
``{trigger}``, the trigger stays as its own part. A trigger is put first when the
template has no ``{trigger}``, and in front of a sample's own caption unless it
already contains it (a tag caption is rearranged to start with it).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .caption_checks import (  # noqa: F401  (re-exported: the checks' historical home)
    TOKENIZER_ERRORS,
    CaptionIssues,
    check_captions,
    count_tokens,
    count_tokens_async,
    count_tokens_where_needed,
    surely_fits,
)
from .caption_sources import (
    FORMS,
    as_sentence,
    clean_name_words,
    has_trigger,
    own_caption_source,
    trigger_first,
)

#: Fields a template may always name, even when no record has them. ``file_words`` is
#: the words of the file's name (``heron_great-blue_02.png`` gives ``heron great blue``).
TEMPLATE_FIELDS = (
    "trigger", "group", "creator", "source", "license", "attribution", "consent",
    "ai_generated", "region", "style", "technique", "caption", "file_words",
)


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
        Use a record's own ``caption`` (from a manifest or an accepted suggestion) when
        it has one, instead of the template. An expert's caption (``caption_source``
        ``expert``) is always used: a person's decision is never replaced by a template.
    form
        ``tags`` (comma-separated, trigger first), ``sentence`` (``sentence_template``,
        ending in a full stop) or ``auto``: tags for kohya, sentences for imagefolder/CSV.
    sentence_template
        The template of ``sentence`` captions, with the same part-dropping rule.
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
    form: str = "auto"
    sentence_template: str = ("{trigger}, a picture of {file_words}, {group}, {style} style, "
                              "{technique}, from {region}")
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
        _parse_parts(self.sentence_template)
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {list(FORMS)}; got {self.form!r}")
        if self.trigger is not None and not str(self.trigger).strip():
            raise ValueError("trigger must be None or a non-empty string; got an empty string")
        if self.max_tokens < 3:
            raise ValueError(f"max_tokens must be at least 3; got {self.max_tokens!r}")
        if not 0 < self.shared_max_share <= 1:
            raise ValueError(f"shared_max_share must be in (0, 1]; got {self.shared_max_share!r}")


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


def file_words(path: object, creator: object = None) -> str | None:
    """The descriptive words of a file's name, lower-case: no camera defaults, ids,
    dates, numbers, nor the words of ``creator`` (see
    :func:`~workbench.exporters.caption_sources.clean_name_words`).

    Examples
    --------
    >>> file_words("/x/heron_great-blue_02.png")
    'heron great blue'
    >>> file_words("IMG_0042.JPG") is None
    True
    >>> file_words("animals/acquila_architetto_franc.png", creator="Architetto Francesco")
    'acquila'
    """
    if not _present(path):
        return None
    stem = str(path).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return " ".join(clean_name_words(stem, creator)) or None


def _own_caption(record: Mapping, config: CaptionConfig) -> tuple[str, str] | None:
    """The record's own caption and its source, when it outranks the template."""
    source = own_caption_source(record)
    if source is None or (source != "expert" and not config.prefer_sample_caption):
        return None
    return clean_caption(str(record["caption"])), source


def caption_and_source(record: Mapping, config: CaptionConfig, form: str = "tags"
                       ) -> tuple[str, str]:
    """One record's caption in ``form`` (``tags`` or ``sentence``) and its source
    (``expert``, ``manifest``, ``suggested`` or ``template``); no fallback template.

    Examples
    --------
    >>> cfg = CaptionConfig(template="{style}", trigger="plwb", prefer_sample_caption=False)
    >>> caption_and_source({"style": "ink", "caption": "a heron",
    ...                     "caption_source": "expert"}, cfg)
    ('plwb, a heron', 'expert')
    >>> caption_and_source({"style": "ink", "caption": "a heron"}, cfg)
    ('plwb, ink', 'template')
    """
    trigger = config.trigger.strip() if config.trigger else None
    own = _own_caption(record, config)
    if own is not None:
        caption, source = own
        if trigger and form == "tags":
            caption = trigger_first(caption, trigger) if caption else trigger
        elif trigger and not has_trigger(caption, trigger):
            caption = clean_caption(f"{trigger}, {caption}")
        return caption, source
    if form == "sentence":
        return as_sentence(_render_template(record, config.sentence_template, trigger)), "template"
    caption = _render_template(record, config.template, trigger)
    return (trigger_first(caption, trigger) if trigger else caption), "template"


def render_caption(record: Mapping, config: CaptionConfig, form: str = "tags") -> str:
    """The caption for one record (the fallback template is not applied here).

    Examples
    --------
    >>> cfg = CaptionConfig(template="{trigger}, {style} pattern, {technique}", trigger="plwb")
    >>> render_caption({"style": "ink", "technique": None}, cfg)
    'plwb, ink pattern'
    >>> render_caption({"style": None, "technique": "weaving"}, cfg)
    'plwb, weaving'
    """
    return caption_and_source(record, config, form)[0]


def _render_template(record: Mapping, template: str, trigger: str | None) -> str:
    """Parts with every field present, in order; a part whose values all appeared in an
    earlier part is dropped (``animals, animals style`` keeps the first)."""
    values = {k: v for k, v in record.items() if isinstance(k, str)}
    values["trigger"] = trigger
    if "file_words" not in values:
        values["file_words"] = file_words(record.get("filepath"), record.get("creator"))
    kept: list[str] = []
    seen: set[str] = set()
    for text, names in _parse_parts(template):
        if all(_present(values.get(n)) for n in names):
            shown = {n: str(values[n]).strip() for n in names}
            if names and all(v.casefold() in seen for v in shown.values()):
                continue
            seen.update(v.casefold() for v in shown.values())
            kept.append(text.format_map(shown))
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
    """Tag captions for many records, and which came from ``config.fallback_template``
    (see :func:`captions_with_sources`)."""
    captions, fallback, _ = captions_with_sources(records, config, "tags")
    return captions, fallback


def captions_with_sources(records: Sequence[Mapping], config: CaptionConfig, form: str = "tags"
                          ) -> tuple[list[str], list[bool], list[str]]:
    """Captions for many records in ``form``, which came from the fallback template, and
    the source of each (``expert``, ``manifest``, ``suggested`` or ``template``).

    A tag caption that the template leaves empty (or holding only the trigger) is made
    from the fallback template instead.

    Raises
    ------
    ValueError
        When a template names a field that no record has and that is not a
        standard field (most likely a typo), or a record's ``caption_source`` is unknown.
    """
    if form not in ("tags", "sentence"):
        raise ValueError(f"form must be 'tags' or 'sentence'; got {form!r}")
    known = set(TEMPLATE_FIELDS)
    for record in records:
        known.update(k for k in record if isinstance(k, str))
    used_templates = (("template", config.template), ("fallback_template", config.fallback_template)
                      ) if form == "tags" else (("sentence_template", config.sentence_template),)
    for name, template in used_templates:
        unknown = [n for n in template_fields(template or "") if n not in known]
        if unknown:
            raise ValueError(
                f"caption {name} {template!r} uses unknown field(s) {unknown}; "
                f"valid fields: {sorted(known)}"
            )
    trigger = config.trigger.strip() if config.trigger else None
    captions, fallback, sources = [], [], []
    for record in records:
        caption, source = caption_and_source(record, config, form)
        used = False
        if form == "tags" and config.fallback_template and caption in ("", trigger):
            made = _render_template(record, config.fallback_template, trigger)
            if made not in ("", trigger):
                caption, used = (trigger_first(made, trigger) if trigger else made), True
        captions.append(caption)
        fallback.append(used)
        sources.append(source)
    return captions, fallback, sources
