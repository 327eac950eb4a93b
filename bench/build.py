"""Demo generation and full ETL build, each timed in its own process.

``python -m bench.build generate RAW --scale S --seed N --end D`` writes the raw payloads (the generator of
``python -m etl demo``); ``python -m bench.build load RAW DB ANSWER`` builds the warehouse from them exactly as
``etl.cli.cmd_demo`` does after generating (same loaders, finalize, publish), so the two costs are separated.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import date
from pathlib import Path

import duckdb

from bench.children import run_child, write_answer

COUNTED = ("visits", "actions", "dossiers", "matomo_daily", "matomo_pages_daily")


def _generate(raw: Path, scale: float, seed: int, end: date) -> dict:
    from etl.demo.generator import generate

    return generate(raw, seed=seed, scale=scale, end=end, progress=False)


def _load(raw: Path, db: Path) -> tuple[dict, dict]:
    """The load half of ``cmd_demo``: démarches, Matomo files, DS pages, meta, finalize, publish.

    Returns the manifest and the wall seconds of each phase (Matomo, DS, finalize + publish)."""
    from etl.cli import _demarches_frame, _finish
    from etl.ds.parse import load_demarches
    from etl.ds.sync import load_ds_files
    from etl.matomo.sync import load_matomo_files
    from etl.warehouse import RunRecord, Warehouse

    manifest = json.loads((raw / "manifest.json").read_text(encoding="utf-8"))
    run = RunRecord(source="demo", scope=f"seed={manifest['seed']} scale={manifest['scale']}")
    marks = [time.perf_counter()]   # start, then the end of each phase
    with Warehouse(db, incremental=False) as wh:
        demarches = load_demarches(raw / "demarches.csv")
        wh.set_demarches(_demarches_frame(demarches))
        load_matomo_files(wh, raw / "matomo", int(manifest["site_id"]), progress=False)
        marks.append(time.perf_counter())
        load_ds_files(wh, raw / "ds", demarches, progress=False)
        marks.append(time.perf_counter())
        wh.set_meta(is_demo="true", demo_seed=manifest["seed"], demo_scale=manifest["scale"],
                    demo_end=manifest["end"])
        _finish(wh, run, watermark=manifest["end"])
        marks.append(time.perf_counter())
    spans = zip(("matomo_s", "ds_s", "finalize_s"), marks[:-1], marks[1:], strict=True)
    return manifest, {name: round(end - start, 1) for name, start, end in spans}


def row_counts(db: Path) -> dict[str, int]:
    """Rows of the main tables of a published warehouse."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in COUNTED}  # fixed names
    finally:
        con.close()


def _dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def _measured(record: Path, reuse: bool, step: list[str], answer: Path | None = None) -> dict:
    """``run_child(step)``'s measurement, recorded in ``record``; with ``reuse``, an earlier record is read back
    instead of running the step again (its output must still be there). ``answer``: the file the step writes
    its own figures to (kept under ``answer`` in the record)."""
    if reuse and record.exists():
        return json.loads(record.read_text(encoding="utf-8"))
    measured = run_child(step + ([str(answer)] if answer else []), answer=answer)
    record.write_text(json.dumps(measured), encoding="utf-8")
    return measured


def measure_build(out: Path, scale: float, seed: int, end: date, reuse: bool = False, keep_raw: bool = False) -> dict:
    """Generate then build scale ``scale`` under ``out``; timings, peak RSS, sizes and rows/s of both steps.

    ``reuse``: keep the raw payloads and the warehouse of an earlier run of the same scale (with their recorded
    measurements) instead of generating / building again. The raw payloads are deleted after the build unless
    ``keep_raw``.
    """
    tag = f"{scale:g}"
    raw, db = out / f"raw-{tag}", out / f"wif-{tag}.duckdb"
    manifest = raw / "manifest.json"
    gen_record, build_record = out / f"raw-{tag}.generate.json", out / f"wif-{tag}.build.json"
    built = reuse and db.exists() and build_record.exists() and gen_record.exists()
    same = manifest.exists() and {k: json.loads(manifest.read_text(encoding="utf-8")).get(k) for k in
                                  ("seed", "scale", "end")} == {"seed": seed, "scale": scale, "end": end.isoformat()}
    gen = _measured(gen_record, built or (reuse and same), ["bench.build", "generate", str(raw), "--scale", tag,
                                                             "--seed", str(seed), "--end", end.isoformat()])
    if raw.exists() and "raw_mb" not in gen:
        gen["raw_mb"] = _dir_mb(raw)
        gen_record.write_text(json.dumps(gen), encoding="utf-8")
    build = _measured(build_record, built, ["bench.build", "load", str(raw), str(db)], out / f"wif-{tag}.phases.json")
    if not keep_raw:
        shutil.rmtree(raw, ignore_errors=True)
    rows = row_counts(db)
    total = sum(rows.values())
    return {
        "scale": scale, "db": str(db), "rows": rows, "raw_mb": gen.get("raw_mb"),
        "db_mb": round(db.stat().st_size / 1e6, 1),
        "generate_s": gen["seconds"], "generate_cpu_s": gen["cpu_s"], "generate_rss_mb": gen["peak_rss_mb"],
        "generate_tree_rss_mb": gen.get("peak_tree_rss_mb"),
        "generate_load_avg": gen["load_avg"], "generate_rows_per_s": round(total / gen["seconds"]),
        "build_s": build["seconds"], "build_cpu_s": build["cpu_s"], "build_rss_mb": build["peak_rss_mb"],
        "build_phases": build.get("answer", {}).get("phases"),
        "build_tree_rss_mb": build.get("peak_tree_rss_mb"),
        "load_avg": build["load_avg"],
        "build_rows_per_s": round(total / build["seconds"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.build")
    sub = parser.add_subparsers(dest="step", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("raw", type=Path)
    gen.add_argument("--scale", type=float, required=True)
    gen.add_argument("--seed", type=int, required=True)
    gen.add_argument("--end", type=date.fromisoformat, required=True)
    load = sub.add_parser("load")
    load.add_argument("raw", type=Path)
    load.add_argument("db", type=Path)
    load.add_argument("answer", type=Path, nargs="?")
    args = parser.parse_args()
    if args.step == "generate":
        _generate(args.raw, args.scale, args.seed, args.end)
    else:
        manifest, phases = _load(args.raw, args.db)
        if args.answer:
            write_answer(args.answer, {"manifest": manifest, "phases": phases})


if __name__ == "__main__":
    main()
