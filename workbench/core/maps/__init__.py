"""Maps and gaps: the 2-D map (UMAP, PCA), clusters and their names, where the collection is thin,
representation against targets, creator concentration and concept probes.

Imports ``neighbours`` and ``labels``; never ``dedup``, ``selection``, ``rights`` or ``intake``.
"""
