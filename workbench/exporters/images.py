"""Writing the exported image files: decode, normalise, resize or crop, encode; in parallel.

Every image goes through :func:`workbench.core.pixels.images.open_rgb` (EXIF orientation,
8-bit RGB, alpha flattened on white, CMYK and 16-bit handled), so a file that no
longer decodes is reported, not exported. Images are never upscaled: one smaller
than the target resolution is written at its own size and listed as
``below_resolution``.

When nothing needs to change (mode ``keep``, an upright RGB JPEG or PNG, and an
encoding that matches), the original bytes are copied, so no generation is lost.
Note that a byte copy keeps the file's own metadata (EXIF, XMP, ICC); re-encoded
files carry only the colour profile.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.core.pixels.images import DEFAULT_MAX_PIXELS, ImageDecodeError, open_rgb

MODES = ("keep", "resize", "center_crop")
ENCODINGS = ("auto", "png", "jpeg")
#: Longest extension an exported image can get (names reserve room for it).
MAX_EXT = ".jpg"

#: Whether :func:`process_image` first tries libvips (files it cannot take, or a
#: missing pyvips, go the Pillow way).
_USE_VIPS = True
_RGB_PROFILE_MODES = frozenset({"RGB", "RGBA", "RGBX", "P", "PA"})
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class ImageConfig:
    """How exported images are processed.

    Attributes
    ----------
    mode
        ``keep`` (original size, for aspect-ratio bucketing), ``resize`` (shorter
        side to ``resolution``) or ``center_crop`` (a ``resolution`` square).
    resolution
        Target size in pixels; also the training resolution written for kohya.
    encoding
        ``auto`` (JPEG stays JPEG, anything else becomes PNG), ``png`` or ``jpeg``.
    jpeg_quality
        JPEG quality when encoding JPEG.
    workers
        Processes to use; ``None`` means one per available CPU, ``1`` runs in-process.
    max_pixels
        Refuse larger images (decompression bombs); ``None`` disables the check.

    Examples
    --------
    >>> ImageConfig(mode="center_crop", resolution=768, encoding="png").resolution
    768
    """

    mode: str = "keep"
    resolution: int = 512
    encoding: str = "auto"
    jpeg_quality: int = 95
    workers: int | None = None
    max_pixels: int | None = DEFAULT_MAX_PIXELS

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}; got {self.mode!r}")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {list(ENCODINGS)}; got {self.encoding!r}")
        if not isinstance(self.resolution, int) or self.resolution < 8:
            raise ValueError(f"resolution must be an int >= 8; got {self.resolution!r}")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality must be in 1..100; got {self.jpeg_quality!r}")
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise ValueError(f"workers must be None or an int >= 1; got {self.workers!r}")


@dataclass(frozen=True)
class ImageJob:
    """One image to write: ``src`` to ``dst_dir/stem<ext>``."""

    index: int
    src: str
    dst_dir: str
    stem: str
    mode: str
    resolution: int
    encoding: str
    jpeg_quality: int
    max_pixels: int | None


def _target_size(w: int, h: int, job: ImageJob) -> tuple[int, int] | None:
    """The output size, or None to keep the image as it is."""
    r = job.resolution
    if job.mode == "keep" or min(w, h) < r:
        return None
    if job.mode == "center_crop":
        return None if (w, h) == (r, r) else (r, r)
    if min(w, h) == r:
        return None
    scale = r / min(w, h)
    return (r, max(r, round(h * scale))) if w <= h else (max(r, round(w * scale)), r)


#: Pillow modes of 8-bit files that libvips decodes to the same RGB as ``open_rgb``.
_VIPS_MODES = frozenset({"RGB", "RGBA", "L", "LA", "P"})
#: Pillow's defaults, so that both paths write alike: PNG zlib level, JPEG chroma 4:2:0.
_PNG_COMPRESSION = 6


def _vips_plan(job: ImageJob) -> tuple[str, str, int, int] | None:
    """``(format, mode, width, height)`` when libvips can write ``job`` as Pillow would.

    That is a still, upright, 8-bit JPEG or PNG in an RGB, grey or palette mode, below
    the size at which ``open_rgb`` decodes shrunk. Anything else (and any file Pillow
    cannot even open) takes the Pillow path, which reports problems with their reasons.
    """
    from PIL import Image

    from workbench.core.pixels.largeimage import LARGE_PIXELS

    try:
        with Image.open(job.src) as im:
            fmt, mode, (w, h) = im.format, im.mode, im.size
            if fmt not in ("JPEG", "PNG") or mode not in _VIPS_MODES:
                return None
            if getattr(im, "n_frames", 1) != 1:
                return None
            if mode in ("RGB", "L") and "transparency" in im.info:
                return None  # libvips would flatten the colour key; open_rgb ignores it
            if im.getexif().get(_ORIENTATION, 1) not in (None, 1):
                return None
    except Exception:  # noqa: BLE001 - the Pillow path names the problem
        return None
    if w * h > LARGE_PIXELS or (job.max_pixels is not None and w * h > job.max_pixels):
        return None
    return fmt, mode, w, h


def _vips_notes(im, mode: str) -> list[str]:
    """The notes ``open_rgb`` gives a file of this Pillow mode (see ``to_rgb``)."""
    notes = ["palette"] if mode == "P" else []
    if mode in ("RGBA", "LA") or (mode == "P" and im.hasalpha()):
        notes.append("alpha_flattened")
    return notes


def _process_vips(job: ImageJob, cpu: float) -> dict | None:
    """:func:`process_image` through libvips; ``None`` hands the job to the Pillow path.

    Decoding, flattening, resampling (Lanczos 3) and encoding run in libvips, at about
    half the CPU of Pillow for a 1024 px JPEG resized to 512 (``benchmarks/export.py``).
    Same choices as the Pillow path: JPEG decoded reduced only down to twice the target,
    alpha flattened on white, grey made RGB, only the colour profile kept.
    """
    plan = _vips_plan(job)
    if plan is None:
        return None
    try:
        import pyvips
    except (ImportError, OSError):
        return None
    fmt, mode, sw, sh = plan
    size = _target_size(sw, sh, job)
    load: dict = {"access": "sequential", "fail_on": "error"}
    if fmt == "JPEG" and size is not None:
        shrink = 1
        while shrink < 8 and min(sw, sh) // (2 * shrink) >= 2 * job.resolution:
            shrink *= 2
        if shrink > 1:
            load["shrink"] = shrink
    try:
        im = pyvips.Image.new_from_file(job.src, **load)
        if im.format != "uchar" or im.bands not in (1, 2, 3, 4):
            return None
        notes = _vips_notes(im, mode)
        if im.hasalpha():
            im = im.flatten(background=[255] * (im.bands - 1))
        if im.bands == 1:
            im = im.colourspace("srgb")
        if mode in ("L", "LA") and im.get_typeof("icc-profile-data"):
            im = im.copy()
            im.remove("icc-profile-data")  # a grey profile does not describe RGB pixels
        fmt_out = job.encoding if job.encoding != "auto" else fmt.lower()
        ext = ".jpg" if fmt_out == "jpeg" else ".png"
        dst = os.path.join(job.dst_dir, job.stem + ext)
        if size is None and mode == "RGB" and fmt.lower() == fmt_out:
            im.avg()  # decode it all: a broken file is reported, not copied
            shutil.copyfile(job.src, dst)
            width, height, copied = sw, sh, True
        else:
            if size is not None:
                tw, th = size
                if job.mode == "center_crop":  # crop, then resize, as ImageOps.fit does
                    side = min(im.width, im.height)
                    im = im.crop((im.width - side) // 2, (im.height - side) // 2, side, side)
                    im = im.resize(tw / side, vscale=th / side, kernel="lanczos3")
                else:
                    im = im.resize(tw / im.width, vscale=th / im.height, kernel="lanczos3")
                if (im.width, im.height) != (tw, th):  # centre crop, or a rounding pixel
                    im = im.gravity("centre", tw, th, extend="copy")
            keep = pyvips.enums.ForeignKeep.ICC
            if fmt_out == "jpeg":
                data = im.jpegsave_buffer(Q=job.jpeg_quality, subsample_mode="on", keep=keep)
            else:
                data = im.pngsave_buffer(compression=_PNG_COMPRESSION, keep=keep,
                                         filter=pyvips.enums.ForeignPngFilter.ALL)
            with open(dst, "xb") as fh:
                fh.write(data)
            width, height, copied = im.width, im.height, False
    except pyvips.Error:
        return None  # the Pillow path decodes it again and reports why it fails
    except OSError as exc:
        return {"index": job.index, "ok": False, "reason": "write_failed", "detail": str(exc),
                "cpu_s": time.process_time() - cpu}
    return {
        "index": job.index, "ok": True, "filename": job.stem + ext, "width": width,
        "height": height, "src_width": sw, "src_height": sh,
        "below": min(sw, sh) < job.resolution, "copied": copied, "notes": notes,
        "cpu_s": time.process_time() - cpu,
    }


def process_image(job: ImageJob) -> dict:
    """Write one image; return what happened (never raises for a bad image).

    Returns
    -------
    dict
        ``index``, ``ok``; when ok: ``filename``, ``width``, ``height``,
        ``src_width``, ``src_height``, ``below`` (smaller than the resolution),
        ``copied`` (original bytes); when not ok: ``reason`` and ``detail``; always
        ``cpu_s``, the CPU seconds spent.
    """
    from PIL import Image, ImageOps

    cpu = time.process_time()
    if _USE_VIPS:
        done = _process_vips(job, cpu)
        if done is not None:
            return done
    draft = None
    if job.mode != "keep":
        draft = (2 * job.resolution, 2 * job.resolution)  # JPEG DCT scaling, >= 2x target
    try:
        decoded = open_rgb(job.src, max_pixels=job.max_pixels, draft_size=draft)
    except ImageDecodeError as exc:
        return {"index": job.index, "ok": False, "reason": exc.reason, "detail": exc.detail,
                "cpu_s": time.process_time() - cpu}
    img = decoded.image
    if draft is not None and decoded.format == "JPEG":
        with Image.open(job.src) as probe:  # the true size, before DCT scaling
            sw, sh = probe.size
            if "exif_rotated" in decoded.notes and probe.getexif().get(_ORIENTATION) in (5, 6, 7, 8):
                sw, sh = sh, sw
    else:
        sw, sh = img.size
    below = min(sw, sh) < job.resolution
    size = _target_size(sw, sh, job)

    fmt_out = job.encoding
    if fmt_out == "auto":
        fmt_out = "jpeg" if decoded.format == "JPEG" else "png"
    ext = ".jpg" if fmt_out == "jpeg" else ".png"
    dst = os.path.join(job.dst_dir, job.stem + ext)
    same_format = (decoded.format, fmt_out) in (("JPEG", "jpeg"), ("PNG", "png"))
    untouched = (size is None and img.size == (sw, sh) and decoded.original_mode == "RGB"
                 and not decoded.notes and same_format)
    try:
        if untouched:
            shutil.copyfile(job.src, dst)
            copied = True
        else:
            if size is not None:
                if job.mode == "center_crop":
                    img = ImageOps.fit(img, size, Image.Resampling.LANCZOS)
                else:
                    img = img.resize(size, Image.Resampling.LANCZOS)
            params: dict = {}
            icc = img.info.get("icc_profile")
            if icc and decoded.original_mode in _RGB_PROFILE_MODES:
                params["icc_profile"] = icc
            if fmt_out == "jpeg":
                params.update(quality=job.jpeg_quality)
            buf = io.BytesIO()
            img.save(buf, format="JPEG" if fmt_out == "jpeg" else "PNG", **params)
            with open(dst, "xb") as fh:
                fh.write(buf.getvalue())
            copied = False
    except OSError as exc:
        return {"index": job.index, "ok": False, "reason": "write_failed", "detail": str(exc),
                "cpu_s": time.process_time() - cpu}
    return {
        "index": job.index, "ok": True, "filename": job.stem + ext,
        "width": img.width, "height": img.height, "src_width": sw, "src_height": sh,
        "below": below, "copied": copied, "notes": list(decoded.notes),
        "cpu_s": time.process_time() - cpu,
    }


def available_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _init_worker() -> None:
    """Let each worker process reuse image memory instead of faulting in fresh pages.

    Pillow frees every image's memory blocks by default; an export allocates
    several full-size images per file (decode, upright copy, resize), so keeping a
    few 16 MiB blocks cached saves a third of the CPU per image. Workers only; a
    user's ``PILLOW_BLOCKS_MAX`` is respected.
    """
    # One libvips thread per worker: the pool already keeps every core busy.
    os.environ.setdefault("VIPS_CONCURRENCY", "1")
    if "PILLOW_BLOCKS_MAX" in os.environ:
        return
    try:
        from PIL import Image

        Image.core.set_blocks_max(max(4, Image.core.get_blocks_max()))
    except (AttributeError, ValueError):  # another Pillow build: just slower
        pass


def run_jobs(jobs: list[ImageJob], workers: int | None = None) -> list[dict]:
    """Run :func:`process_image` over ``jobs``, in parallel across processes.

    Results come back in job order. Small batches and ``workers=1`` run in this
    process. Workers are started with ``forkserver`` (or ``spawn``) rather than
    ``fork``, so a parent that holds threads or a database client (FiftyOne,
    torch) is never forked. As with any such pool, a *script* that exports must
    guard its top level with ``if __name__ == "__main__":`` (notebooks need not).
    """
    workers = available_cpus() if workers is None else workers
    workers = min(workers, max(1, len(jobs) // 8))
    if workers <= 1:
        return [process_image(job) for job in jobs]

    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    chunksize = max(1, min(32, len(jobs) // (workers * 8)))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method),
                               initializer=_init_worker)
    try:
        results = list(pool.map(process_image, jobs, chunksize=chunksize))
    except BaseException:  # Ctrl-C or a dead worker: do not wait for the queued images
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def output_dir(root: Path, rel: str) -> str:
    """Create ``root/rel`` and return it as a string (for pickling into jobs)."""
    path = root / rel
    path.mkdir(parents=True, exist_ok=True)
    return str(path)
