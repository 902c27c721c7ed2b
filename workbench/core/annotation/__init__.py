"""Annotation: the record of every decision a person made (who, when, the value before and
after, with which tool), agreement between annotators (Cohen's kappa, Krippendorff's
alpha, confusion, a disagreement queue), and suggestions for the next decision (the
label the annotated neighbours carry, caption words, zero-shot tags, the order to page in).

Imports ``labels`` and ``neighbours`` (votes of neighbours), ``maps`` (the word splitter of
cluster names), ``intake`` (spreadsheet-safe CSV cells) and ``rights`` (consent and
AI-generated values); no room imports it.
"""
