"""Neighbours: the one check every embedding array gets, exact and approximate nearest-neighbour
search, and the one place faiss objects are built.

Imports nothing else of ``workbench.core`` besides the shared helpers.
"""
