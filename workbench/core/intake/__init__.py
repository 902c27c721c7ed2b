"""Intake: manifests in and templates out, finding and inspecting each file in one read, and the
rights record one manifest row plus one inspection make.

Sits above ``pixels``, ``rights`` and ``quality``, whose per-file work it runs; nothing in
core imports it.
"""
