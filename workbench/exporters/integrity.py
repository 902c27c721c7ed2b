"""All-or-nothing exports: a staging folder, an atomic swap, and a checksum manifest.

An export is written into a staging folder beside the target (same parent, so a
rename is atomic): ``.OUT.tmp-<pid>-<random>``. Only when every file is written,
``MANIFEST.sha256`` last, is it renamed to ``OUT``. If ``OUT`` already holds a
previous export and ``overwrite=True``, the two folders are exchanged atomically
(Linux ``renameat2(RENAME_EXCHANGE)``); where that is unavailable the old one is
renamed away first, the new one renamed in, then the old one deleted. Either way
a crash or SIGKILL leaves either the old export or the new one in ``OUT``, never a
mix; the staging folder it leaves behind is removed by the next export to the same
``OUT`` once its process is gone.

``MANIFEST.sha256`` is in the format ``sha256sum -c MANIFEST.sha256`` checks:
``<hex>  <relative/path>``, one line per file, sorted, not listing itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core.pixels.hashing import sha256_file

MANIFEST_NAME = "MANIFEST.sha256"
_STAGE_TAG = ".tmp-"
_OLD_TAG = ".old-"


class ExportTargetError(FileExistsError):
    """The target folder cannot be used (not empty, not a folder, not an export)."""


def check_target(out: Path, *, overwrite: bool) -> None:
    """Refuse a target that would lose data.

    ``OUT`` may be missing or an empty folder. A non-empty ``OUT`` is replaced only
    with ``overwrite=True`` and only when it is a previous export (it holds a
    ``MANIFEST.sha256``), so a mistyped path never deletes someone's folder.
    """
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ExportTargetError(
            f"out={str(out)!r} exists and is not a folder; expected a missing or empty "
            "folder, or a previous export with overwrite=True"
        )
    if not out.exists() or not any(out.iterdir()):
        return
    if not overwrite:
        raise ExportTargetError(
            f"out={str(out)!r} is not empty; expected a missing or empty folder. "
            "Pass overwrite=True (ExportConfig) to replace a previous export, or choose another folder"
        )
    if not (out / MANIFEST_NAME).is_file():
        raise ExportTargetError(
            f"out={str(out)!r} is not empty and has no {MANIFEST_NAME}, so it is not a previous "
            "export; overwrite=True only replaces previous exports. Empty it or choose another folder"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out: Path) -> list[Path]:
    """Remove staging and old folders of ``out`` left by killed exports; return them."""
    removed: list[Path] = []
    if not out.parent.is_dir():
        return removed
    for tag in (_STAGE_TAG, _OLD_TAG):
        prefix = f".{out.name}{tag}"
        for path in out.parent.glob(f"{prefix}*"):
            pid_text = path.name[len(prefix):].split("-", 1)[0]
            if path.is_dir() and pid_text.isdigit() and not _pid_alive(int(pid_text)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def make_stage(out: Path) -> Path:
    """Create the staging folder beside ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}{_STAGE_TAG}{os.getpid()}-{secrets.token_hex(4)}"
    stage.mkdir()
    return stage


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A new staging folder beside ``out``, removed again if the block raises.

    The block writes into it and ends with :func:`publish`, after which nothing of
    the stage is left to remove.
    """
    stage = make_stage(out)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _rename_exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name or os.name != "posix":
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(stage: Path, out: Path) -> None:
    """Move a finished staging folder to ``out``, replacing what is there atomically."""
    if out.is_dir() and any(out.iterdir()):
        if _rename_exchange(stage, out):
            shutil.rmtree(stage)  # now holds the old export
        else:
            old = out.parent / f".{out.name}{_OLD_TAG}{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(out, old)
            os.rename(stage, out)
            shutil.rmtree(old)
    else:
        if out.is_dir():
            out.rmdir()  # an empty folder
        os.rename(stage, out)
    _fsync_dir(out.parent)


def write_manifest(root: Path) -> Path:
    """Write ``MANIFEST.sha256`` covering every other file under ``root``."""
    lines = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel == MANIFEST_NAME:
            continue
        lines.append(f"{sha256_file(path)}  {rel}\n")
    lines.sort(key=lambda line: line[66:])
    target = root / MANIFEST_NAME
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(lines)
        fh.flush()
        os.fsync(fh.fileno())
    return target


def verify_manifest(root: str | os.PathLike) -> list[str]:
    """Check an export against its ``MANIFEST.sha256``; return the problems (empty if fine).

    Examples
    --------
    >>> verify_manifest("exports/ink-v1")  # doctest: +SKIP
    []
    """
    root = Path(root)
    manifest = root / MANIFEST_NAME
    if not manifest.is_file():
        return [f"{MANIFEST_NAME} missing in {root}"]
    problems: list[str] = []
    listed: set[str] = set()
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        listed.add(rel)
        path = root / rel
        if not path.is_file():
            problems.append(f"missing: {rel}")
        elif sha256_file(path) != digest:
            problems.append(f"changed: {rel}")
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel != MANIFEST_NAME and rel not in listed:
            problems.append(f"not in manifest: {rel}")
    return sorted(problems)
