"""The bench's memory sampler: the resident memory of a process tree, children included."""

import os
import subprocess
import sys
import time

from bench.children import tree_rss_mb

HOLD = 150   # MB held by the child


def test_tree_rss_counts_the_children_of_the_process():
    own = tree_rss_mb(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", f"import sys, time; b = bytearray({HOLD} * 2**20); "
                              "sys.stdout.write('ok\\n'); sys.stdout.flush(); time.sleep(30)"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ok\n"   # the memory is allocated (and touched: bytearray zeroes it)
        with_child = tree_rss_mb(os.getpid())
        alone = tree_rss_mb(child.pid)
    finally:
        child.kill()
        child.wait()
    assert alone >= HOLD
    assert with_child >= own + HOLD
    time.sleep(0.1)
    assert tree_rss_mb(child.pid) == 0   # a process gone counts for nothing
