"""Keep BLAS single-threaded around loops of small matrix products.

Measured on the shared 2-core dev box: OpenBLAS's thread pool made the per-step
products of k-center greedy 7x slower and the per-cluster products of near-duplicate
search 3x slower (threads wait on each other when other processes hold the cores).
Products this small gain little from threads even on an idle machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread inside the ``with`` block (restored afterwards).

    Uses threadpoolctl, which scikit-learn already depends on; without it this does
    nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
