"""Named points of an ETL run where a test can freeze the process to kill it there.

Setting ``WIF_ETL_HOLD=<point>`` makes the run print ``etl-hold: <point>`` on stderr and sleep when it reaches
that point, so a test can SIGKILL it at a known stage (extract, load, before_publish) and check that the
published warehouse is intact. Unset (always, outside tests), a checkpoint costs one dictionary look-up.
"""

from __future__ import annotations

import os
import sys
import time

POINTS = ("extract", "load", "before_publish")


def checkpoint(point: str) -> None:
    """Hold here forever if the environment asks for ``point``."""
    if os.environ.get("WIF_ETL_HOLD") == point:
        print(f"etl-hold: {point}", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)
