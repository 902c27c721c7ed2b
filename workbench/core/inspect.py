"""Finding image files and inspecting each one: content hash, decode check, size, phash.

Pure Pillow/imagehash; runs in worker processes, so everything here is picklable.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .hashing import sha256_file
from .images import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, ImageDecodeError, open_rgb


@dataclass
class FileInfo:
    """What inspecting one file found. ``reason`` is set when the file is unusable."""

    path: str
    sha256: str | None = None
    file_size: int | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    mode: str | None = None
    phash: str | None = None
    notes: list[str] = field(default_factory=list)
    reason: str | None = None
    detail: str = ""
    decoded: bool = False

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass
class ScanResult:
    """Image files found under a folder, plus what was passed over and why."""

    files: list[str]
    ignored: list[dict]


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink_loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    if exc.errno == errno.ENOENT:
        return "missing"
    return "os_error"


def inspect_file(
    path: str, known_sha256: str | None = None, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> FileInfo:
    """Hash, fully decode and measure one file. Never raises for a bad file.

    When the file's hash equals ``known_sha256`` the (unchanged) file is not decoded
    again; ``decoded`` is then False and the size fields stay empty.
    """
    info = FileInfo(path=path)
    try:
        info.sha256 = sha256_file(path)
        info.file_size = os.path.getsize(path)
    except IsADirectoryError:
        info.reason, info.detail = "not_a_file", f"{path} is a directory"
        return info
    except OSError as exc:
        info.reason, info.detail = _os_reason(exc), str(exc)
        return info
    if info.file_size == 0:
        info.reason, info.detail = "zero_bytes", f"{path} is empty"
        return info
    if known_sha256 is not None and info.sha256 == known_sha256:
        return info
    try:
        decoded = open_rgb(path, max_pixels=max_pixels)
    except ImageDecodeError as exc:
        info.reason, info.detail = exc.reason, exc.detail
        return info
    import imagehash

    img = decoded.image
    info.width, info.height = img.size
    info.format, info.mode = decoded.format, decoded.original_mode
    info.notes = decoded.notes
    info.phash = str(imagehash.phash(img))
    info.decoded = True
    return info


def _inspect_star(args: tuple) -> FileInfo:
    return inspect_file(*args)


def inspect_files(
    jobs: Iterable[tuple[str, str | None]],
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    workers: int | None = None,
) -> Iterator[FileInfo]:
    """Inspect many files in parallel, yielding results in input order.

    Parameters
    ----------
    jobs
        ``(path, known_sha256_or_None)`` pairs.
    workers
        Worker processes; ``None`` means one per CPU. ``0`` runs in this process.
    """
    args = [(p, sha, max_pixels) for p, sha in jobs]
    if workers is None:
        workers = os.cpu_count() or 1
    if workers <= 1 or len(args) < 16:
        yield from map(_inspect_star, args)
        return
    # Decoding is CPU-bound and Pillow holds the GIL for parts of it: processes, not threads.
    chunksize = max(1, min(32, len(args) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_inspect_star, args, chunksize=chunksize)


def scan_folder(root: str | os.PathLike) -> ScanResult:
    """List image files under ``root`` recursively, sorted, following folder symlinks once.

    Hidden files and folders (names starting with ``.``) and files without an image
    extension are passed over and listed in ``ignored``. Symlinked folders that lead
    back into a folder already visited are reported as ``symlink_loop``.
    """
    root = Path(root)
    files: list[str] = []
    ignored: list[dict] = []
    seen_dirs: set[str] = set()
    stack = [str(root.absolute())]
    while stack:
        folder = stack.pop()
        try:
            real = os.path.realpath(folder)
        except OSError as exc:
            ignored.append({"path": folder, "reason": _os_reason(exc)})
            continue
        if real in seen_dirs:
            ignored.append({"path": folder, "reason": "symlink_loop"})
            continue
        seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            ignored.append({"path": folder, "reason": _os_reason(exc)})
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError as exc:
                ignored.append({"path": entry.path, "reason": _os_reason(exc)})
                continue
            if is_dir:
                stack.append(entry.path)
            elif Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS:
                files.append(entry.path)
            elif entry.is_symlink() and not os.path.exists(entry.path):
                # A dangling link or a link loop; with an image suffix it is caught above.
                ignored.append({"path": entry.path, "reason": "broken_symlink"})
    files.sort()
    return ScanResult(files=files, ignored=ignored)
