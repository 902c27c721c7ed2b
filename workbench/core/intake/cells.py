"""Spreadsheet-safe CSV cells: escaping against formula injection, and undoing it.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel, LibreOffice and Google Sheets when the CSV is opened
there (OWASP "CSV injection"). Every CSV this package writes passes its cells
through :func:`escape_cell`, which puts a single quote in front of such a cell;
spreadsheets show the quote-prefixed cell as text.

The rule is reversible, so readers get the original value back with
:func:`unescape_cell`:

* ``escape_cell(v)`` prefixes ``'`` when ``v`` matches ``^'*[=+\\-@\\t\\r]``
  (a value that already starts with quotes before a trigger character gets one
  more quote, so it survives the round trip);
* plain numbers such as ``-5`` or ``+1.5e3`` are left alone: spreadsheets read
  them as numbers, not formulas, and numeric columns keep their type;
* ``unescape_cell(v)`` removes exactly one leading ``'`` when ``v`` matches
  ``^'+[=+\\-@\\t\\r]``, and returns every other value unchanged.

This module has no imports beyond the standard library, so a manifest reader can
import it without pulling in the export machinery.
"""

from __future__ import annotations

import re

#: Characters that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_NEEDS_ESCAPE = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def escape_cell(value: object) -> object:
    """Make one CSV cell safe to open in a spreadsheet.

    Non-string values are returned unchanged (numbers, booleans, ``None``).

    Examples
    --------
    >>> escape_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> escape_cell("-5"), escape_cell("ink"), escape_cell("'=x")
    ('-5', 'ink', "''=x")
    """
    if not isinstance(value, str):
        return value
    if _NEEDS_ESCAPE.match(value) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def unescape_cell(value: object) -> object:
    """Undo :func:`escape_cell` on one cell read back from a CSV.

    Examples
    --------
    >>> unescape_cell("'=SUM(A1:A2)")
    '=SUM(A1:A2)'
    >>> unescape_cell("'quoted"), unescape_cell("''=x")
    ("'quoted", "'=x")
    """
    if isinstance(value, str) and _ESCAPED.match(value):
        return value[1:]
    return value
