"""Content hashes of files (standard library only)."""

from __future__ import annotations

import hashlib
import os


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, streamed in ``chunk``-byte blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_and_markers(path: str | os.PathLike, markers: tuple[bytes, ...],
                       chunk: int = 1 << 20) -> tuple[str, frozenset[bytes]]:
    """Hex SHA-256 of a file, and which of ``markers`` occur in its bytes, in one read.

    The loader looks for a C2PA manifest store (its JUMBF boxes carry the label ``c2pa``)
    while it hashes, so the C2PA reader runs only on files that may hold one.

    Examples
    --------
    >>> import tempfile
    >>> p = tempfile.mktemp()
    >>> _ = open(p, "wb").write(b"jumb....c2pa")
    >>> sha256_and_markers(p, (b"c2pa", b"xmp"))[1]
    frozenset({b'c2pa'})
    """
    h = hashlib.sha256()
    found: set[bytes] = set()
    overlap = max((len(m) for m in markers), default=1) - 1
    tail = b""
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
            seam = tail + block[:overlap]  # a marker split across two blocks
            found.update(m for m in markers if m not in found and (m in block or m in seam))
            tail = block[-overlap:] if overlap else b""
    return h.hexdigest(), frozenset(found)
