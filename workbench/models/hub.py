"""Finding model weights: the Hugging Face cache, offline mode and a fast reachability probe.

Everything here is bounded in time: a cache lookup is a few ``stat`` calls, and the
network probe gives up after ``timeout`` seconds even when DNS or TCP hangs. That is
what lets ``--model clip`` fail in seconds on an offline machine instead of sitting
through open_clip's own download retries (about 40 s).

Environment variables are read at call time (not import time), so a notebook that
sets ``HF_HOME`` or ``HF_HUB_OFFLINE`` before embedding is honoured.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.parse
from dataclasses import dataclass

from workbench.core.pixels.hashing import sha256_file  # noqa: F401  (used by clip.py)

#: Seconds the reachability probe waits for huggingface.co before calling it offline.
DEFAULT_PROBE_TIMEOUT = 3.0

_TRUE = {"1", "on", "yes", "true"}
_probe_memo: dict[str, tuple[float, bool, str]] = {}
_PROBE_MEMO_SECONDS = 60.0


def hf_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set to a true value."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return True
    return False


def hf_hub_cache() -> str:
    """The Hugging Face hub cache folder, resolved like huggingface_hub does, at call time."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return os.path.expanduser(os.path.expandvars(explicit))
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface"
    )
    return os.path.join(os.path.expanduser(os.path.expandvars(home)), "hub")


def hf_endpoint() -> str:
    """The hub endpoint (``HF_ENDPOINT`` or https://huggingface.co)."""
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def endpoint_host() -> str:
    """Host name of :func:`hf_endpoint`, for messages."""
    return urllib.parse.urlparse(hf_endpoint()).hostname or hf_endpoint()


@dataclass(frozen=True)
class HubFile:
    """One weights file in a hub repository."""

    repo_id: str
    filename: str

    def __str__(self) -> str:
        return f"{self.repo_id}/{self.filename}"


def find_cached(files: list[HubFile], cache_dir: str | None = None) -> str | None:
    """Path of the first of ``files`` present in the local HF cache, else ``None``.

    Never touches the network.
    """
    from huggingface_hub import try_to_load_from_cache

    cache_dir = cache_dir or hf_hub_cache()
    for f in files:
        found = try_to_load_from_cache(f.repo_id, f.filename, cache_dir=cache_dir)
        if isinstance(found, str) and os.path.isfile(found):
            return found
    return None


def hub_reachable(timeout: float = DEFAULT_PROBE_TIMEOUT) -> tuple[bool, str]:
    """Whether the hub answers an HTTP HEAD within ``timeout`` seconds.

    Returns ``(reachable, detail)``. Respects ``HF_HUB_OFFLINE`` (then it is
    ``False`` without any network access) and proxy environment variables. The
    answer is remembered for a minute per endpoint, so repeated checks are free.
    """
    if hf_offline():
        return False, "HF_HUB_OFFLINE is set"
    url = hf_endpoint()
    memo = _probe_memo.get(url)
    if memo is not None and time.monotonic() - memo[0] < _PROBE_MEMO_SECONDS:
        return memo[1], memo[2]

    result: dict[str, object] = {}

    import urllib.error
    import urllib.request

    def probe() -> None:
        try:
            req = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(req, timeout=timeout):
                pass
            result["ok"], result["detail"] = True, "reachable"
        except urllib.error.HTTPError as exc:  # the server answered: it is reachable
            result["ok"], result["detail"] = True, f"reachable (HTTP {exc.code})"
        except Exception as exc:  # noqa: BLE001 - any failure means unreachable
            result["ok"], result["detail"] = False, f"{type(exc).__name__}: {exc}"

    # A daemon thread bounds the wait even when name resolution itself hangs
    # (urllib's timeout does not cover getaddrinfo).
    worker = threading.Thread(target=probe, name="workbench-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout + 0.25)
    if "ok" not in result:
        ok, detail = False, f"no answer within {timeout:g} s"
    else:
        ok, detail = bool(result["ok"]), str(result["detail"])
    _probe_memo[url] = (time.monotonic(), ok, detail)
    return ok, detail


def download(files: list[HubFile], cache_dir: str | None = None) -> str:
    """Download the first of ``files`` that exists on the hub into the HF cache.

    Call only after :func:`hub_reachable` said yes. Raises the last error when
    none can be fetched.
    """
    from huggingface_hub import hf_hub_download

    cache_dir = cache_dir or hf_hub_cache()
    last: Exception | None = None
    for f in files:
        try:
            return hf_hub_download(
                repo_id=f.repo_id,
                filename=f.filename,
                cache_dir=cache_dir,
                library_name="palette-workbench",
            )
        except Exception as exc:  # noqa: BLE001 - try the next candidate, re-raise the last
            last = exc
    names = ", ".join(str(f) for f in files)
    raise RuntimeError(f"could not download any of [{names}] from {hf_endpoint()}: {last}")


