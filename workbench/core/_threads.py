"""Keep native thread pools to one thread around loops of small computations.

Measured on the shared 2-core dev box: OpenBLAS's thread pool made the per-step
products of k-center greedy 7x slower and the per-cluster products of near-duplicate
search 3x slower (threads wait on each other when other processes hold the cores);
the small eigen-decompositions of PCA and UMAP's initialisation were 10-50x slower (a
512 x 512 ``eigh``: 0.07 s on one thread, 1-3.6 s on two vCPUs), and the many small
k-means fits of a k scan 5-10x slower. Work this small gains little from threads even
on an idle machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def single_thread(user_api: str | None = "blas") -> Iterator[None]:
    """Limit native thread pools to one thread inside the ``with`` block (restored afterwards).

    Parameters
    ----------
    user_api
        ``"blas"`` (BLAS/LAPACK only), ``"openmp"``, or ``None`` for every pool
        (BLAS and the OpenMP pool that faiss uses).

    Uses threadpoolctl, which scikit-learn already depends on; without it this does
    nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        yield
        return
    with threadpool_limits(limits=1, user_api=user_api):
        yield
