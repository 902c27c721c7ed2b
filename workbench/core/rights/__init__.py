"""Rights: the licence, consent and AI-generated record, the rights signals written inside the
files, the opt-out registry, which source of a value wins, and the policy that decides which
records may enter a training subset.

Imports only the schema and the shared helpers: rights rules never depend on maps, quality,
near-duplicates or selection.
"""

from ..._lazy import forward_attributes

# The names of the one module this room replaced (workbench.core.rights), resolved on first use.
__getattr__, __dir__ = forward_attributes(__name__, "workbench.core.rights.licenses")
