"""Deterministic demo generator: RAW source payloads (Matomo 5.3 JSON, DS GraphQL v2 pages) for 36 months.

``python -m etl demo`` then builds the warehouse from these files through the same parsers as live
sources. Same seed, scale and end date → byte-identical files: every draw comes from numpy generators
spawned from the seed, JSON is written with orjson in explicit key order, and nothing depends on the
clock (except the default end date), hash seeds or dict/set iteration order.

Layout (docs/architecture.md)::

    <out>/manifest.json                 seed, scale, start, end, site, counts, purged / outage days
    <out>/demarches.csv                 demarche_number,departement,audience,slug,title
    <out>/matomo/live/YYYY-MM-DD.json   Live.getLastVisitsDetails of the day (absent when purged)
    <out>/matomo/VisitsSummary.get.json, Actions.getPageUrls.json, Actions.getEntryPageUrls.json,
                 Actions.getExitPageUrls.json   (period=day over the whole range, multi-day form)
    <out>/ds/<number>/page-NNNN.json    demarche.dossiers pages, 100 dossiers each

The output directory is written next to its final place and swapped in at the end, so a failed run leaves
the previous payloads untouched; an existing directory that is not a previous output is never removed.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import orjson
from tqdm import tqdm

from etl.demo import dossiers as ds_model
from etl.demo import ds_payloads, journeys, matomo_payloads, visitors
from etl.demo import model as m
from etl.demo.demarches import demarches
from etl.demo.period import Period


class DemoError(ValueError):
    """Invalid generator arguments or an output directory the generator must not replace."""


def demarches_csv(period: Period) -> bytes:
    """The démarches file read by ``etl.ds.parse.load_demarches``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["demarche_number", "departement", "audience", "slug", "title"])
    for d in demarches(period):
        writer.writerow([d.number, d.departement, d.audience, d.slug, d.title])
    return buffer.getvalue().encode("utf-8")


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir())
                                                      and not (out_dir / "manifest.json").is_file())):
        raise DemoError(f"{out_dir} existe et ne contient pas de données de démonstration : rien n'est écrasé")


def _swap_in(tmp: Path, out_dir: Path) -> None:
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


# Work shared with forked worker processes (set just before the pool starts; read-only in the workers).
_JOB: dict = {}
PARALLEL_FROM = 300_000          # visits + 10 × dossiers above which files are written by several processes


def _write(task: tuple[str, int]) -> tuple[str, int, int, int]:
    """Write the files of one task: ('live', day index) or ('ds', démarche index)."""
    kind, index = task
    if kind == "live":
        visits, actions = matomo_payloads.write_live_day(_JOB["tmp"] / "matomo", _JOB["matomo"], index)
        return kind, index, visits, actions
    rows = _JOB["by_demarche"][index]
    pages = ds_payloads.write_demarche(_JOB["tmp"] / "ds", _JOB["period"], _JOB["dossiers"], index, rows)
    return kind, index, pages, len(rows)


def _run(tasks: list[tuple[str, int]], workers: int, bar) -> list[tuple[str, int, int, int]]:
    """Results of ``_write`` over ``tasks`` (in task order), in ``workers`` forked processes if > 1."""
    if workers <= 1:
        results = []
        for task in tasks:
            results.append(_write(task))
            bar.update(1)
        return results
    results = {}
    with get_context("fork").Pool(workers) as pool:
        for result in pool.imap_unordered(_write, tasks, chunksize=8):
            results[result[:2]] = result
            bar.update(1)
    return [results[task] for task in tasks]


def generate(out_dir: Path, seed: int = 2018, scale: float = 1.0, end: date | None = None,
             progress: bool = True, *, workers: int | None = None) -> dict:
    """Write the demo payloads under ``out_dir`` and return the manifest (also in ``manifest.json``).

    ``scale`` multiplies the volumes (1 ≈ 50,000 visits and 10,000 dossiers); ``end`` is the last day of
    the 36 months covered (default: today). Big volumes are written by ``workers`` processes (default: up
    to 4, one per CPU); the files are the same whatever the number of workers.
    """
    if not scale > 0:
        raise DemoError(f"l'échelle doit être positive : {scale}")
    out_dir = Path(out_dir)
    _check_target(out_dir)
    period = Period(end or date.today())
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "matomo" / "live").mkdir(parents=True)
    (tmp / "ds").mkdir()
    try:
        with tqdm(total=4 + period.n_days + len(demarches(period)), desc="Démo (fichiers sources)",
                  unit=" étape", disable=not progress) as bar:
            trips = journeys.simulate(streams[0], period, max(1, round(m.VISITS_PER_SCALE * scale)))
            bar.update(1)
            matomo = matomo_payloads.prepare(streams[2], period, trips, visitors.draw(streams[1], trips))
            bar.update(1)
            dossiers = ds_model.simulate(streams[3], period, trips)
            bar.update(1)
            (tmp / "demarches.csv").write_bytes(demarches_csv(period))
            matomo_payloads.write_reports(tmp / "matomo", matomo)
            bar.update(1)
            _JOB.update(tmp=tmp, period=period, matomo=matomo, dossiers=dossiers,
                        by_demarche=ds_model.by_demarche(period, dossiers))
            tasks = [("live", d) for d in range(period.n_days)] + \
                [("ds", k) for k in range(len(demarches(period)))]
            if workers is None:
                big = trips.n_visits + 10 * len(dossiers) >= PARALLEL_FROM
                workers = min(os.cpu_count() or 1, 4) if big else 1
            results = _run(tasks, workers, bar)
        live = [r for r in results if r[0] == "live"]
        pages = [r for r in results if r[0] == "ds"]
        manifest = {
            "seed": seed, "scale": scale, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "site_id": m.SITE_ID, "site_url": m.SITE_URL,
            "visits": sum(r[2] for r in live), "actions": sum(r[3] for r in live),   # in the Live files
            "visits_reported": int(matomo.tracked[trips.day].sum()),             # VisitsSummary (purged days too)
            **matomo_payloads.special_days(matomo),
            "demarches": len(pages), "dossiers": len(dossiers), "ds_pages": sum(r[2] for r in pages),
            "states": dict(zip(ds_model.STATES, np.bincount(dossiers.state, minlength=5).tolist(), strict=True)),
        }
        (tmp / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        _swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _JOB.clear()
    return manifest
