"""Command line of the ETL: ``python -m etl <command>``.

Every command builds into a copy of the warehouse and publishes it atomically at the end; on failure the
published warehouse is left serving, a failed run is recorded, and the command exits non-zero with one
clear line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path

from etl.faults import checkpoint
from etl.warehouse import RunRecord, Warehouse, record_failure

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "wif.duckdb"
DEFAULT_RAW = Path(__file__).resolve().parent.parent / "data" / "raw" / "demo"
log = logging.getLogger("etl")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"date attendue au format AAAA-MM-JJ : {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=None,
                        help="fichier DuckDB publié (défaut : $WIF_DB ou data/wif.duckdb)")
    common.add_argument("--quiet", action="store_true", help="sans barre de progression")
    parser = argparse.ArgumentParser(prog="python -m etl", description="Alimentation de l'entrepôt WIF stats.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", parents=[common], help="construit l'entrepôt de démonstration")
    demo.add_argument("--scale", type=float, default=1.0, help="multiplicateur des volumes (1 ≈ 50 000 visites)")
    demo.add_argument("--seed", type=int, default=2018, help="graine du générateur")
    demo.add_argument("--end", type=_iso_date, default=None, help="dernier jour des données (défaut : aujourd'hui)")
    demo.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="dossier des fichiers sources générés")

    sub.add_parser("matomo", parents=[common], help="audience depuis Matomo (MATOMO_URL, MATOMO_SITE_ID, MATOMO_TOKEN)")
    sub.add_parser("ds", parents=[common], help="dossiers depuis Démarches Simplifiées (DS_TOKEN, DS_DEMARCHES_FILE)")
    imp = sub.add_parser("import", parents=[common], help="importe des exports DS (CSV ou XLSX)")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--demarche", type=int, default=None, help="numéro de la démarche exportée")
    sub.add_parser("all", parents=[common], help="Matomo puis DS, publiés ensemble")

    report = sub.add_parser("report", parents=[common], help="écrit le rapport mensuel (XLSX et CSV)")
    report.add_argument("--month", required=True, help="mois AAAA-MM")
    report.add_argument("--departement", default=None, help="code du département (défaut : tous)")
    report.add_argument("--out", type=Path, required=True, help="dossier de sortie")
    return parser


# ---------------------------------------------------------------------------- commands
def cmd_demo(args, wh_path: Path) -> dict:
    from etl.demo.generator import generate
    from etl.ds.parse import load_demarches
    from etl.ds.sync import load_ds_files
    from etl.matomo.sync import load_matomo_files

    progress = not args.quiet
    manifest = generate(args.raw, seed=args.seed, scale=args.scale, end=args.end, progress=progress)
    checkpoint("extract")
    run = RunRecord(source="demo", scope=f"seed={args.seed} scale={args.scale}")
    with Warehouse(wh_path, incremental=False) as wh:
        demarches = load_demarches(args.raw / "demarches.csv")
        wh.set_demarches(_demarches_frame(demarches))
        stats = {
            "matomo": load_matomo_files(wh, args.raw / "matomo", int(manifest["site_id"]), progress=progress),
            "ds": load_ds_files(wh, args.raw / "ds", demarches, progress=progress),
        }
        wh.set_meta(is_demo="true", demo_seed=args.seed, demo_scale=args.scale, demo_end=manifest["end"])
        _finish(wh, run, watermark=manifest["end"])
    return stats


def step_matomo(wh: Warehouse, args) -> tuple[dict, RunRecord]:
    """Pull the Matomo audience into ``wh``."""
    from etl.matomo.client import MatomoClient
    from etl.matomo.sync import MatomoConfig, sync_matomo

    config = MatomoConfig.from_env()
    run = RunRecord(source="matomo", scope=str(config.site_id))
    client = MatomoClient(config.url, config.token, config.site_id)
    checkpoint("extract")
    stats = sync_matomo(wh, client, start=config.start, end=date.today(), progress=not args.quiet)
    run.watermark = stats.get("watermark")
    return stats, run


def step_ds(wh: Warehouse, args) -> tuple[dict, RunRecord]:
    """Pull the dossiers of every configured démarche into ``wh``."""
    from etl.ds.client import DSClient
    from etl.ds.parse import load_demarches
    from etl.ds.sync import DSConfig, sync_ds

    config = DSConfig.from_env()
    run = RunRecord(source="ds", scope="all")
    demarches = load_demarches(config.demarches_file)
    wh.set_demarches(_demarches_frame(demarches))
    checkpoint("extract")
    stats = sync_ds(wh, DSClient(config.api_url, config.token), demarches, progress=not args.quiet)
    run.watermark = stats.get("watermark")
    return stats, run


def step_import(wh: Warehouse, args) -> tuple[dict, RunRecord]:
    """Load DS export files into ``wh``."""
    from etl.ds.parse import load_demarches
    from etl.ds.sync import DSConfig, import_exports

    run = RunRecord(source="import", scope=",".join(p.name for p in args.files))
    demarches = load_demarches(DSConfig.demarches_file_from_env())
    wh.set_demarches(_demarches_frame(demarches))
    return import_exports(wh, args.files, demarches, demarche_number=args.demarche,
                          progress=not args.quiet), run


class StepFailed(Exception):
    """A source step failed; ``source`` names it so the failed run is recorded against that source."""

    def __init__(self, source: str, cause: Exception):
        super().__init__(str(cause))
        self.source = source


def _build(wh_path: Path, args, steps) -> dict:
    """Run ``steps`` into one copy of the warehouse and publish them together."""
    results, runs = {}, []
    with Warehouse(wh_path) as wh:
        for step in steps:
            try:
                stats, run = step(wh, args)
            except Exception as exc:
                raise StepFailed(step.__name__.removeprefix("step_"), exc) from exc
            results[run.source] = stats
            runs.append(run)
        wh.finalize()
        counts = wh.row_counts()
        for run in runs:
            run.rows = counts
            wh.record_run(run)
        wh.publish()
    return results


def cmd_matomo(args, wh_path: Path) -> dict:
    return _build(wh_path, args, [step_matomo])


def cmd_ds(args, wh_path: Path) -> dict:
    return _build(wh_path, args, [step_ds])


def cmd_import(args, wh_path: Path) -> dict:
    return _build(wh_path, args, [step_import])


def cmd_all(args, wh_path: Path) -> dict:
    return _build(wh_path, args, [step_matomo, step_ds])


def cmd_report(args, wh_path: Path) -> dict:
    from components.report_files import write_report  # a reader of the published warehouse, not ETL
    from metrics import db

    db.use_database(wh_path)
    paths = write_report(args.month, args.departement, args.out)
    return {"files": [str(p) for p in paths]}


COMMANDS = {"demo": cmd_demo, "matomo": cmd_matomo, "ds": cmd_ds, "import": cmd_import, "all": cmd_all,
            "report": cmd_report}
WRITES = {"demo", "matomo", "ds", "import", "all"}


def _demarches_frame(demarches: dict):
    import pandas as pd

    return pd.DataFrame([
        {"demarche_number": d.number, "departement": d.departement, "audience": d.audience,
         "slug": d.slug, "title": d.title}
        for d in demarches.values()
    ])


def _finish(wh: Warehouse, run: RunRecord, watermark: str | None = None) -> None:
    wh.finalize()
    run.watermark = watermark
    run.rows = wh.row_counts()
    wh.record_run(run)
    wh.publish()


def _summary(command: str, wh_path: Path, stats: dict, seconds: float) -> str:
    """Run summary: duration, warehouse size and rows per table as published, then the sources' own counts."""
    lines = [f"etl {command} : terminé en {seconds:.1f} s"]
    if command in WRITES and wh_path.exists():
        import duckdb

        from etl.warehouse import TABLES

        con = duckdb.connect(str(wh_path), read_only=True)
        try:
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in sorted(TABLES)}
        finally:
            con.close()
        lines.append(f"entrepôt : {wh_path} ({wh_path.stat().st_size / 1e6:.1f} Mo)")
        lines += [f"  {table:<24} {n:>12,}".replace(",", " ") for table, n in counts.items()]
    lines += [f"{key} : {value}" for key, value in stats.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(levelname)s %(message)s")
    wh_path = Path(args.db or os.environ.get("WIF_DB") or DEFAULT_DB)
    started = datetime.now()
    t0 = time.perf_counter()
    try:
        stats = COMMANDS[args.command](args, wh_path)
    except KeyboardInterrupt:
        print("erreur : interrompu", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line, never a traceback with secrets in locals
        message = " ".join(str(exc).split()) or exc.__class__.__name__
        if args.command in WRITES and args.command != "demo":
            source = exc.source if isinstance(exc, StepFailed) else args.command
            record_failure(wh_path, source=source, started_at=started, error=message)
        print(f"erreur : {message}", file=sys.stderr)
        return 1
    print(_summary(args.command, wh_path, stats, time.perf_counter() - t0))
    return 0
