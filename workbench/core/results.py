"""What every core result class shares: JSON-ready values and the axes its ``plot`` draws on.

Result classes (:class:`~workbench.core.maps.gaps.Representation`,
:class:`~workbench.core.maps.clustering.ClusterResult`,
:class:`~workbench.core.selection.result.Selection`) are data with ``to_dict()`` and
``summary()``; drawing is a separate ``plot(ax=None)`` call, as in scikit-learn's
Display objects: matplotlib is imported only when a plot is drawn, and pyplot only
when no ``ax`` is given.
"""

from __future__ import annotations

import math

import numpy as np


def to_jsonable(value: object) -> object:
    """Plain Python types (for ``json.dumps``) from numpy/pandas scalars and containers.

    A Python float NaN becomes ``None``.

    Examples
    --------
    >>> to_jsonable({"k": np.int64(3), "score": float("nan"), "ks": (np.float32(0.5),)})
    {'k': 3, 'score': None, 'ks': [0.5]}
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def axes_for(ax, figsize: tuple[float, float]):
    """``ax`` itself, or the Axes of a new pyplot figure of ``figsize`` when ``ax`` is None.

    Raises
    ------
    ImportError
        When matplotlib is not installed (``pip install matplotlib``).
    """
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("plotting needs matplotlib: pip install matplotlib") from exc
    return plt.subplots(figsize=figsize)[1]
