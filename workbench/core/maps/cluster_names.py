"""Readable names for clusters, from what the collection says about itself first.

Each cluster's name has a term part and a metadata part, with their sources in
``name_source`` (e.g. ``"text+metadata"``). The term part comes from the first of these
that has something to say:

1. ``text``: the distinctive words of the members' own texts (captions, file and folder
   names; :func:`item_texts` builds them), ranked by class-based TF-IDF as BERTopic
   names topics (:func:`distinctive_words`);
2. ``clip``: CLIP zero-shot against a style vocabulary
   (``workbench/data/style_vocabulary.txt``, read by :func:`load_vocabulary`), when
   CLIP made the embeddings;
3. ``imagenet``: ImageNet classes of the bundled model, a last resort, marked
   "(ImageNet guess)" in the name.

The metadata part is the values that dominate a cluster ("mostly style=ink-wash
(93%)"). The clusters themselves come from :mod:`workbench.core.maps.clustering`.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePath

import numpy as np
import pandas as pd

from .clustering import NOISE, ClusterResult, cluster_labels, cluster_means, medoids
from ..neighbours.embeddings import check_embeddings, check_text_embeddings


def _is_missing(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def _dominant_metadata(
    metadata: pd.DataFrame, labels: np.ndarray, clusters: np.ndarray
) -> list[dict]:
    """Per cluster: {field: (top non-missing value, its share of the cluster)}."""
    sizes = pd.Series(labels).value_counts()
    out: list[dict] = [{} for _ in clusters]
    index = {c: i for i, c in enumerate(clusters.tolist())}
    for col in metadata.columns:
        values = metadata[col].reset_index(drop=True)
        present = ~_is_missing(values)
        if not present.any():
            continue
        frame = pd.DataFrame(
            {"cluster": labels[present.to_numpy()], "value": values[present].astype(str)}
        )
        counts = frame.groupby(["cluster", "value"]).size().reset_index(name="n")
        counts = counts.sort_values(["cluster", "n", "value"], ascending=[True, False, True])
        for row in counts.drop_duplicates("cluster").itertuples(index=False):
            if row.cluster in index:
                share = round(float(row.n / sizes[row.cluster]), 4)
                out[index[row.cluster]][col] = (row.value, share)
    return out


def _variant(term: str, picked: list[str]) -> bool:
    """Whether ``term`` is a form of a picked term ("coin" and "coins")."""
    low = term.casefold()
    return any(low.startswith(p.casefold()) or p.casefold().startswith(low) for p in picked)


def _pick_terms(ranked: list[tuple[str, float]], max_terms: int, ratio: float) -> list[str]:
    """The top term, plus following ones scoring at least ``ratio`` x the top score
    (up to ``max_terms``; a form of a term already picked is skipped)."""
    if not ranked:
        return []
    top = ranked[0][1]
    terms = [ranked[0][0]]
    for term, score in ranked[1:]:
        if len(terms) == max_terms or not (top > 0 and score >= ratio * top):
            break
        if not _variant(term, terms):
            terms.append(term)
    return terms


def _disambiguate(picked: dict[int, list[str]], ranked: dict[int, list[tuple[str, float]]]
                  ) -> None:
    """Give clusters that would share a name their best word the others lack (in place)."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for c, terms in picked.items():
        groups.setdefault(tuple(terms), []).append(c)
    for members in (m for m in groups.values() if len(m) > 1):
        for c in members:
            others = {w for o in members if o != c for w, _ in ranked[o]}
            extra = [w for w, _ in ranked[c] if w not in others and not _variant(w, picked[c])]
            picked[c] = picked[c] + extra[:1]


#: Words never used in a name: English stop words (scikit-learn's list, less the words
#: that describe pictures) and image file extensions.
_KEEP = {"fire", "system", "computer", "bill", "thick", "thin", "empty", "full", "front",
         "side", "top", "bottom", "interest"}
_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp", "tif", "tiff", "bmp", "svg", "heic"}
#: A term names a cluster only when at least this share of its members (and 2) use it.
MIN_WORD_SHARE = 0.1


def _text(value: object) -> str:
    """``value`` as text; "" for None and NaN."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def words(text: str | None) -> list[str]:
    """The words of ``text`` a name may use: letters only (3 or more), lower case,
    camelCase and snake_case split, no stop words, no file extensions.

    Examples
    --------
    >>> words("animals/insects/Brown_slug.png  A slug with its shell2")
    ['animals', 'insects', 'brown', 'slug', 'slug', 'shell']
    """
    stop = _stop_words()
    split = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text or "")
    return [w for w in re.findall(r"[^\W\d_]{3,}", split.lower()) if w not in stop]


@functools.cache
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset((ENGLISH_STOP_WORDS - _KEEP) | _EXTENSIONS)


def item_texts(paths: Sequence[str], captions: Sequence[str | None] | None = None) -> list[str]:
    """One text per item for :func:`name_clusters`: its caption, then the folder names
    and file name of its path below the folder all paths share.

    Examples
    --------
    >>> item_texts(["/data/stamps/animals/koala.png", "/data/stamps/food/apple_pie.png"],
    ...            ["A koala", None])
    ['A koala animals koala', 'food apple_pie']
    """
    paths = [os.fspath(p) for p in paths]
    if captions is not None and len(captions) != len(paths):
        raise ValueError(f"captions must have one entry per path ({len(paths)}); "
                         f"got {len(captions)}")
    if len({os.path.isabs(p) for p in paths}) > 1:
        raise ValueError("paths must be all absolute or all relative; got a mix")
    root = os.path.commonpath([os.path.dirname(p) for p in paths]) if paths else ""
    out = []
    for i, p in enumerate(paths):
        rel = PurePath(os.path.relpath(p, root) if root else p)
        parts = [*rel.parent.parts, rel.stem]
        caption = _text(captions[i]) if captions is not None else ""
        out.append(" ".join(x for x in [caption.strip(), *parts] if x and x != "."))
    return out


def distinctive_words(labels: np.ndarray, texts: Sequence[str | None], top: int = 5
                      ) -> pd.DataFrame:
    """The words that set each cluster apart, by class-based TF-IDF (BERTopic's c-TF-IDF).

    For cluster c and word t: ``tf(t, c) * log(1 + A / f(t))``, where ``tf`` is the
    share of c's word uses that are t (each item counts a word once), ``f(t)`` the
    number of items using t in the whole collection and ``A`` the mean number of word
    uses per cluster (items in no cluster form one more class). Only words used by at
    least :data:`MIN_WORD_SHARE` of the cluster's members (and 2) are kept.

    Parameters
    ----------
    labels : (N,) int array
        Clusters; ``-1`` (no cluster) is counted for ``f`` but gets no words.
    texts : sequence of N str or None
        Each item's text (see :func:`item_texts`), split by :func:`words`.
    top : int
        Words kept per cluster.

    Returns
    -------
    DataFrame with columns ``cluster, word, score, share`` (``share``: of the members
    using the word), best first within each cluster.

    Examples
    --------
    >>> texts = ["red apple", "red apple pie", "green pear", "green pear tart"]
    >>> distinctive_words(np.array([0, 0, 1, 1]), texts, top=2)["word"].tolist()
    ['apple', 'red', 'green', 'pear']
    """
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    if len(texts) != len(labels):
        raise ValueError(f"texts must have one entry per item ({len(labels)}); got {len(texts)}")
    columns = ["cluster", "word", "score", "share"]
    docs = [_text(t) for t in texts]
    if not any(words(d) for d in docs):
        return pd.DataFrame(columns=columns)
    counts = CountVectorizer(analyzer=words, binary=True)
    M = counts.fit_transform(docs)
    vocab = counts.get_feature_names_out()
    classes = np.unique(labels)
    onehot = (labels[None, :] == classes[:, None]).astype(np.float64)
    tf = np.asarray((M.T @ onehot.T).T)  # (classes, words): members using each word
    used = np.asarray(tf.sum(axis=0)).ravel()
    mean_uses = tf.sum(axis=1).mean()
    weight = np.log1p(mean_uses / np.maximum(used, 1))
    score = tf / np.maximum(tf.sum(axis=1, keepdims=True), 1) * weight
    sizes = onehot.sum(axis=1)
    rows = []
    for ci, c in enumerate(classes.tolist()):
        if c == NOISE:
            continue
        enough = tf[ci] >= max(2.0, MIN_WORD_SHARE * sizes[ci])
        order = [j for j in np.argsort(-score[ci], kind="stable") if enough[j]][:top]
        rows += [{"cluster": int(c), "word": str(vocab[j]), "score": float(score[ci, j]),
                  "share": float(tf[ci, j] / sizes[ci])} for j in order]
    return pd.DataFrame(rows, columns=columns)


def name_clusters(
    result: ClusterResult | np.ndarray,
    X: np.ndarray,
    *,
    texts: Sequence[str | None] | None = None,
    metadata: pd.DataFrame | None = None,
    text_vocab: tuple[list[str], np.ndarray] | None = None,
    imagenet_top: Callable[[np.ndarray], list[list[tuple[str, float]]]] | None = None,
    min_share: float = 0.6,
    per_cluster: int = 5,
    max_terms: int = 2,
    second_term_ratio: float = 0.8,
) -> pd.DataFrame:
    """Name each cluster from its members' words, dominant metadata, or zero-shot terms.

    The term part of a name comes from the first source that has terms for the
    cluster: ``texts``, then ``text_vocab`` (CLIP), then ``imagenet_top``; the metadata
    part follows it ("slug / snail · mostly region=Andes (80%)").

    Parameters
    ----------
    result : ClusterResult or (N,) labels
    X : (N, D) array
        The image embeddings that were clustered.
    texts : sequence of N str or None, optional
        Each item's own words: caption, folder names and file name (see
        :func:`item_texts`). A cluster is named by its most distinctive words
        (:func:`distinctive_words`); ``name_source`` says ``"text"``.
    metadata : DataFrame, optional
        One row per item (same order as X); every column is considered, e.g.
        ``style``, ``region``, ``creator``. Missing values (None/NaN/"") never
        dominate but count in the share.
    text_vocab : (terms, (V, D) text embeddings), optional
        CLIP text embeddings of vocabulary phrases, from the same model as X, for
        clusters the texts do not name. Each cluster's mean image embedding is
        compared (cosine) with every term; with 3+ clusters the term's mean similarity
        over all clusters is subtracted first, so a cluster is named by what sets it
        apart rather than by generic terms that match everything.
    imagenet_top : callable, optional
        The last resort: takes the (k, D) unit cluster mean embeddings and returns, per
        cluster, ``[(label, score), ...]`` best first. Names say "(ImageNet guess)".
    min_share : float
        A metadata value goes into the name when it covers at least this share.
    per_cluster : int
        Medoids listed per cluster.
    max_terms, second_term_ratio : int, float
        Up to ``max_terms`` terms; later terms need ``second_term_ratio`` x the top score.

    Returns
    -------
    DataFrame with columns ``cluster, size, share, name, name_source, medoids,
    top_metadata`` (``top_metadata``: {field: (value, share)} of the most common
    value of each field), one row per cluster, largest first.

    Examples
    --------
    >>> X = np.eye(4, dtype="float32")[[0, 0, 1, 1]]
    >>> meta = pd.DataFrame({"style": ["ink-wash", "ink-wash", "batik", None]})
    >>> name_clusters(np.array([0, 0, 1, 1]), X, metadata=meta)["name"].tolist()
    ['mostly style=ink-wash (100%)', 'cluster 1']
    >>> texts = ["snail shell", "slug snail", "red kite", "kite string"]
    >>> name_clusters(np.array([0, 0, 1, 1]), X, texts=texts)["name"].tolist()
    ['snail', 'kite']
    """
    X = check_embeddings(X, name="X", unit="normalize")
    n = X.shape[0]
    labels = cluster_labels(result, n)
    clusters = np.array(sorted(set(labels.tolist())))
    real = clusters[clusters != NOISE]
    means = cluster_means(X, labels, real) if real.size else np.zeros((0, X.shape[1]), np.float32)

    terms: dict[int, tuple[str, str]] = {}  # cluster -> (term part, its source)
    if texts is not None:
        table = distinctive_words(labels, texts, top=max_terms + 3)
        ranked = {int(c): list(zip(rows["word"], rows["score"]))
                  for c, rows in table.groupby("cluster", sort=True)}
        picked = {c: _pick_terms(r, max_terms, second_term_ratio) for c, r in ranked.items()}
        _disambiguate(picked, ranked)
        terms = {c: (" / ".join(p), "text") for c, p in picked.items()}
    todo = [c for c in real.tolist() if c not in terms]
    rows_todo = np.searchsorted(real, todo)
    if text_vocab is not None:
        vocab, T = text_vocab
        T = check_text_embeddings(T, vocab, X, name="text_vocab")
    if text_vocab is not None and todo:
        sims = means @ T.T
        if len(real) >= 3:
            sims = sims - sims.mean(axis=0, keepdims=True)
        for c, row in zip(todo, sims[rows_todo]):
            order = np.argsort(-row, kind="stable")[:max_terms]
            picked = _pick_terms([(vocab[j], float(row[j])) for j in order], max_terms,
                                 second_term_ratio)
            terms[c] = (" / ".join(picked), "clip")
    elif imagenet_top is not None and todo:
        tops = imagenet_top(means[rows_todo])
        if len(tops) != len(todo):
            raise ValueError(f"imagenet_top must return one row per cluster ({len(todo)}); "
                             f"got {len(tops)}")
        for c, ranked in zip(todo, tops):
            picked = _pick_terms([(str(a), float(b)) for a, b in ranked], max_terms,
                                 second_term_ratio)
            terms[c] = (" / ".join(picked) + " (ImageNet guess)", "imagenet")

    tops_meta: list[dict] = [{} for _ in clusters]
    if metadata is not None:
        if len(metadata) != n:
            raise ValueError(
                f"metadata must have one row per row of X ({n}); got {len(metadata)} rows"
            )
        tops_meta = _dominant_metadata(metadata, labels, clusters)

    reps = medoids(X, labels, per_cluster=per_cluster)
    counts = pd.Series(labels).value_counts()
    rows = []
    for c, top in zip(clusters.tolist(), tops_meta):
        dominant = [f"{f}={v} ({round(s * 100)}%)" for f, (v, s) in top.items() if s >= min_share]
        word, source = terms.get(c, ("", ""))
        meta = ("mostly " + ", ".join(dominant)) if dominant else ""
        sources = [s for s, part in ((source, word), ("metadata", meta)) if part]
        if c == NOISE:
            name, sources = "noise (in no cluster)", []
        else:
            name = " · ".join(p for p in (word, meta) if p) or f"cluster {c}"
        rows.append({
            "cluster": int(c), "size": int(counts[c]), "share": counts[c] / n, "name": name,
            "name_source": "+".join(sources) or "none",
            "medoids": reps.get(int(c), np.array([], np.int64)).tolist(), "top_metadata": top,
        })
    table = pd.DataFrame(
        rows, columns=["cluster", "size", "share", "name", "name_source", "medoids", "top_metadata"]
    )
    return table.sort_values(["size", "cluster"], ascending=[False, True], ignore_index=True)

def load_vocabulary(
    path: str | Path | None = None, extra: Iterable[str] | None = None
) -> list[str]:
    """Style/technique phrases for CLIP zero-shot naming, one per line.

    Blank lines and lines starting with ``#`` are skipped; duplicates (ignoring
    case and spacing) are dropped, first spelling kept.

    Parameters
    ----------
    path : path, optional
        A text file; default the bundled ``workbench/data/style_vocabulary.txt``.
    extra : iterable of str, optional
        More phrases appended after the file's (e.g. terms from your community).

    Examples
    --------
    >>> vocab = load_vocabulary(extra=["Andean textile"])
    >>> "Andean textile" in vocab
    True
    """
    if path is None:
        from importlib import resources

        text = resources.files("workbench").joinpath("data/style_vocabulary.txt").read_text("utf-8")
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"vocabulary file not found: {path}")
        text = path.read_text("utf-8")
    if isinstance(extra, str):
        raise TypeError(f"extra must be a list of phrases, not a single string; got {extra!r}")
    seen: set[str] = set()
    out: list[str] = []
    for line in [*text.splitlines(), *(extra or [])]:
        phrase = re.sub(r"\s+", " ", str(line)).strip()
        if not phrase or phrase.startswith("#"):
            continue
        key = phrase.casefold()
        if key not in seen:
            seen.add(key)
            out.append(phrase)
    return out
