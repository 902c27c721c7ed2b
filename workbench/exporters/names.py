"""Safe, portable and unique file and folder names for exported files.

Labels that become names (group values, source file stems) are untrusted text. A
name made here

* never contains a path separator, so it cannot escape the export folder
  (``../../x`` becomes ``x``);
* is valid on Windows, macOS and Linux: no ``< > : " / \\ | ? *``, no control or
  invisible formatting characters, no trailing dots or spaces, not a reserved
  DOS device name (``CON``, ``aux.txt``, ``COM1``...);
* is NFC-normalised (macOS and Linux then agree on the bytes) and at most
  ``max_bytes`` bytes of UTF-8;
* never starts with a dot, an underscore, a dash or a spreadsheet formula
  character (hidden files, which HF ``datasets`` skips; command-line options; CSV
  formula injection);
* is unique case-insensitively within its folder (:class:`NameAllocator`), so an
  export copied to a case-insensitive file system keeps every file.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters Windows forbids in names (and the POSIX separator).
FORBIDDEN_CHARS = frozenset('<>:"/\\|?*')

#: DOS device names; reserved on Windows with any extension (``aux.txt``).
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{dev}{i}" for dev in ("COM", "LPT") for i in "0123456789\u00b9\u00b2\u00b3"}
)

#: Default byte budget for one path component (well below the 255 of most file systems,
#: leaving room for the export folder in Windows' 260-character paths).
DEFAULT_MAX_BYTES = 120

_LEADING_STRIP = " .-_=+@'\t"
_TRAILING_STRIP = " ."
#: Zero-width (non-)joiners carry meaning in several scripts; other format characters
#: (bidi overrides, zero-width spaces, BOM) are dropped.
_KEEP_FORMAT = frozenset({"\u200c", "\u200d"})


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def safe_component(label: object, *, max_bytes: int = DEFAULT_MAX_BYTES,
                   fallback: str = "untitled") -> str:
    """Turn any label into one safe path component (a file stem or folder name).

    Parameters
    ----------
    label
        Any value; ``None`` and empty strings give ``fallback``.
    max_bytes
        Upper bound on the UTF-8 length of the result.
    fallback
        Used when nothing usable is left of ``label``.

    Examples
    --------
    >>> safe_component("../../x"), safe_component("CON"), safe_component("a:b?")
    ('x', '_CON', 'a_b_')
    >>> safe_component("  trailing dots... "), safe_component("")
    ('trailing dots', 'untitled')
    """
    if max_bytes < 8:
        raise ValueError(f"max_bytes must be at least 8; got {max_bytes!r}")
    text = "" if label is None else str(label)
    text = unicodedata.normalize("NFC", text)
    chars: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in FORBIDDEN_CHARS or category in ("Cc", "Cs", "Co", "Cn"):
            chars.append("_")
        elif category == "Cf" and ch not in _KEEP_FORMAT:
            continue
        elif ch.isspace():
            chars.append(" ")
        else:
            chars.append(ch)
    text = re.sub(r" {2,}", " ", "".join(chars))
    text = re.sub(r"_{2,}", "_", text)
    text = text.lstrip(_LEADING_STRIP).rstrip(_TRAILING_STRIP)
    if not text:
        text = fallback
    text = _truncate_utf8(text, max_bytes).rstrip(_TRAILING_STRIP) or fallback
    device = text.split(".", 1)[0].rstrip(" ").upper()
    if device in WINDOWS_RESERVED:
        text = _truncate_utf8("_" + text, max_bytes).rstrip(_TRAILING_STRIP)
    return text


class NameAllocator:
    """Hands out stems that are unique, ignoring case and Unicode normalisation.

    One allocator per output folder. Collisions get ``-2``, ``-3``... appended,
    trimmed to stay within ``max_bytes`` (extension included).

    Examples
    --------
    >>> names = NameAllocator()
    >>> names.claim("Ink"), names.claim("ink"), names.claim("INK")
    ('Ink', 'ink-2', 'INK-3')
    """

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES, reserved: tuple[str, ...] = ()) -> None:
        self.max_bytes = max_bytes
        self._taken: set[str] = {self._key(r) for r in reserved}

    @staticmethod
    def _key(stem: str) -> str:
        return unicodedata.normalize("NFC", stem).casefold()

    def claim(self, label: object, *, ext: str = "") -> str:
        """A safe stem for ``label``, unique in this folder; room is kept for ``ext``.

        ``ext`` is the longest extension the stem will be paired with (say ``.jpeg``).
        """
        budget = self.max_bytes - len(ext.encode("utf-8"))
        stem = safe_component(label, max_bytes=budget)
        candidate, n = stem, 1
        while self._key(candidate) in self._taken:
            n += 1
            suffix = f"-{n}"
            head = _truncate_utf8(stem, budget - len(suffix)).rstrip(_TRAILING_STRIP) or "x"
            candidate = head + suffix
        self._taken.add(self._key(candidate))
        return candidate
