"""Errors about the user's input or request, shown as one sentence.

Each says what was wrong and what to do instead. In a notebook, IPython shows such an
error as its one line (``_render_traceback_``) instead of a stack of frames: the cell
still fails, so "Run All" stops there, but the reader sees the sentence that matters.
The CLI prints the same sentence and exits with code 2.
"""

from __future__ import annotations


class WorkbenchUserError(Exception):
    """Base of the workbench's input errors (mixed in with the builtin they refine)."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class SourceNotFoundError(WorkbenchUserError, FileNotFoundError):
    """A folder or file to load does not exist."""


class NothingToLoadError(WorkbenchUserError, ValueError):
    """A source that holds no usable image."""


class UnknownFieldError(WorkbenchUserError, ValueError):
    """A field name that the dataset does not have."""


class DatasetNotFoundError(WorkbenchUserError, LookupError):
    """No FiftyOne dataset of that name."""


class NotEmbeddedError(WorkbenchUserError, LookupError):
    """The collection has no embeddings yet (or not for the requested model)."""


class MapNotFoundError(WorkbenchUserError, LookupError):
    """The dataset has no stored map (for that method)."""


class SelectionNotFoundError(WorkbenchUserError, LookupError):
    """No selection is saved under that tag."""
