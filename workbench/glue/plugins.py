"""The Palette plugin for the FiftyOne App: where it lives, how the App finds it, and the
one folder its operators may write exports into.

FiftyOne discovers plugins only in ``fo.config.plugins_dir`` (``FIFTYONE_PLUGINS_DIR``),
walking it and following links. The plugin ships inside the package
(``workbench/plugin/palette``); nothing here imports it.

- :func:`app_plugins_dir` builds a folder of links (the plugin and every entry of the
  user's own plugins directory) that ``wb.open_in_app`` hands to the App it starts.
- :func:`install_plugin` links the plugin into the user's ``plugins_dir`` for the App
  sessions they start themselves (``workbench plugin install``).
- :func:`export_target` keeps the App's export operator inside the export root the user
  chose (``workbench app NAME --exports DIR``): a web page can trigger operators, so an
  export path outside the root is refused before anything is written or deleted.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: The plugin's name in its ``fiftyone.yml``; operators are ``@palette-workbench/curation/NAME``.
PLUGIN_NAME = "@palette-workbench/curation"
#: The Palette panel's name (the App's panel type).
PANEL_NAME = "palette_panel"
#: The link ``workbench plugin install`` makes in the plugins directory.
LINK_NAME = "palette-workbench"
#: Where the App's export operator may write; set by ``wb.open_in_app(exports=...)``.
EXPORTS_ENV = "WORKBENCH_EXPORTS"
DEFAULT_EXPORTS = Path("~") / "palette-exports"


def plugin_folder() -> Path:
    """The plugin's folder inside the installed package (it holds ``fiftyone.yml``)."""
    return Path(__file__).resolve().parent.parent / "plugin" / "palette"


def user_plugins_dir() -> Path:
    """FiftyOne's ``plugins_dir`` (``FIFTYONE_PLUGINS_DIR``, else FiftyOne's default)."""
    from .fo import fiftyone

    return Path(fiftyone().config.plugins_dir).expanduser()


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def app_plugins_dir(user_dir: Path | None = None) -> Path:
    """A folder of links for the App ``wb.open_in_app`` starts: the Palette plugin, and
    each entry of the user's own plugins directory (``user_dir``, else FiftyOne's
    ``plugins_dir``), so their plugins keep working. Rebuilt on every call."""
    user_dir = Path(user_dir) if user_dir is not None else user_plugins_dir()
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"palette-workbench-app-plugins-{uid}"
    root.mkdir(mode=0o700, exist_ok=True)
    for old in root.iterdir():  # only the links this function made
        if old.is_symlink():
            old.unlink()
    (root / LINK_NAME).symlink_to(plugin_folder(), target_is_directory=True)
    if user_dir.is_dir() and not _same(user_dir, root):
        for entry in sorted(user_dir.iterdir()):
            if entry.name.startswith(".") or _same(entry, plugin_folder()):
                continue
            (root / f"user-{entry.name}").symlink_to(entry.resolve(),
                                                    target_is_directory=entry.is_dir())
    return root


def use_app_plugins(exports: str | os.PathLike | None = None) -> Path:
    """Point FiftyOne (this process, and the App server it starts, which inherits the
    environment) at :func:`app_plugins_dir`, and the export operator at ``exports``."""
    from .fo import fiftyone

    fo = fiftyone()
    folder = app_plugins_dir()
    os.environ["FIFTYONE_PLUGINS_DIR"] = str(folder)
    fo.config.plugins_dir = str(folder)
    os.environ[EXPORTS_ENV] = str(export_root(exports))
    return folder


def install_plugin(plugins_dir: str | os.PathLike | None = None) -> Path:
    """Link the plugin into ``plugins_dir`` (default: FiftyOne's ``plugins_dir``).

    Returns the link. An existing link to this plugin is replaced; anything else of
    the same name is left alone and raises.

    Examples
    --------
    >>> install_plugin()   # doctest: +SKIP
    PosixPath('/root/fiftyone/__plugins__/palette-workbench')
    """
    target = Path(plugins_dir).expanduser() if plugins_dir else user_plugins_dir()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"plugins_dir must be a folder; {str(target)!r} is a file")
    target.mkdir(parents=True, exist_ok=True)
    link = target / LINK_NAME
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        raise FileExistsError(f"{str(link)!r} exists and is not a link made by `workbench "
                              "plugin install`; move it away first")
    link.symlink_to(plugin_folder(), target_is_directory=True)
    return link


def plugin_status() -> dict:
    """Whether FiftyOne finds the Palette plugin in its ``plugins_dir``: ``registered``,
    ``plugins_dir``, ``where`` (its folder) and ``fix`` (what to run when it is not)."""
    from .fo import fiftyone

    fiftyone()
    import fiftyone.plugins as fop

    found = [p for p in fop.list_plugins(enabled="all") if p.name == PLUGIN_NAME]
    status = {"registered": bool(found), "plugins_dir": str(user_plugins_dir()),
              "where": found[0].directory if found else None, "fix": None}
    if not found:
        status["fix"] = ("run `workbench plugin install` (or open the App with `workbench "
                         "app NAME`, which adds the plugin by itself)")
    return status


def export_root(exports: str | os.PathLike | None = None) -> Path:
    """The folder the App's exports go under: ``exports``, else ``$WORKBENCH_EXPORTS``,
    else ``~/palette-exports``."""
    chosen = exports or os.environ.get(EXPORTS_ENV) or DEFAULT_EXPORTS
    return Path(chosen).expanduser().resolve()


def export_target(out: str | os.PathLike, exports: str | os.PathLike | None = None) -> Path:
    """The export folder ``out`` inside the export root, or a clear refusal.

    ``out`` is a folder name relative to the root (or an absolute path inside it). A
    path that leaves the root (absolute elsewhere, through ``..`` or through a symbolic
    link) raises :class:`PermissionError` before anything is written or deleted.
    """
    root = export_root(exports)
    text = str(out).strip() if out is not None else ""
    if not text:
        raise ValueError(f"out must name a folder inside the export root {str(root)!r}; "
                         "got an empty path")
    given = Path(text).expanduser()
    path = given if given.is_absolute() else root / given
    resolved = path.resolve()
    if ".." in given.parts or resolved == root or not resolved.is_relative_to(root):
        raise PermissionError(
            f"out must be a folder inside the export root {str(root)!r} (choose another "
            f"root with `workbench app NAME --exports DIR`); got {text!r}, which "
            + ("climbs out with '..'" if ".." in given.parts else
               "is the root itself" if resolved == root else
               f"resolves to {str(resolved)!r}, outside it"))
    return resolved
