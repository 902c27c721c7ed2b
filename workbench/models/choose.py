"""Choosing an embedder from a ``--model`` spec, quickly and with a reason.

Specs:

* ``auto``: CLIP ViT-B-32/laion2b_s34b_b79k when its weights are cached or the hub
  is reachable, else the bundled EfficientNet-Lite0;
* ``clip``: that CLIP model, or a :class:`ModelUnavailableError` within seconds;
* ``bundled``: EfficientNet-Lite0 (always offline);
* ``OPENCLIP_NAME:PRETRAINED_TAG_OR_PATH``, e.g. ``ViT-B-32:laion2b_s34b_b79k`` or
  ``ViT-B-32:/path/to/weights.bin``.

Nothing here loads a model; the checks are file lookups plus at most one
network probe of about 3 seconds.
"""

from __future__ import annotations

import os

from workbench.models import hub
from workbench.models.base import Embedder, ModelUnavailableError, check_device
from workbench.models.bundled import BUNDLED_NAME, EfficientNetLite0, check_installed
from workbench.models.clip import (
    DEFAULT_CLIP_MODEL,
    DEFAULT_CLIP_PRETRAINED,
    OpenClipEmbedder,
    check_model_name,
    hub_candidates,
    looks_like_path,
)

SPEC_KEYWORDS = ("auto", "clip", "bundled")
SPEC_FORMS = (
    "auto | clip | bundled | OPENCLIP_NAME:PRETRAINED_TAG_OR_PATH (e.g. ViT-B-32:laion2b_s34b_b79k)"
)


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split a ``--model`` value into ``(kind_or_name, pretrained)``.

    Returns ``("auto", None)``, ``("clip", None)``, ``("bundled", None)`` or
    ``(open_clip_name, tag_or_path)``. Raises ``ValueError`` for anything else.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"model spec must be one of: {SPEC_FORMS}; got {spec!r}")
    spec = spec.strip()
    if spec.lower() in SPEC_KEYWORDS:
        return spec.lower(), None
    name, sep, pretrained = spec.partition(":")
    if not sep or not name or not pretrained:
        raise ValueError(f"model spec must be one of: {SPEC_FORMS}; got {spec!r}")
    return name, pretrained


def build_embedder(
    spec: str, device: str = "auto", *, probe_timeout: float = hub.DEFAULT_PROBE_TIMEOUT
) -> Embedder:
    """Construct (not load) the embedder named by an explicit spec (not ``auto``); validates names."""
    kind, pretrained = parse_spec(spec)
    if kind == "auto":
        raise ValueError("build_embedder needs an explicit spec; use resolve_embedder('auto')")
    if kind == "bundled":
        return EfficientNetLite0(device=device)
    if kind == "clip":
        return OpenClipEmbedder(
            DEFAULT_CLIP_MODEL, DEFAULT_CLIP_PRETRAINED, device=device, probe_timeout=probe_timeout
        )
    check_model_name(kind)
    if not looks_like_path(pretrained):
        hub_candidates(kind, pretrained)  # raises with the valid tags
    return OpenClipEmbedder(kind, pretrained, device=device, probe_timeout=probe_timeout)


def resolve_embedder(
    spec: str = "auto",
    device: str = "auto",
    *,
    probe_timeout: float = hub.DEFAULT_PROBE_TIMEOUT,
) -> tuple[Embedder, str]:
    """Pick the embedder for a ``--model`` spec and say why, in one sentence.

    Parameters
    ----------
    spec
        ``auto``, ``clip``, ``bundled`` or ``OPENCLIP_NAME:PRETRAINED_TAG_OR_PATH``.
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    probe_timeout
        Seconds to wait for huggingface.co when weights are not cached.

    Returns
    -------
    (embedder, reason)
        The embedder is not loaded yet; ``reason`` is a human sentence for logs/CLI.

    Raises
    ------
    ModelUnavailableError
        For ``clip`` or a CLIP tag whose weights are neither cached nor reachable
        (within about ``probe_timeout`` seconds); the message says how to supply them.
    ValueError
        For a malformed spec, unknown architecture or tag, or a missing checkpoint file.

    Examples
    --------
    >>> emb, reason = resolve_embedder("auto")      # doctest: +SKIP
    >>> reason                                      # doctest: +SKIP
    'using bundled EfficientNet-Lite0: CLIP weights are not cached and huggingface.co is unreachable (offline)'
    """
    check_device(device)
    kind, _ = parse_spec(spec)
    if kind == "auto":
        clip = OpenClipEmbedder(
            DEFAULT_CLIP_MODEL, DEFAULT_CLIP_PRETRAINED, device=device, probe_timeout=probe_timeout
        )
        status = clip.weights_status(probe=True)
        if status.available:
            return clip, f"using CLIP {clip.label}: {status.detail}"
        ok, why = check_installed()
        if not ok:
            raise ModelUnavailableError(
                f"no embedder can run: CLIP {clip.label} {status.detail}, and {why}"
            )
        why_not = (
            "HF_HUB_OFFLINE is set"
            if hub.hf_offline()
            else f"{hub.endpoint_host()} is unreachable (offline)"
        )
        return EfficientNetLite0(device=device), (
            f"using bundled EfficientNet-Lite0: CLIP weights are not cached and {why_not}"
        )

    emb = build_embedder(spec, device, probe_timeout=probe_timeout)
    if isinstance(emb, EfficientNetLite0):
        ok, why = check_installed()
        if not ok:
            raise ModelUnavailableError(why)
        return emb, f"using bundled EfficientNet-Lite0: requested ({why})"
    status = emb.weights_status(probe=True)
    if not status.available:
        from workbench.models.clip import unavailable_message

        raise ModelUnavailableError(
            unavailable_message(emb.model_name, str(emb.pretrained), status.detail)
        )
    return emb, f"using CLIP {emb.label}: {status.detail}"


def available_embedders() -> list[dict]:
    """Which embedders can run right now without network (for ``workbench doctor``).

    Cheap: file-system checks only, no model loading and no network. Lists the
    bundled model, the default CLIP model, and every other open_clip pretrained
    model whose weights are in the local Hugging Face cache.

    Returns
    -------
    list of dict
        ``{"spec", "name", "available", "reason"}``; ``spec`` is what to pass to
        ``--model``.
    """
    out: list[dict] = []
    ok, why = check_installed()
    out.append({"spec": "bundled", "name": BUNDLED_NAME, "available": ok, "reason": why})
    default = (DEFAULT_CLIP_MODEL, DEFAULT_CLIP_PRETRAINED)
    cache_dir = hub.hf_hub_cache()
    cached: list[tuple[str, str, str]] = []
    repos = _cached_repos(cache_dir)
    if repos:  # only then is open_clip (and torch) worth importing
        import open_clip

        for model_name, tag in open_clip.list_pretrained():
            cfg = open_clip.get_pretrained_cfg(model_name, tag)
            if os.path.split(cfg.get("hf_hub", ""))[0] not in repos:
                continue
            try:
                path = hub.find_cached(hub_candidates(model_name, tag), cache_dir)
            except ValueError:
                continue
            if path:
                cached.append((model_name, tag, path))
    default_path = next((p for m, t, p in cached if (m, t) == default), None)
    out.append(
        {
            "spec": "clip",
            "name": f"open_clip:{DEFAULT_CLIP_MODEL}:{DEFAULT_CLIP_PRETRAINED}",
            "available": default_path is not None,
            "reason": (
                f"weights cached at {default_path}"
                if default_path
                else f"weights not in the Hugging Face cache ({cache_dir}); needs a download from "
                f"{hub.endpoint_host()} or --model {DEFAULT_CLIP_MODEL}:/path/to/weights.bin"
            ),
        }
    )
    for model_name, tag, path in cached:
        if (model_name, tag) != default:
            out.append(
                {
                    "spec": f"{model_name}:{tag}",
                    "name": f"open_clip:{model_name}:{tag}",
                    "available": True,
                    "reason": f"weights cached at {path}",
                }
            )
    return out


def _cached_repos(cache_dir: str) -> set[str]:
    """Model repo ids present in a Hugging Face hub cache folder (``models--org--name``)."""
    try:
        names = os.listdir(cache_dir)
    except OSError:
        return set()
    return {n[len("models--") :].replace("--", "/") for n in names if n.startswith("models--")}
