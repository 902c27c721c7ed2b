"""Pixels: decoding an image the same way everywhere (shrunk above 16 MP, through libvips),
its content hashes and its colour signature.

The lowest room: it imports nothing else of ``workbench.core``, and every room that looks
at pixels (intake, quality, dedup) imports it.
"""
