"""Counting CLIP tokens in captions, with open_clip's bundled tokenizer (no download).

Importing this module is cheap; open_clip (and torch with it) is imported on the
first count.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence


@functools.lru_cache(maxsize=4)
def _tokenizer(name: str):
    try:
        import open_clip  # heavy (imports torch)
    except ImportError as exc:
        raise ImportError(f"counting CLIP tokens needs open_clip ({exc}): "
                          "pip install open_clip_torch") from exc
    return open_clip.get_tokenizer(name)


def count_clip_tokens(captions: Sequence[str], model_name: str = "ViT-B-32") -> list[int]:
    """CLIP token counts of ``captions``, start and end tokens included (compare with 77).

    Parameters
    ----------
    captions
        The texts to count.
    model_name
        The open_clip model whose tokenizer counts.

    Raises
    ------
    ImportError
        When open_clip is not installed (``pip install open_clip_torch``); an
        unknown ``model_name`` raises what open_clip raises.

    Examples
    --------
    >>> count_clip_tokens(["plwb, ink pattern"])  # doctest: +SKIP
    [7]
    """
    tok = _tokenizer(model_name)
    return [len(tok.encode(c)) + 2 for c in captions]
