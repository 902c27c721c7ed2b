"""Selection: balanced, deduplicated, rights-clean subsets: how many each group gets, diversity
inside a group, the selection's settings and result, and subsets compared side by side.

The top room: it imports ``rights``, ``quality``, ``dedup`` and ``neighbours``, and nothing in
core imports it.
"""

from ..._lazy import forward_attributes

# The names of the one module this room replaced (workbench.core.selection), resolved on first use.
__getattr__, __dir__ = forward_attributes(__name__, "workbench.core.selection.select")
