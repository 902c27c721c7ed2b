"""Near-duplicates: exact and near-duplicate candidates, the rule that judges each pair, and which
copy of a group to keep.

Imports ``pixels`` (colour signatures) and ``neighbours``; never ``selection``, which uses it.
"""

from ..._lazy import forward_attributes

# The names of the one module this room replaced (workbench.core.dedup), resolved on first use.
__getattr__, __dir__ = forward_attributes(__name__, "workbench.core.dedup.candidates")
