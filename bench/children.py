"""Run a Python module in a child process and measure it: wall time, peak RSS (``os.wait4``), JSON answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(args: list[str], env: dict | None = None, answer: Path | None = None) -> dict:
    """``python -m <args>`` from the repository root; returns ``{seconds, cpu_s, peak_rss_mb, load_avg, answer}``.

    Peak RSS is the child's own ``ru_maxrss`` (from ``wait4`` on that pid, so earlier children do not leak into
    it). CPU seconds (user + system) are reported beside wall time: on a shared machine they are the steadier
    figure; ``load_avg`` (1 min) at the end says how shared the machine was. ``answer``: a JSON file the child
    writes, read back when it exits. A failing child raises.
    """
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"échec ({proc.returncode}) : python -m {' '.join(args)}")
    result = {"seconds": round(seconds, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
              "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "load_avg": round(os.getloadavg()[0], 1)}
    if answer is not None:
        result["answer"] = json.loads(answer.read_text(encoding="utf-8"))
    return result


def write_answer(path: Path | str, payload: dict) -> None:
    """Write a child's JSON answer (used by the ``__main__`` of each bench step)."""
    Path(path).write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
