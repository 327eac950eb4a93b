"""Parse source files in worker processes while the main process loads the warehouse.

The demo build reads gigabytes of JSON; decoding and normalising it is CPU-bound Python, so the loaders
spread it over processes (``spawn``: no fork of a process holding an open DuckDB connection). Results come
back in input order, so loading stays deterministic, and at most ``2 × workers`` tasks are in flight, so
memory stays bounded however many files there are.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

PARALLEL_BYTES = 256 * 2**20   # below this much input, starting processes (~1 s each) costs more than it saves
MAX_WORKERS = 4


def auto_workers(paths: Iterable[Path]) -> int:
    """Worker processes worth starting for ``paths``: one per core (at most 4) above ``PARALLEL_BYTES``."""
    total = sum(p.stat().st_size for p in paths)
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS)) if total > PARALLEL_BYTES else 1


def ordered_map(fn: Callable, items: Iterable, workers: int, *args) -> Iterator:
    """``fn(item, *args)`` for each item, in order; in ``workers`` processes when ``workers`` > 1.

    ``fn`` must be a module-level function (it is pickled by name); an exception in a worker is raised here.
    """
    if workers <= 1:
        for item in items:
            yield fn(item, *args)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        queue = iter(items)
        pending = deque(pool.submit(fn, item, *args) for item in islice(queue, 2 * workers))
        while pending:
            result = pending.popleft().result()
            following = next(queue, None)
            if following is not None:
                pending.append(pool.submit(fn, following, *args))
            yield result
