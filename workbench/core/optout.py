"""Opt-out registries: creators, files or contents whose owners said no.

A registry is a plain text file, one entry per line, ``#`` starts a comment::

    creator:creator-07          # everything by this creator
    sha256:9f86d08...           # this exact content, wherever it is stored
    path:images/ink/ink-004.jpg # this file (relative to the registry's folder, or absolute)
    creator-12                  # a bare entry: a 64-hex string is a sha256, else a creator

Matching is on content hash as well as on path, so a renamed or copied file that
someone opted out stays opted out.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_KINDS = ("creator", "sha256", "path")


class OptOutError(ValueError):
    """An opt-out registry that cannot be read."""


@dataclass(frozen=True)
class OptOutRegistry:
    """Parsed opt-out entries. Use :meth:`match` on a rights record."""

    source: str
    creators: frozenset[str] = frozenset()
    sha256: frozenset[str] = frozenset()
    paths: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.creators) + len(self.sha256) + len(self.paths)

    def match(self, *, creator: str | None, sha256: str | None, filepath: str | None) -> str | None:
        """Return why the record is opted out (``creator``/``sha256``/``path``), or None."""
        if creator and creator.strip() in self.creators:
            return "creator"
        if sha256 and sha256.lower() in self.sha256:
            return "sha256"
        if filepath and os.path.normpath(os.path.abspath(filepath)) in self.paths:
            return "path"
        return None


def read_optout(path: str | os.PathLike) -> OptOutRegistry:
    """Read an opt-out registry file.

    Raises
    ------
    OptOutError
        If the file is missing or a line has an unknown ``kind:`` prefix.
    """
    p = Path(path)
    if not p.is_file():
        raise OptOutError(f"opt-out registry not found: {p}")
    base = p.parent.resolve()
    found: dict[str, set[str]] = {k: set() for k in _KINDS}
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        kind, sep, value = entry.partition(":")
        if not sep or (kind not in _KINDS and (len(kind) <= 1)):
            # Bare entry (or a Windows drive letter, which is a path).
            kind, value = ("path", entry) if sep else (
                ("sha256", entry) if _HEX64.match(entry) else ("creator", entry)
            )
        elif kind not in _KINDS:
            raise OptOutError(
                f"{p}:{lineno}: unknown entry kind {kind!r}; expected one of "
                f"{list(_KINDS)} followed by ':', or a bare creator id or sha256"
            )
        value = value.strip()
        if kind == "sha256":
            if not _HEX64.match(value):
                raise OptOutError(f"{p}:{lineno}: {value!r} is not a 64-character hex sha256")
            value = value.lower()
        elif kind == "path":
            value = os.path.normpath(value if os.path.isabs(value) else str(base / value))
        found[kind].add(value)
    return OptOutRegistry(
        source=str(p.resolve()),
        creators=frozenset(found["creator"]),
        sha256=frozenset(found["sha256"]),
        paths=frozenset(found["path"]),
    )
