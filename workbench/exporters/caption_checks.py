"""Caption checks at export time: empty, over-long (CLIP tokens), trigger-less, widely shared.

Pure Python; the CLIP tokenizer (bundled with the CLIP package, no download) is reached
through :mod:`workbench.models.tokens`, imported only when caption lengths are checked.
Re-exported by :mod:`workbench.exporters.captions`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Protocol

from .caption_sources import has_trigger


class CheckSettings(Protocol):
    """What the checks read of :class:`workbench.exporters.captions.CaptionConfig`."""

    trigger: str | None
    max_tokens: int
    tokenizer: str | None
    shared_max_count: int
    shared_max_share: float


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


def count_tokens_where_needed(captions: Sequence[str], config: CheckSettings) -> list[int]:
    """Token counts, tokenizing only captions that :func:`surely_fits` cannot settle.

    Settled captions get the upper bound ``len + 2`` (which is within the limit).
    """
    counts = [len(c) + 2 if surely_fits(c, config.max_tokens) else -1 for c in captions]
    todo = [i for i, n in enumerate(counts) if n < 0]
    if todo:
        for i, n in zip(todo, count_tokens([captions[i] for i in todo], config.tokenizer)):
            counts[i] = n
    return counts


def count_tokens_async(captions: Sequence[str], config: CheckSettings) -> Future:
    """Start :func:`count_tokens_where_needed` in a background thread; returns its future.

    The export counts tokens while worker processes write images, so a slow first
    import of the tokenizer (torch) overlaps with image work.
    """
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-tokens")
    future = pool.submit(count_tokens_where_needed, list(captions), config)
    pool.shutdown(wait=False)
    return future


def check_captions(ids: Sequence[str], captions: Sequence[str], config: CheckSettings, *,
                   token_counts: Sequence[int] | Future | None = None) -> CaptionIssues:
    """Find empty, over-long, trigger-less and widely shared captions.

    ``token_counts`` (aligned with ``captions``, or a future of them) saves counting
    again; by default they are counted here when ``config.tokenizer`` is set.

    Examples
    --------
    >>> from workbench.exporters.captions import CaptionConfig
    >>> cfg = CaptionConfig(trigger="plwb", tokenizer=None)
    >>> check_captions(["a", "b"], ["plwb, ink", ""], cfg).empty
    ['b']
    """
    issues = CaptionIssues()
    trigger = config.trigger.strip() if config.trigger else None
    for sid, caption in zip(ids, captions):
        if not caption:
            issues.empty.append(sid)
        elif trigger and not has_trigger(caption, trigger):
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
