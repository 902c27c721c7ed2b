"""On-disk embedding cache keyed by (model name, image content sha256).

One SQLite file per model under the cache folder (``$WORKBENCH_CACHE_DIR`` or
``~/.cache/palette-workbench/embeddings``). Vectors are stored as little-endian
float32 bytes together with their pre-normalisation norm.

Crash safety: the database runs in WAL mode and every :meth:`EmbeddingCache.put_many`
is one transaction, so a writer killed at any instant (SIGKILL included) loses at
most the transaction in flight and never corrupts the file.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

#: Query parameters per ``IN (...)`` lookup; far below SQLite's limit, big enough to be fast.
_LOOKUP_BATCH = 900
_SCHEMA_VERSION = "1"
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def default_cache_dir() -> Path:
    """``$WORKBENCH_CACHE_DIR`` if set, else ``~/.cache/palette-workbench/embeddings``."""
    env = os.environ.get("WORKBENCH_CACHE_DIR")
    if env:
        return Path(os.path.expanduser(env))
    return Path.home() / ".cache" / "palette-workbench" / "embeddings"


def cache_file_name(model_name: str) -> str:
    """Readable, collision-free file name for a model's database."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", model_name).strip("_")[:80]
    digest = hashlib.sha256(model_name.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.sqlite"


class EmbeddingCache:
    """Persistent map ``sha256 -> (unit vector, norm)`` for one model.

    Parameters
    ----------
    model_name
        The embedder's ``name`` (different weights never share a cache).
    dim
        Vector length; checked on write and on read. If ``None`` it is taken from
        the database (or the first write).
    cache_dir
        Folder of the databases; default :func:`default_cache_dir`.

    The connection opens lazily, so the object is cheap and picklable.

    Examples
    --------
    >>> cache = EmbeddingCache.for_embedder(emb)            # doctest: +SKIP
    >>> cache.put_many({sha: vec})                          # doctest: +SKIP
    >>> cache.get_many([sha])[sha].shape                    # doctest: +SKIP
    (1280,)
    """

    def __init__(
        self, model_name: str, dim: int | None = None, cache_dir: str | os.PathLike | None = None
    ) -> None:
        if not isinstance(model_name, str) or not model_name:
            raise ValueError(f"model_name must be a non-empty string; got {model_name!r}")
        if dim is not None and int(dim) <= 0:
            raise ValueError(f"dim must be a positive integer; got {dim!r}")
        self.model_name = model_name
        self.dim = None if dim is None else int(dim)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.path = self.cache_dir / cache_file_name(model_name)
        self.conn_: sqlite3.Connection | None = None
        self._pid: int | None = None

    @classmethod
    def for_embedder(cls, embedder, cache_dir: str | os.PathLike | None = None) -> EmbeddingCache:
        """The cache of ``embedder`` (keyed by its ``name``, sized by its ``dim``)."""
        return cls(embedder.name, dim=embedder.dim, cache_dir=cache_dir)

    def __repr__(self) -> str:
        return f"EmbeddingCache(model_name={self.model_name!r}, path={str(self.path)!r})"

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["conn_"], state["_pid"] = None, None
        return state

    # -- connection -------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self.conn_ is not None and self._pid == os.getpid():
            return self.conn_
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=60.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: crash-safe, not fsync-per-commit
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings ("
            " sha256 TEXT PRIMARY KEY, vector BLOB NOT NULL, norm REAL) WITHOUT ROWID"
        )
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("model_name", self.model_name) != self.model_name:
            conn.close()
            raise ValueError(
                f"cache file {self.path} belongs to model {meta['model_name']!r}, "
                f"not {self.model_name!r}; remove it or choose another cache_dir"
            )
        if "dim" in meta:
            stored = int(meta["dim"])
            if self.dim is not None and self.dim != stored:
                conn.close()
                raise ValueError(
                    f"cache {self.path} holds {stored}-d vectors for {self.model_name!r}; "
                    f"expected dim={self.dim}. Remove the file to rebuild it."
                )
            self.dim = stored
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('model_name', ?)", (self.model_name,))
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))
            if self.dim is not None:
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('dim', ?)", (str(self.dim),))
        self.conn_, self._pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        if self.conn_ is not None and self._pid == os.getpid():
            self.conn_.close()
        self.conn_, self._pid = None, None

    # -- reads ------------------------------------------------------------------
    def _rows(self, shas: list[str]) -> Iterable[tuple[str, bytes, float | None]]:
        conn = self._conn()
        for i in range(0, len(shas), _LOOKUP_BATCH):
            part = shas[i : i + _LOOKUP_BATCH]
            marks = ",".join("?" * len(part))
            yield from conn.execute(
                f"SELECT sha256, vector, norm FROM embeddings WHERE sha256 IN ({marks})", part
            )

    def _decode(self, sha: str, blob: bytes) -> np.ndarray:
        vec = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        if self.dim is not None and vec.shape[0] != self.dim:
            raise ValueError(
                f"cache {self.path} entry {sha} has {vec.shape[0]} values; expected {self.dim}"
            )
        return vec

    def get_many(self, shas: Iterable[str]) -> dict[str, np.ndarray]:
        """Cached unit vectors for the given content hashes (missing ones are absent)."""
        unique = list(dict.fromkeys(shas))
        return {sha: self._decode(sha, blob) for sha, blob, _ in self._rows(unique)}

    def get_many_with_norms(self, shas: Iterable[str]) -> dict[str, tuple[np.ndarray, float]]:
        """Like :meth:`get_many`, with the stored norm (NaN when none was stored)."""
        unique = list(dict.fromkeys(shas))
        return {
            sha: (self._decode(sha, blob), float("nan") if norm is None else float(norm))
            for sha, blob, norm in self._rows(unique)
        }

    def __contains__(self, sha: object) -> bool:
        if not isinstance(sha, str):
            return False
        row = self._conn().execute("SELECT 1 FROM embeddings WHERE sha256 = ?", (sha,)).fetchone()
        return row is not None

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    # -- writes -----------------------------------------------------------------
    def put_many(
        self,
        vectors: Mapping[str, np.ndarray],
        norms: Mapping[str, float] | None = None,
    ) -> int:
        """Store vectors (and optional norms) in one atomic transaction; returns the count.

        Parameters
        ----------
        vectors
            ``{sha256: vector}``; each vector must have ``dim`` float values.
        norms
            Optional ``{sha256: norm}``; missing entries are stored as NULL.
        """
        norms = norms or {}
        rows = []
        for sha, vec in vectors.items():
            if not isinstance(sha, str) or not _SHA_RE.match(sha):
                raise ValueError(f"cache keys must be lowercase hex sha256 strings; got {sha!r}")
            arr = np.asarray(vec, dtype="<f4").reshape(-1)
            if self.dim is None:
                self.dim = int(arr.shape[0])
            if arr.shape[0] != self.dim:
                raise ValueError(
                    f"vector for {sha} has {arr.shape[0]} values; expected dim={self.dim} "
                    f"for model {self.model_name!r}"
                )
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"vector for {sha} contains NaN or inf; refusing to cache it")
            norm = norms.get(sha)
            rows.append((sha, arr.tobytes(), None if norm is None else float(norm)))
        if not rows:
            return 0
        conn = self._conn()
        with conn:  # commits on success, rolls back on error
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('dim', ?)", (str(self.dim),))
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (sha256, vector, norm) VALUES (?, ?, ?)", rows
            )
        return len(rows)

    def integrity_ok(self) -> bool:
        """Run SQLite's ``PRAGMA integrity_check``."""
        return self._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
