"""Parse source files in worker processes while the main process loads the warehouse.

The demo build reads gigabytes of JSON; decoding and normalising it is CPU-bound Python, so the loaders
spread it over processes (``spawn``: no fork of a process holding an open DuckDB connection). Results come
back in input order, so loading stays deterministic, and at most ``2 × workers`` tasks are in flight, so
memory stays bounded however many files there are.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

PARALLEL_BYTES = 256 * 2**20   # below this much input, starting processes (~1 s each) costs more than it saves
MAX_WORKERS = 4


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while parsing: decoding makes millions of objects that hold no reference
    cycle (reference counting frees them), and the collector's passes over them cost ~12 % of a parse."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def auto_workers(paths: Iterable[Path]) -> int:
    """Worker processes worth starting for ``paths``: one more than the cores (at most 4) above
    ``PARALLEL_BYTES``. Workers read their own files: with one per core, a core idles while its worker waits on
    the disk (5–30 % I/O wait measured on the scale-100 demo build, 20 GB of Matomo and 5 GB of DS files read
    cold); the extra worker fills those gaps."""
    total = sum(p.stat().st_size for p in paths)
    return max(1, min((os.cpu_count() or 1) + 1, MAX_WORKERS)) if total > PARALLEL_BYTES else 1


class ordered_map:  # noqa: N801 (used like the builtin map)
    """``fn(item, *args)`` for each item, in order; in ``workers`` processes when ``workers`` > 1.

    The first tasks are submitted when the map is made, so workers run while the caller does other work before
    it asks for the first result. Use it as a context manager: leaving the block stops the workers.
    ``fn`` must be a module-level function (it is pickled by name); an exception in a worker is raised here.
    """

    def __init__(self, fn: Callable, items: Iterable, workers: int, *args):
        self.fn, self.args, self.queue = fn, args, iter(items)
        self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn")) if workers > 1 else None
        self.pending = deque(self._submit(item) for item in islice(self.queue, 2 * workers)) if self.pool else None

    def _submit(self, item):
        return self.pool.submit(self.fn, item, *self.args)

    def __iter__(self) -> Iterator:
        if self.pool is None:
            for item in self.queue:
                yield self.fn(item, *self.args)
            return
        while self.pending:
            result = self.pending.popleft().result()
            following = next(self.queue, None)
            if following is not None:
                self.pending.append(self._submit(following))
            yield result

    def __enter__(self) -> ordered_map:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
