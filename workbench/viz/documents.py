"""What the workbench wrote, shown inline in a notebook: an export folder, its dataset
card, the coverage report.

Each display is self-contained (images inlined as data URIs), so it survives the notebook
being saved and rendered elsewhere (``make docs``).
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from collections import Counter
from pathlib import Path

_IMAGE_LINK = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def _inline_images(markdown: str, base: Path) -> str:
    def data_uri(match: re.Match) -> str:
        target = base / match.group(2)
        if "://" in match.group(2) or not target.is_file():
            return match.group(0)
        mime = mimetypes.guess_type(target.name)[0] or "image/png"
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"![{match.group(1)}](data:{mime};base64,{data})"

    return _IMAGE_LINK.sub(data_uri, markdown)


def show_card(folder: str | Path):
    """An export's dataset card (``README.md``), rendered inline with its charts.

    Examples
    --------
    >>> wb.show_card("out/export-imagefolder")   # doctest: +SKIP
    """
    from IPython.display import Markdown

    card = Path(folder) / "README.md"
    if not card.is_file():
        raise FileNotFoundError(f"no dataset card at {card}; export first (wb.export)")
    text = card.read_text(encoding="utf-8")
    if text.startswith("---\n"):  # the Hugging Face front matter is for the hub, not people
        text = text.split("\n---\n", 1)[-1]
    return Markdown(_inline_images(text, card.parent))


def show_report(path: str | Path, height: int = 720):
    """The HTML coverage report, inline, in a frame of its own (its styles stay inside)."""
    from IPython.display import HTML

    page = Path(path)
    if not page.is_file():
        raise FileNotFoundError(f"no report at {page}; write one with gaps.to_html(path)")
    doc = html.escape(page.read_text(encoding="utf-8"), quote=True)
    return HTML(f'<div><iframe srcdoc="{doc}" style="width:100%;height:{height}px;'
                'border:1px solid #ddd"></iframe></div>')


def show_folder(folder: str | Path, limit: int = 8):
    """An export folder as a short tree: its files, and each sub-folder's content by kind."""
    from IPython.display import HTML

    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"no folder at {root}")
    lines = [f"{root}/  ({sum(1 for p in root.rglob('*') if p.is_file())} files)"]
    for entry in sorted(root.iterdir()):
        if entry.is_file():
            lines.append(f"  {entry.name}")
            continue
        files = [p for p in entry.rglob("*") if p.is_file()]
        kinds = Counter(p.suffix or p.name for p in files)
        subdirs = sorted({p.parent.relative_to(entry).as_posix() for p in files} - {"."})
        shown = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
        lines.append(f"  {entry.name}/  ({shown})")
        lines += [f"    {d}/" for d in subdirs[:limit]]
        if len(subdirs) > limit:
            lines.append(f"    ... and {len(subdirs) - limit} more")
    return HTML("<pre>" + html.escape("\n".join(lines)) + "</pre>")
