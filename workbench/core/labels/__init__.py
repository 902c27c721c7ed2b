"""Labels: what an item's nearest neighbours say about its label: label issues, and labels
proposed for the unlabelled.

Imports ``neighbours`` only.
"""
