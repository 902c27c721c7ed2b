"""Checking embedding arrays: the one validation every algorithm in core runs on its input.

One behaviour, everywhere:

* the array must be 2-D ``(N, D)`` and numeric; it comes back as C-contiguous float32
  (no copy when it already is);
* with ``n_rows`` it must have that many rows, with ``width`` that many columns;
* a row with a NaN or an infinite value is an error;
* an all-zero row is an error unless ``unit="any"``: it has no direction, so cosine
  similarity is undefined for it (an embedder that failed on an image returns one);
* ``unit`` says what is done about row lengths: ``"require"`` (rows must already
  have norm 1, as the embedders store them), ``"normalize"`` (rows are scaled to norm 1
  here) or ``"any"`` (rows are points, for euclidean distances).

Every error names the parameter, what was expected, how many rows failed and the
first of them, with that row's norm.

Examples
--------
>>> x = np.array([[3.0, 4.0], [0.0, 2.0]])
>>> check_embeddings(x, unit="normalize").tolist()
[[0.6000000238418579, 0.800000011920929], [0.0, 1.0]]
>>> check_embeddings(x)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: embeddings must be L2-normalised (rows of norm 1); got 2 row(s) of another norm ...
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: What ``check_embeddings(unit=...)`` accepts.
UNIT_MODES = ("require", "normalize", "any")
#: How far a row's norm may be from 1 under ``unit="require"``.
UNIT_TOLERANCE = 1e-3
#: Rows checked at a time (bounds the temporary memory on large arrays).
_CHUNK = 65536


def check_embeddings(
    embeddings: object,
    *,
    name: str = "embeddings",
    n_rows: int | None = None,
    row_of: str = "record",
    width: int | None = None,
    unit: str = "require",
) -> np.ndarray:
    """Validate an ``(N, D)`` embedding array and return it as float32.

    Parameters
    ----------
    embeddings
        The array (anything ``numpy.asarray`` accepts).
    name
        The parameter name used in error messages.
    n_rows
        The number of rows it must have (one per ``row_of``), or None.
    row_of
        What each row stands for, for the ``n_rows`` message (``"record"``, ``"term"``).
    width
        The number of columns it must have (the width of the vectors it will be
        compared with), or None.
    unit
        ``"require"``: every row must have norm 1 (within 1e-3). ``"normalize"``: rows
        are divided by their norms (a new array). ``"any"``: lengths are left alone and
        all-zero rows are allowed (points for euclidean distances).

    Returns
    -------
    numpy.ndarray
        C-contiguous float32; the input itself when it already was, and ``unit`` is
        not ``"normalize"``.

    Raises
    ------
    ValueError
        For a wrong shape, a non-numeric dtype, rows with NaN or infinite values,
        all-zero rows (unless ``unit="any"``) or, with ``unit="require"``, rows whose
        norm is not 1.

    Examples
    --------
    >>> x = np.eye(3, dtype=np.float32)
    >>> check_embeddings(x, n_rows=3) is x
    True
    >>> check_embeddings(x, width=4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: embeddings must have width 4, ...; got 3. Embed both with the same model
    """
    if unit not in UNIT_MODES:
        raise ValueError(f"unit must be one of {list(UNIT_MODES)}; got {unit!r}")
    x = np.asarray(embeddings)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N, D); got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{name} must hold numbers; got dtype {x.dtype}")
    if n_rows is not None and x.shape[0] != n_rows:
        raise ValueError(f"{name} must have one row per {row_of}: {n_rows} rows; "
                         f"got {x.shape[0]} rows")
    if width is not None and x.shape[1] != width:
        raise ValueError(f"{name} must have width {width}, like the embeddings it is compared "
                         f"with; got {x.shape[1]}. Embed both with the same model")
    x = np.ascontiguousarray(x, dtype=np.float32)
    finite, norms = _row_stats(x)
    _raise_for_rows(name, ~finite, norms, "hold finite values", "with NaN or infinite values",
                    "Drop or re-embed those samples")
    if unit == "any":
        return x
    _raise_for_rows(name, norms == 0, norms, "have a direction in every row (cosine needs one)",
                    "that are all-zero", "Drop or re-embed those samples")
    if unit == "normalize":
        return x / norms[:, None]
    _raise_for_rows(name, ~(np.abs(norms - 1.0) <= UNIT_TOLERANCE), norms,
                    "be L2-normalised (rows of norm 1)", "of another norm",
                    "Normalise with x / np.linalg.norm(x, axis=1, keepdims=True)")
    return x


def check_text_embeddings(
    text_embeddings: object,
    terms: Sequence[str],
    image_embeddings: np.ndarray,
    *,
    name: str,
) -> np.ndarray:
    """Unit text embeddings, one row per term, comparable with ``image_embeddings``.

    The check shared by everything that compares text with images (cluster names,
    concept probes): the rows must match the terms and the width must match the images'
    (both from the same joint image-text model).

    Parameters
    ----------
    text_embeddings
        ``(T, D)`` text embeddings (normalised here).
    terms
        The ``T`` texts they embed.
    image_embeddings
        The checked ``(N, D)`` image embeddings they will be compared with.
    name
        The parameter name used in error messages.

    Examples
    --------
    >>> images = np.eye(3, dtype=np.float32)
    >>> check_text_embeddings(np.ones((2, 3)), ["ink", "batik"], images, name="texts").shape
    (2, 3)
    """
    return check_embeddings(text_embeddings, name=name, n_rows=len(terms), row_of="term",
                            width=image_embeddings.shape[1], unit="normalize")


def _row_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(all values finite, L2 norm) of every row, a chunk of rows at a time."""
    finite = np.empty(x.shape[0], dtype=bool)
    norms = np.empty(x.shape[0], dtype=np.float32)
    for lo in range(0, x.shape[0], _CHUNK):
        part = x[lo:lo + _CHUNK]
        finite[lo:lo + _CHUNK] = np.isfinite(part).all(axis=1)
        norms[lo:lo + _CHUNK] = np.linalg.norm(part, axis=1)
    return finite, norms


def _raise_for_rows(name: str, bad: np.ndarray, norms: np.ndarray, expected: str, found: str,
                    advice: str) -> None:
    rows = np.flatnonzero(bad)
    if rows.size:
        raise ValueError(
            f"{name} must {expected}; got {rows.size} row(s) {found} (first rows: "
            f"{rows[:5].tolist()}; row {rows[0]} has norm {norms[rows[0]]:.4g}). {advice}")
