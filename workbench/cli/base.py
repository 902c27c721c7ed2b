"""What every command shares: its result, usage errors, and options bound to config defaults.

An option that sets a config field is declared with :func:`bound`, which takes its
default from the dataclass (or the function parameter) it fills. The CLI and the Python
API therefore share one set of defaults, and the tests walk every bound option.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from collections.abc import Callable, Iterable
from typing import Any

#: Errors that mean "the input or the request is wrong": exit 2 with the message.
USAGE_ERRORS: tuple[type[BaseException], ...] = (ValueError, LookupError, FileNotFoundError,
                                                 FileExistsError)


class CommandResult:
    """A command's machine-readable payload, its text for people, and its exit code."""

    def __init__(self, payload: dict, text: str, code: int = 0) -> None:
        self.payload, self.text, self.code = payload, text, code


class UsageError(ValueError):
    """Bad input found by a command after it started (exit 2), with what to do instead."""


def owner_default(owner: Any, name: str) -> Any:
    """The default of field ``name`` of a dataclass, or of parameter ``name`` of a callable."""
    if dataclasses.is_dataclass(owner):
        for f in dataclasses.fields(owner):
            if f.name == name:
                if f.default is not dataclasses.MISSING:
                    return f.default
                if f.default_factory is not dataclasses.MISSING:
                    return f.default_factory()
                raise TypeError(f"{owner.__name__}.{name} has no default")
        raise AttributeError(f"{owner.__name__} has no field {name!r}")
    param = inspect.signature(owner).parameters[name]
    if param.default is inspect.Parameter.empty:
        raise TypeError(f"{owner.__name__}({name}) has no default")
    return param.default


def bound(parser: argparse.ArgumentParser, *flags: str, owner: Any, field: str,
          help: str, **kwargs: Any) -> argparse.Action:
    """Add an option whose default is ``owner``'s default for ``field``.

    ``owner`` is a config dataclass or a function. The default is shown in the help
    text, and the action remembers its owner (``action.bound_to``) so the tests can
    check it.
    """
    default = owner_default(owner, field)
    kwargs.setdefault("dest", field)
    shown = "" if kwargs.get("action") in ("store_true", "store_false") else \
        f" (default: {_show(default)})"
    action = parser.add_argument(*flags, default=default, help=help + shown, **kwargs)
    action.bound_to = (owner, field)
    return action


def bound_options(parser: argparse.ArgumentParser, owner: Any, rows: Iterable[tuple]) -> None:
    """Add one :func:`bound` option of ``owner`` per row, in order.

    A row is ``(flag, field, type, help)``, with ``type`` the argparse type (or None), and
    may end with a dict of further :meth:`~argparse.ArgumentParser.add_argument` keywords
    (``action``, ``choices``, ``metavar``).
    """
    for flag, field, type_, help, *more in rows:
        kwargs = dict(*more)
        if type_ is not None:
            kwargs["type"] = type_
        bound(parser, flag, owner=owner, field=field, help=help, **kwargs)


def embeddings_option(parser: argparse.ArgumentParser, owner: Any) -> argparse.Action:
    """``--model``: which stored embeddings a command reads (``owner``'s ``model``)."""
    return bound(parser, "--model", owner=owner, field="model",
                 help="which embeddings, by model name or field (none: the latest)")


def by_option(parser: argparse.ArgumentParser, what: str) -> argparse.Action:
    """``--by FIELD``, left to the command to choose: ``what`` the field is for."""
    return parser.add_argument(
        "--by", metavar="FIELD",
        help=f"{what} (default: the folders' labels given at load, else style, region or "
             "technique, else the map's clusters)")


def progress_option(parser: argparse.ArgumentParser, owner: Any) -> argparse.Action:
    """``--no-progress`` for a command whose config has a ``progress`` field."""
    return bound(parser, "--no-progress", owner=owner, field="progress", action="store_false",
                 help="hide progress bars")


def _show(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return " ".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def auto_or_positive_int(text: str) -> int | str:
    """An argparse type: ``auto`` or an integer >= 1."""
    if text == "auto":
        return text
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a positive integer, got {text!r}") from None


Register = Callable[[Any], None]
