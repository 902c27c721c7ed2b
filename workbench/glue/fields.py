"""The fields people group by: which there are, which values they take, and a clear error
for one that does not exist.

Shared by gaps, selection, label issues and comparisons, which all take a ``by`` field.
"""

from __future__ import annotations

from ..errors import UnknownFieldError
from ..schema import is_internal
from .fo import usable


def groupable_fields(collection) -> list[str]:
    """The fields people group by: everything but FiftyOne's and the workbench's
    bookkeeping."""
    return sorted(f for f in collection.get_field_schema() if not is_internal(f))


def group_values(collection, by: str) -> list[str]:
    """The values ``by`` takes on the usable samples, most common first (``(missing)``
    for samples without one)."""
    from collections import Counter

    check_field(collection, by)
    counts = Counter("(missing)" if v in (None, "") else str(v)
                     for v in usable(collection).values(by))
    return [v for v, _ in counts.most_common()]


def check_field(collection, name: str) -> None:
    """Raise a clear error listing the fields one can group by when ``name`` is not one."""
    if name not in collection.get_field_schema():
        raise UnknownFieldError(f"field {name!r} does not exist; available fields: "
                                f"{groupable_fields(collection)}")
