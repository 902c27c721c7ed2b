"""How many decode workers and inference threads an embedding job gets.

Measured policy, kept apart from the loop that uses it (:mod:`workbench.models.runner`)
so that benchmarks can ask for the same numbers.
"""

from __future__ import annotations

from workbench.models.base import default_num_threads

#: Below this many images a worker process costs more to start than it saves.
_MIN_JOBS_FOR_WORKERS = 64


def auto_num_workers(n_jobs: int, batch_size: int, device: str, cores: int | None = None) -> int:
    """Decode workers for a job.

    None for small jobs (a worker costs more to start than it saves).

    With a GPU, every core but one, up to 16: decoding is then the limit. On an H100
    with 16 cores the GPU ran the bundled model and ViT-B-32 at 16,000 to 20,000
    images/s on preloaded batches, while the decode pipeline gave 2,400 (8 workers)
    and 3,700 (15 workers) images/s at CLIP's preprocessing.

    On a CPU the model keeps every core busy, so a worker competes with it. On 2
    cores, decoding between batches in this process beat one worker process in most
    alternated runs, so workers start at 4 cores. They stay few (1, or 2 from 16
    cores): one worker decoded 775 images/s for the bundled model on 16 cores, where
    the model embedded about 300. Inference gets the cores that are left (see
    :func:`auto_torch_threads`).
    """
    cores = cores or default_num_threads()
    if n_jobs <= max(batch_size, _MIN_JOBS_FOR_WORKERS) or cores < 2:
        return 0
    if device.startswith("cuda"):
        return min(16, cores - 1)
    if cores < 4:
        return 0
    return 1 if cores < 16 else 2


def auto_torch_threads(n_workers: int, cores: int | None = None) -> int:
    """Intra-op threads for inference: the cores that the decode workers leave free.

    Oversubscribing hurts. The bundled model on a 16-core CPU reached 93% of its
    forward rate end to end with 2 workers and 14 threads, but 52% with 4 workers
    beside 16 threads (medians of 3 alternated runs).
    """
    cores = cores or default_num_threads()
    return max(1, cores - n_workers)
