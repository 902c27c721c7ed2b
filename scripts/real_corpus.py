"""Fetch the real collection the tests and benchmarks measure on: Debian's Tux Paint stamps.

Usage: python scripts/real_corpus.py [--dest DIR] [--print-path]

Debian's ``tuxpaint-stamps-default`` package holds about 800 clip-art stamp PNGs in 16
category folders, each with a ``.txt`` description (its first line is English). They
are free software (GPL-2.0-or-later; see ``copyright`` beside them). The package is a
160 MB .deb, mostly sounds: only the PNGs, the descriptions and the copyright file are
extracted, into a cache folder outside the repository (default
``~/.cache/palette-workbench/real/tuxpaint-stamps-default``). Nothing of it is committed.

The .deb comes from ``apt-get download`` where apt is usable, otherwise straight from
the Debian archive over HTTP, checked against the SHA-256 that Debian publishes for it.
A second run finds the folder complete and returns at once.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

PACKAGE = "tuxpaint-stamps-default"
VERSION = "2022.06.04-1"
DEB = f"{PACKAGE}_{VERSION}_all.deb"
URL = f"https://deb.debian.org/debian/pool/main/t/tuxpaint-stamps/{DEB}"
SHA256 = "6db6c1bfc870a47f1499d6203b083522eacb57c5f9c87d468f2e92eb6d9d5f34"
LICENSE = "GPL-2.0-or-later"
SOURCE = f"Debian package {PACKAGE} {VERSION} (Tux Paint stamps)"
STAMPS = "usr/share/tuxpaint/stamps/"
COPYRIGHT = f"usr/share/doc/{PACKAGE}/copyright"
#: Written last: its presence means the extraction finished.
DONE = ".complete"


def default_dest() -> Path:
    base = os.environ.get("WORKBENCH_REAL_DATA") or Path.home() / ".cache" / "palette-workbench" / "real"
    return Path(base) / PACKAGE


def _download(folder: Path) -> Path:
    """The .deb in ``folder``: apt-get download first, then the archive over HTTP."""
    deb = folder / DEB
    if shutil.which("apt-get"):
        proc = subprocess.run(["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=folder,
                              capture_output=True, text=True)
        if proc.returncode != 0 and "Unable to locate" in proc.stderr and os.geteuid() == 0:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
            proc = subprocess.run(["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=folder,
                                  capture_output=True, text=True)
    if not deb.exists():
        with urllib.request.urlopen(URL, timeout=120) as response, deb.open("wb") as fh:
            shutil.copyfileobj(response, fh, 1 << 20)
    digest = hashlib.sha256(deb.read_bytes()).hexdigest()
    if digest != SHA256:
        raise RuntimeError(f"{deb}: sha256 {digest} does not match Debian's {SHA256}")
    return deb


def _data_tar(deb: Path) -> tarfile.TarFile:
    """The data.tar.* member of a .deb (an ``ar`` archive), opened for reading."""
    with deb.open("rb") as fh:
        if fh.read(8) != b"!<arch>\n":
            raise RuntimeError(f"{deb} is not a Debian package (no ar header)")
        while header := fh.read(60):
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            if name.startswith("data.tar"):
                return tarfile.open(fileobj=io.BytesIO(fh.read(size)), mode="r:*")
            fh.seek(size + (size % 2), os.SEEK_CUR)
    raise RuntimeError(f"{deb} has no data.tar member")


def fetch(dest: str | os.PathLike | None = None) -> Path:
    """Make sure the stamps are in ``dest`` and return that folder.

    The folder holds one sub-folder per category (``animals``, ``food``, ...) with the
    PNGs and their ``.txt`` descriptions, plus ``copyright``.
    """
    dest = Path(dest) if dest is not None else default_dest()
    if (dest / DONE).exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".fetch-") as tmp:
        tmp = Path(tmp)
        deb = _download(tmp)
        staging = tmp / "out"
        staging.mkdir()
        with _data_tar(deb) as tar:
            for member in tar:
                name = member.name.lstrip("./")
                if not member.isfile():
                    continue
                if name == COPYRIGHT:
                    target = staging / "copyright"
                elif name.startswith(STAMPS) and name.endswith((".png", ".txt")):
                    target = staging / name[len(STAMPS):]
                else:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out)
        (staging / DONE).write_text(f"{SOURCE}\n{URL}\nsha256 {SHA256}\n")
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    return dest


def english_description(png: Path) -> str | None:
    """The first line of a stamp's ``.txt`` description (English), if it has one."""
    txt = png.with_suffix(".txt")
    if not txt.exists():
        return None
    first = txt.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
    return first[0].strip() or None if first else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", help="target folder (default: the user cache)")
    parser.add_argument("--print-path", action="store_true", help="print only the folder")
    args = parser.parse_args()
    try:
        path = fetch(args.dest)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"real_corpus: could not fetch {PACKAGE}: {exc}", file=sys.stderr)
        return 1
    if args.print_path:
        print(path)
    else:
        n = sum(1 for _ in path.rglob("*.png"))
        print(f"real_corpus: {n} PNGs in {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
