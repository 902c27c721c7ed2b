"""Pure algorithms and rules: numpy, pandas, scikit-learn, faiss, Pillow and libvips; never
FiftyOne, torch or widgets. One room (sub-package) per concept, from the bottom up:

============  =====================================================================
room          holds
============  =====================================================================
pixels        decoding (shrunk above 16 MP), content hashes, colour signatures
neighbours    the embedding check, nearest neighbours, the faiss builder
rights        licences, consent, signals inside files, opt-out registry, policy
quality       per-image scores, the quality policy, judgements against the collection
labels        label issues and proposed labels, from neighbours
dedup         near-duplicate candidates, the rule that judges a pair, the copy kept
intake        manifests, inspecting each file, the rights record of a sample
maps          the 2-D map, clusters and their names, gaps, density, concept probes
selection     balanced subsets, diversity, the selection result, subset comparison
============  =====================================================================

Each room's ``__init__`` says what it may import; ``pyproject.toml`` holds the contracts
that ``lint-imports`` checks. Beside the rooms sit the helpers every room uses:
``results`` (JSON-ready values, plot axes), ``_threads`` (native thread pools) and
``versions`` (package versions).
"""

from ._aliases import install as _install_aliases

_install_aliases()
