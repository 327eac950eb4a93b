"""An incremental refresh replayed on a copy of a built warehouse: one Matomo day and 1 % of the dossiers.

``python -m etl demo`` always rebuilds, so a real incremental run cannot be replayed from the demo command. This
runs the load half of one on a copy of the given warehouse, with rows re-read from the warehouse itself: copying
the published file (``Warehouse`` in incremental mode), replacing the last Matomo day (its visits, actions,
daily totals and page reports, as ``etl.matomo.sync`` does for each synced day), upserting 1 % of the dossiers
(as a DS ``updatedSince`` sync does), re-deriving the visit columns (``finalize``), checkpoint and atomic
publish. Parsing the source JSON of one day and of the changed dossiers (seconds at most) is not included.
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
            site, day = wh.con.execute("SELECT site_id, max(visit_date) FROM visits GROUP BY 1").fetchall()[0]
            frames = {name: wh.con.execute(sql, {"s": site, "d": day}).df() for name, sql in (
                ("visits", "SELECT * FROM visits WHERE site_id = $s AND visit_date = $d"),
                ("actions", "SELECT a.* FROM actions a JOIN visits v USING (visit_key) "
                            "WHERE v.site_id = $s AND v.visit_date = $d"),
                ("daily", "SELECT * FROM matomo_daily WHERE site_id = $s AND day = $d"),
                ("pages", "SELECT * FROM matomo_pages_daily WHERE site_id = $s AND day = $d"))}
            wh.replace_matomo_days(site, [day], **frames)
            stages["matomo_day_s"] = time.perf_counter() - mark
            stages["matomo_day_visits"] = len(frames["visits"])
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
