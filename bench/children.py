"""Run a Python module in a child process and measure it: wall time, peak RSS (``os.wait4``), JSON answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def tree_rss_mb(root: int) -> float:
    """Resident memory of process ``root`` and all its descendants (worker pools included), in MB.

    The tree is walked down from ``root`` (``/proc/<pid>/task/<tid>/children``) and each RSS read from
    ``/proc/<pid>/statm``: a sample reads a few small files. Scanning every process of ``/proc`` instead cost
    ~7.5 ms of CPU per sample, 4 % of a core at a sample every 0.2 s, taken from the pages measured on two cores.
    """
    pages, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            for task in os.scandir(f"/proc/{pid}/task"):
                stack += [int(child) for child in Path(task.path, "children").read_text().split()]
        except (OSError, ValueError, IndexError):   # the process ended meanwhile
            continue
    return pages * PAGE_BYTES / 2**20


def run_child(args: list[str], env: dict | None = None, answer: Path | None = None) -> dict:
    """``python -m <args>`` from the repository root; returns ``{seconds, cpu_s, peak_rss_mb, peak_tree_rss_mb,
    load_avg, answer}``.

    ``peak_rss_mb`` is the largest ``ru_maxrss`` of the child or of one of its descendants (``wait4`` on that
    pid, so earlier children do not leak into it); ``peak_tree_rss_mb`` the peak of the whole process tree's
    summed RSS (worker pools included), sampled every 0.2 s. CPU seconds (user + system, descendants included)
    are reported beside wall time: on a shared machine they are the steadier figure; ``load_avg`` (1 min) at the
    end says how shared the machine was. ``answer``: a JSON file the child writes, read back when it exits. A
    failing child raises.
    """
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env={**os.environ, **(env or {})})
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"échec ({proc.returncode}) : python -m {' '.join(args)}")
    result = {"seconds": round(seconds, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
              "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "peak_tree_rss_mb": round(peak[0], 1),
              "load_avg": round(os.getloadavg()[0], 1)}
    if answer is not None:
        result["answer"] = json.loads(answer.read_text(encoding="utf-8"))
    return result


def write_answer(path: Path | str, payload: dict) -> None:
    """Write a child's JSON answer (used by the ``__main__`` of each bench step)."""
    Path(path).write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
