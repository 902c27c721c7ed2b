"""The rights record: licences (SPDX), consent and AI-generated flags.

Pure Python; the SPDX licence list comes from ``license-expression``, which ships
the SPDX database offline.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

CONSENT_VALUES = ("granted", "opted_out", "unknown")
AI_GENERATED_VALUES = ("true", "false", "unknown")

_CONSENT_ALIASES = {
    "granted": "granted",
    "yes": "granted",
    "y": "granted",
    "true": "granted",
    "consented": "granted",
    "opted_out": "opted_out",
    "opted-out": "opted_out",
    "optout": "opted_out",
    "opt_out": "opted_out",
    "opt-out": "opted_out",
    "no": "opted_out",
    "withdrawn": "opted_out",
    "unknown": "unknown",
    "": "unknown",
}
_BOOL_ALIASES = {
    "true": "true",
    "yes": "true",
    "y": "true",
    "1": "true",
    "false": "false",
    "no": "false",
    "n": "false",
    "0": "false",
    "unknown": "unknown",
    "": "unknown",
}

#: Licence values that mean "nobody recorded a licence": flagged as unknown, not invalid.
_UNKNOWN_LICENSE_WORDS = frozenset({"", "unknown", "none", "n/a", "na", "?", "noassertion"})


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    return str(value).strip()


@functools.lru_cache(maxsize=1)
def _spdx_ids() -> dict[str, str]:
    """Map lower-cased SPDX licence ids to their canonical spelling."""
    from license_expression import get_spdx_licensing

    licensing = get_spdx_licensing()
    ids: dict[str, str] = {}
    for symbol in licensing.known_symbols.values():
        key = symbol.key
        if key:
            ids.setdefault(key.lower(), key)
        for alias in getattr(symbol, "aliases", ()) or ():
            ids.setdefault(str(alias).lower(), key)
    return ids


@dataclass(frozen=True)
class LicenseCheck:
    """The result of checking one licence value.

    ``status`` is ``valid`` (a known SPDX id, or a ``LicenseRef-`` custom id),
    ``unknown`` (nothing recorded) or ``invalid`` (something recorded that is not SPDX).
    """

    value: str
    status: str
    canonical: str | None

    @property
    def usable(self) -> bool:
        return self.status == "valid"


def check_license(value: object) -> LicenseCheck:
    """Validate a licence value as an SPDX id or expression.

    Examples
    --------
    >>> check_license("cc-by-4.0").canonical
    'CC-BY-4.0'
    >>> check_license("").status
    'unknown'
    >>> check_license("CC-BY-4").status
    'invalid'
    """
    text = _text(value)
    if text.lower() in _UNKNOWN_LICENSE_WORDS:
        return LicenseCheck(text, "unknown", None)
    if text.startswith("LicenseRef-") and len(text) > len("LicenseRef-"):
        return LicenseCheck(text, "valid", text)
    ids = _spdx_ids()
    if text.lower() in ids:
        return LicenseCheck(text, "valid", ids[text.lower()])
    # A compound expression such as "CC-BY-4.0 OR MIT": every symbol must be known.
    if any(op in f" {text} " for op in (" OR ", " AND ", " WITH ")):
        from license_expression import ExpressionError, get_spdx_licensing

        try:
            parsed = get_spdx_licensing().parse(text, validate=True, strict=True)
        except ExpressionError:
            return LicenseCheck(text, "invalid", None)
        return LicenseCheck(text, "valid", str(parsed))
    return LicenseCheck(text, "invalid", None)


def is_spdx_id(value: str) -> bool:
    """True when ``value`` is a single known SPDX licence id (any case)."""
    return _text(value).lower() in _spdx_ids()


def normalize_consent(value: object) -> str | None:
    """Map free-text consent values to ``granted`` / ``opted_out`` / ``unknown``.

    Returns ``None`` when the value is not recognised.
    """
    return _CONSENT_ALIASES.get(_text(value).lower().replace(" ", "_"))


def normalize_ai_generated(value: object) -> str | None:
    """Map free-text AI-generated flags to ``true`` / ``false`` / ``unknown``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _BOOL_ALIASES.get(_text(value).lower())
