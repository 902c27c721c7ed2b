"""Finding image files and inspecting each one, in one read and one small decode: content
hash, decode check, size, perceptual hash, and the rights signals the file carries.

Pure Pillow/imagehash; runs in worker processes, so everything here is picklable.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..pixels.color import color_signature
from ..pixels.hashing import sha256_and_markers
from ..pixels.images import DECODE_NOTES, DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, ImageDecodeError, open_rgb
from ..rights.provenance import METADATA_NOTES, FileSignals, read_c2pa, read_header
from ..quality.scores import quality_scores

#: What an inspection produces; stored with each sample, so that a file inspected by an
#: older version is inspected again rather than trusted as unchanged.
INSPECT_VERSION = 5
#: Notes that hold for as long as a file's bytes are unchanged.
CONTENT_NOTES = DECODE_NOTES | METADATA_NOTES


@dataclass
class FileInfo:
    """What inspecting one file found. ``reason`` is set when the file is unusable."""

    path: str
    sha256: str | None = None
    file_size: int | None = None
    file_mtime: float | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    mode: str | None = None
    phash: str | None = None
    color_signature: list[float] | None = None
    notes: list[str] = field(default_factory=list)
    signals: list[dict] = field(default_factory=list)
    signals_checked: list[str] = field(default_factory=list)
    quality: dict[str, float] | None = None
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


#: The decode size inspection asks for: plenty for a perceptual hash and the quality
#: figures, and it lets JPEGs decode at reduced size (width and height still come from
#: the header).
INSPECT_SIZE = (512, 512)


def inspect_file(
    path: str, known_sha256: str | None = None, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> FileInfo:
    """Hash, decode and measure one file. Never raises for a bad file.

    sha256 streams the bytes; width and height come from the header; the pixels are
    decoded once, reduced where the file is large (see :func:`open_rgb`). When the
    file's hash equals ``known_sha256`` the (unchanged) file is not decoded again;
    ``decoded`` is then False and the size fields stay empty.
    """
    info = FileInfo(path=path)
    try:
        st = os.stat(path)
        info.sha256, markers = sha256_and_markers(path, (b"c2pa",))
        info.file_size, info.file_mtime = st.st_size, st.st_mtime
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
    found = FileSignals()
    try:
        decoded = open_rgb(path, max_pixels=max_pixels, draft_size=INSPECT_SIZE,
                           on_header=lambda image: read_header(image, found))
    except ImageDecodeError as exc:
        info.reason, info.detail = exc.reason, exc.detail
        return info
    if b"c2pa" in markers:
        read_c2pa(path, found)
    import imagehash

    img = decoded.image
    info.width, info.height = decoded.size
    info.format, info.mode = decoded.format, decoded.original_mode
    info.notes = decoded.notes + found.notes
    info.signals, info.signals_checked = found.to_dicts(), sorted(set(found.checked))
    info.phash = str(imagehash.phash(img))
    info.color_signature = color_signature(img).tolist()
    info.quality = quality_scores(img)
    info.decoded = True
    return info


def _inspect_star(args: tuple) -> FileInfo:
    return inspect_file(*args)


#: Reason given to a file whose decode worker died twice (once among others, then alone).
WORKER_CRASHED = "worker_crashed"


def inspect_files(
    jobs: Iterable[tuple[str, str | None]],
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    workers: int | None = None,
) -> Iterator[FileInfo]:
    """Inspect many files in parallel, yielding results in input order.

    A worker process that dies (killed for memory, or a crash inside a decoder) costs
    only its own file: the files it may have held are inspected again one at a time,
    each in a fresh worker; the one that kills its worker again is reported with
    reason ``worker_crashed``, and the rest of the run goes on in a new pool.

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
    yield from _CrashTolerantPool(workers).map(args)


class _CrashTolerantPool:
    """An ordered process-pool map that survives dying workers.

    ``ProcessPoolExecutor`` marks the whole pool broken when one worker dies and fails
    every pending call, without saying which call killed it. The calls in flight are
    the suspects: each runs again alone, so an innocent file is still inspected and the
    guilty one is named.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        # A few calls queued per worker keeps them busy; few enough that a break
        # leaves a short list of suspects.
        self.window = 4 * workers

    @staticmethod
    def _context():
        import multiprocessing as mp

        # fork where there is one: workers start in milliseconds and need no imports.
        return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=self._context())

    def map(self, args: list[tuple]) -> Iterator[FileInfo]:
        from collections import deque
        from concurrent.futures.process import BrokenProcessPool

        todo = deque(args)
        inflight: deque = deque()
        pool = self._pool(self.workers)
        try:
            while todo or inflight:
                while todo and len(inflight) < self.window:
                    job = todo.popleft()
                    inflight.append((job, pool.submit(_inspect_star, job)))
                job, future = inflight[0]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    pool.shutdown(wait=True, cancel_futures=True)
                    suspects = list(inflight)
                    inflight.clear()
                    for sjob, sfuture in suspects:
                        done = sfuture.done() and not sfuture.cancelled() \
                            and sfuture.exception() is None
                        yield sfuture.result() if done else self._alone(sjob)
                    pool = self._pool(self.workers)
                    continue
                inflight.popleft()
                yield result
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _alone(self, job: tuple) -> FileInfo:
        from concurrent.futures.process import BrokenProcessPool

        pool = self._pool(1)
        try:
            return pool.submit(_inspect_star, job).result()
        except BrokenProcessPool:
            return FileInfo(path=job[0], reason=WORKER_CRASHED, detail=(
                "the decode worker died on this file twice (killed by the system, for "
                "example out of memory, or a crash inside an image decoder)"))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


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
