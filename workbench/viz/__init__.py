"""Presentation: thumbnails, strips, plots and widgets. The only layer that imports widget libraries."""
