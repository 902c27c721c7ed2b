"""Quality: per-image scores (content, tones, sharpness, padding, edges), the policy (which
checks run, which exclude, their limits) and the judgement of a collection against itself.

Imports ``pixels`` (to score a decoded picture) and the shared helpers; ``policy`` sits
below both ``checks`` and ``result`` so that neither imports the other.
"""

from ..._lazy import forward_attributes

# The names of the one module this room replaced (workbench.core.quality), resolved on first use.
__getattr__, __dir__ = forward_attributes(__name__, "workbench.core.quality.checks")
