"""The rights filter: which records may enter a training subset, and why not.

Step 1 of :func:`workbench.core.selection.select.select_balanced`. Pure pandas plus the SPDX
logic in :mod:`workbench.core.rights.licenses`.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ...schema import RIGHTS_REASONS
from .licenses import _spdx_ids, check_license, is_spdx_id

#: Public domain, CC0, CC BY and CC BY-SA, every version.
DEFAULT_ALLOWED_LICENSES: tuple[str, ...] = (
    "CC0-1.0", "CC-PDDC", "CC-PDM-1.0", "PDDL-1.0",
    "CC-BY-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-3.0", "CC-BY-4.0",
    "CC-BY-SA-1.0", "CC-BY-SA-2.0", "CC-BY-SA-2.5", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
)


@dataclass(frozen=True)
class RightsPolicy:
    """Which rights records are eligible for a selection.

    Opted-out items (``consent == "opted_out"``) are always excluded; that is not a
    setting.

    Attributes
    ----------
    allowed_licenses
        SPDX ids a valid licence must be one of (case-insensitive; ``LicenseRef-*``
        custom ids allowed). An SPDX expression passes when it can be satisfied with
        allowed ids (``A OR B``: either; ``A AND B``: both).
    exclude_ai_generated
        Exclude items flagged ``ai_generated == "true"`` (``"unknown"`` passes).
    exclude_unknown_license
        Exclude items whose ``license_status`` is ``unknown`` or ``invalid``.
    require_consent
        Exclude items whose consent is ``unknown`` (only ``granted`` passes).

    Examples
    --------
    >>> RightsPolicy(allowed_licenses=["CC0-1.0", "cc-by-4.0"]).allowed_licenses
    ('CC0-1.0', 'CC-BY-4.0')
    """

    allowed_licenses: tuple[str, ...] = DEFAULT_ALLOWED_LICENSES
    exclude_ai_generated: bool = True
    exclude_unknown_license: bool = True
    require_consent: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.allowed_licenses, str):
            raise ValueError("RightsPolicy.allowed_licenses must be a list of SPDX ids; got "
                             f"the single string {self.allowed_licenses!r}")
        canonical = []
        for value in self.allowed_licenses:
            text = str(value).strip()
            if text.startswith("LicenseRef-") and len(text) > len("LicenseRef-"):
                canonical.append(text)
                continue
            if not is_spdx_id(text):
                close = difflib.get_close_matches(text.lower(), list(_spdx_ids()), n=3)
                hint = (f"; did you mean {', '.join(_spdx_ids()[c] for c in close)}?"
                        if close else "")
                raise ValueError(f"RightsPolicy.allowed_licenses: {text!r} is not a known "
                                 f"SPDX licence id{hint} (see https://spdx.org/licenses/)")
            canonical.append(_spdx_ids()[text.lower()])
        object.__setattr__(self, "allowed_licenses", tuple(dict.fromkeys(canonical)))

    def also_allow(self, *licenses: str) -> RightsPolicy:
        """This policy with more licences allowed (SPDX ids).

        Examples
        --------
        >>> RightsPolicy().also_allow("GPL-2.0-or-later").allowed_licenses[-1]
        'GPL-2.0-or-later'
        """
        from dataclasses import replace

        return replace(self, allowed_licenses=self.allowed_licenses + tuple(licenses))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["allowed_licenses"] = list(self.allowed_licenses)
        return d


def _normalised(records: pd.DataFrame, name: str, default: str, lower: bool = True
                ) -> np.ndarray:
    """Column ``name`` as stripped (lower-cased) strings; missing values -> ``default``.

    Works on the distinct values only, so it stays fast for a million rows.
    """
    if name not in records:
        return np.full(len(records), default, dtype=object)
    codes, uniques = pd.factorize(records[name], use_na_sentinel=True)
    clean = [str(u).strip() for u in uniques]
    clean = [(c.lower() if lower else c) or default for c in clean]
    return np.array(clean + [default], dtype=object)[codes]  # code -1 (missing) -> default


@functools.lru_cache(maxsize=4096)
def _expression_allowed(expression: str, allowed: frozenset[str]) -> bool:
    """Whether an SPDX expression can be satisfied using only allowed licences."""
    if expression.lower() in allowed:
        return True
    if not any(op in f" {expression} " for op in (" OR ", " AND ", " WITH ")):
        return False
    from license_expression import AND, OR, ExpressionError, get_spdx_licensing

    try:
        parsed = get_spdx_licensing().parse(expression, validate=True, strict=True)
    except ExpressionError:
        return False

    def ok(node) -> bool:
        if isinstance(node, OR):
            return any(ok(a) for a in node.args)
        if isinstance(node, AND):
            return all(ok(a) for a in node.args)
        symbol = getattr(node, "license_symbol", node)  # "X WITH exception" -> X
        return str(getattr(symbol, "key", symbol)).lower() in allowed

    return ok(parsed)


def rights_exclusions(records: pd.DataFrame, policy: RightsPolicy) -> np.ndarray:
    """The rights reason that excludes each record, or ``None`` when it is eligible.

    Reasons are checked in the order of :data:`workbench.schema.RIGHTS_REASONS`:
    ``rights:opted_out``, ``rights:license`` (a valid licence outside the allowlist),
    ``rights:ai_generated``, ``rights:license_unknown`` (status ``unknown`` or
    ``invalid``), ``rights:consent_unknown`` (only with ``require_consent``).
    Missing columns read as ``unknown``; ``license_status`` is derived from ``license``
    when absent.

    Examples
    --------
    >>> df = pd.DataFrame({"consent": ["granted", "opted_out"], "license": ["CC0-1.0"] * 2,
    ...                    "license_status": ["valid"] * 2, "ai_generated": ["false"] * 2})
    >>> rights_exclusions(df, RightsPolicy()).tolist()
    [None, 'rights:opted_out']
    """
    n = len(records)
    reasons = np.full(n, None, dtype=object)
    free = np.ones(n, dtype=bool)
    consent = _normalised(records, "consent", "unknown")
    ai = _normalised(records, "ai_generated", "unknown")
    lic = _normalised(records, "license", "", lower=False)
    if "license_status" in records:
        status = _normalised(records, "license_status", "unknown")
    else:
        status_of = {v: check_license(v).status for v in pd.unique(lic)}
        status = np.array([status_of[v] for v in lic], dtype=object)
    allowed = frozenset(a.lower() for a in policy.allowed_licenses)
    verdict = {v: _expression_allowed(check_license(v).canonical or v, allowed)
               for v in pd.unique(lic)}
    lic_ok = np.array([verdict[v] for v in lic], dtype=bool)

    def mark(mask: np.ndarray, reason: str) -> None:
        hit = mask & free
        reasons[hit] = reason
        free[hit] = False

    opted_out, license_, ai_generated, license_unknown, consent_unknown = RIGHTS_REASONS
    mark(consent == "opted_out", opted_out)
    mark((status == "valid") & ~lic_ok, license_)
    if policy.exclude_ai_generated:
        mark(ai == "true", ai_generated)
    if policy.exclude_unknown_license:
        mark(status != "valid", license_unknown)
    if policy.require_consent:
        mark(consent != "granted", consent_unknown)
    return reasons
