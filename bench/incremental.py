"""Lower bound of an incremental refresh: the ``Warehouse`` copy + finalize + publish cycle on a built warehouse.

``python -m etl demo`` always rebuilds, so a real incremental run (one new Matomo day, 1 % of dossiers changed)
cannot be replayed from the demo command. This measures what every incremental run pays whatever it loads —
copying the published file, re-deriving the visit columns (``finalize``), checkpoint and atomic publish — plus
the upsert of 1 % of the dossiers (re-read from the warehouse itself), on a copy of the given warehouse.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from bench.children import write_answer


def measure(db: Path, work: Path) -> dict:
    """Times in seconds of each stage, on ``work`` (a copy of ``db``, removed afterwards)."""
    from etl.warehouse import RunRecord, Warehouse

    shutil.copyfile(db, work)
    stages = {}
    try:
        started = time.perf_counter()
        with Warehouse(work) as wh:                      # incremental: copies the published file
            stages["copy_s"] = time.perf_counter() - started
            mark = time.perf_counter()
            sample = wh.con.execute("SELECT * FROM dossiers USING SAMPLE 1 PERCENT (bernoulli, 7)").df()
            wh.upsert_dossiers(sample)
            stages["upsert_1pct_dossiers_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            wh.finalize()
            stages["finalize_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            wh.record_run(RunRecord(source="bench", scope="incremental"))
            wh.publish()
            stages["publish_s"] = time.perf_counter() - mark
        stages["total_s"] = time.perf_counter() - started
        stages["dossiers_upserted"] = len(sample)
    finally:
        work.unlink(missing_ok=True)
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in stages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.incremental")
    parser.add_argument("db", type=Path)
    parser.add_argument("answer", type=Path)
    args = parser.parse_args()
    write_answer(args.answer, measure(args.db, args.db.with_name(args.db.stem + "-incremental.duckdb")))


if __name__ == "__main__":
    main()
