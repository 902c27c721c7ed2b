"""kohya's aspect-ratio buckets for a selection, before training: ``wb.buckets``.

Reads the sizes (``width``, ``height``) and files of the tagged samples and hands them to
:func:`workbench.exporters.buckets.plan_buckets`, which applies sd-scripts' own rules.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from ..exporters.buckets import BucketConfig, BucketPlan, plan_buckets
from . import state
from .fo import usable

_DEFAULT = BucketConfig()


@dataclass
class BucketsResult:
    """A bucket preview of a dataset's selection (:class:`BucketPlan` in ``plan``).

    ``to_dict()`` and ``summary()`` describe it; ``plot(ax)`` draws images per bucket;
    ``show()`` displays the chart and a strip of the most-cut images in a notebook.
    """

    plan: BucketPlan
    dataset: str
    tag: str | None
    seconds: float = 0.0

    @property
    def table(self):
        """One row per image: its bucket, resized size, scale and cut."""
        return self.plan.table

    @property
    def buckets(self):
        """One row per bucket: its size, aspect ratio and number of images."""
        return self.plan.buckets

    @property
    def warnings(self) -> list[dict]:
        return self.plan.warnings

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "tag": self.tag, **self.plan.to_dict(),
                "seconds": round(self.seconds, 3)}

    def summary(self) -> str:
        where = f" tagged {self.tag!r}" if self.tag else ""
        return f"kohya buckets of {self.dataset!r}{where}: " + self.plan.summary()

    def plot(self, ax=None):
        """Images per bucket (matplotlib Axes), with the batch size as a line."""
        return self.plan.plot(ax)

    def show(self, size: int = 112):
        """The chart and the strip of the most-cut images, as notebook HTML."""
        from IPython.display import HTML

        from ..exporters.html import fig_to_data_uri

        chart = fig_to_data_uri(self.plot().figure)
        return HTML(f'<img src="{chart}"><br>{self.plan.html(size=size)}')


def buckets(collection, *, tag: str | None = "selected", resolution: int = _DEFAULT.resolution,
            min_reso: int = _DEFAULT.min_reso, max_reso: int = _DEFAULT.max_reso,
            step: int = _DEFAULT.step, no_upscale: bool = _DEFAULT.no_upscale,
            batch_size: int = _DEFAULT.batch_size, config: BucketConfig | None = None
            ) -> BucketsResult:
    """Preview the buckets kohya sd-scripts will put the tagged images into.

    For each image: its bucket, its scale and the share of it cut by the crop; for each
    bucket: its images. Warnings name buckets smaller than ``batch_size``, images
    upscaled more than 2x and images losing more than 15% to the crop (limits in
    :class:`BucketConfig`). The workbench's kohya export writes ``bucket_no_upscale``;
    pass ``no_upscale=True`` to preview that.

    Parameters
    ----------
    tag
        The selection's tag; ``None`` previews the whole collection.
    resolution, min_reso, max_reso, step, no_upscale
        sd-scripts' ``--resolution``, ``--min_bucket_reso``, ``--max_bucket_reso``,
        ``--bucket_reso_steps`` and ``--bucket_no_upscale``.
    batch_size
        The training batch size.
    config
        A :class:`BucketConfig` for the warning limits; the arguments above override it.

    Examples
    --------
    >>> result = wb.buckets(ds, resolution=1024, max_reso=2048)   # doctest: +SKIP
    >>> result.buckets                                             # doctest: +SKIP
    >>> result.show()                                              # doctest: +SKIP
    """
    start = time.perf_counter()
    if config is not None and not isinstance(config, BucketConfig):
        raise TypeError(f"config must be a BucketConfig; got {type(config).__name__}")
    config = replace(config or _DEFAULT, resolution=resolution, min_reso=min_reso,
                     max_reso=max_reso, step=step, no_upscale=no_upscale, batch_size=batch_size)
    ds = state.dataset_of(collection)
    view = usable(collection)
    if tag is not None:
        tags = ds.distinct("tags")
        if tag not in tags:
            raise LookupError(f"tag: no samples are tagged {tag!r} in {ds.name!r} (tags: "
                              f"{tags}); run `workbench select` first, or pass tag=None")
        view = view.match_tags(tag)
    ids, paths, widths, heights = view.values(["id", "filepath", "width", "height"])
    plan = plan_buckets(ids, list(zip(widths, heights)), config, paths=paths)
    return BucketsResult(plan=plan, dataset=ds.name, tag=tag,
                         seconds=time.perf_counter() - start)
