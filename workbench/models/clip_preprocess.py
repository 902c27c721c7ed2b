"""open_clip's image preprocessing, split into per-image pixels and per-batch normalising."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.models.base import Preprocess, pil_to_pixels

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from PIL import Image


@dataclass
class OpenClipPreprocess(Preprocess):
    """open_clip's own inference transform, built lazily; picklable.

    Parameters mirror ``open_clip.transform.PreprocessCfg``. :meth:`pixels` runs the
    transform's image steps (resize, crop or pad, mode); its final to-tensor and
    normalise steps are :meth:`Preprocess.normalize`, done per batch.
    """

    size: int | tuple[int, int] = 224
    mean: tuple[float, ...] = (0.48145466, 0.4578275, 0.40821073)
    std: tuple[float, ...] = (0.26862954, 0.26130258, 0.27577711)
    interpolation: str = "bicubic"
    resize_mode: str = "shortest"
    fill_color: int = 0

    @property
    def draft_size(self) -> tuple[int, int]:
        side = max(self.size) if isinstance(self.size, (tuple, list)) else int(self.size)
        return (side, side)

    def _image_steps(self) -> list:
        steps = self.__dict__.get("_steps")
        if steps is None:
            from open_clip.transform import PreprocessCfg, image_transform_v2

            cfg = PreprocessCfg(
                size=self.size,
                mean=tuple(self.mean),
                std=tuple(self.std),
                interpolation=self.interpolation,
                resize_mode=self.resize_mode,
                fill_color=self.fill_color,
            )
            transforms = list(image_transform_v2(cfg, is_train=False).transforms)
            tail = [type(t).__name__ for t in transforms[-2:]]
            if tail != ["MaybeToTensor", "Normalize"] or tuple(transforms[-1].mean) != tuple(
                self.mean
            ):
                raise RuntimeError(
                    "open_clip's inference transform no longer ends in to-tensor and normalise "
                    f"with the configured mean; found {transforms!r}"
                )
            steps = self.__dict__["_steps"] = transforms[:-2]
        return steps

    def pixels(self, image: Image.Image) -> torch.Tensor:
        img = image.convert("RGB")
        for step in self._image_steps():
            img = step(img)
        return pil_to_pixels(img)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_steps"}
