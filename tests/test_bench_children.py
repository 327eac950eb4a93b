"""The bench's memory sampler: the resident memory of a process tree, descendants included."""

import os
import signal
import subprocess
import sys

from bench.children import tree_rss_mb

HOLD = 150   # MB held by the grandchild
GRANDCHILD = f"b = bytearray({HOLD} * 2**20); print('ok', flush=True); import time; time.sleep(60)"


def test_tree_rss_counts_the_descendants_of_the_process():
    """A parent of ~10 MB whose own child holds 150 MB (touched: bytearray zeroes it) weighs at least 150 MB."""
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time; "
                               f"subprocess.Popen([sys.executable, '-c', {GRANDCHILD!r}]); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert parent.stdout.readline() == "ok\n"     # printed by the grandchild once its memory is allocated
        assert tree_rss_mb(parent.pid) >= HOLD
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
    assert tree_rss_mb(parent.pid) == 0   # a process gone counts for nothing
