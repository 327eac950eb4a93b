"""Load DS dossiers into the warehouse: live GraphQL sync, export files, demo pages — one parser for all.

* :func:`sync_ds` pulls each démarche incrementally: ``updatedSince`` = the watermark of the démarche's last
  successful run (that run's start minus :data:`SAFETY_MARGIN`), cursor pagination to the end, upsert by
  (démarche, dossier number), then ``deletedDossiers`` since the same watermark are removed. Each démarche
  records its own ``etl_runs`` row (source 'ds', scope = démarche number) carrying the next watermark; the
  rows only become visible when the whole warehouse is published.
* :func:`import_exports` reads every file first (one bad file loads nothing), then upserts.
* :func:`load_ds_files` loads the demo generator's ``<ds_dir>/<démarche>/page-NNNN.json`` GraphQL answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pandas as pd
from tqdm import tqdm

from etl.ds.client import DEFAULT_API_URL, DSClient, DSError, get_field
from etl.ds.export import read_export
from etl.ds.parse import (
    PARIS,
    Demarche,
    DSFormatError,
    ParseStats,
    decode_dossier_page,
    deleted_numbers,
    latest_per_dossier,
    parse_dossiers,
    stats_of,
)
from etl.parallel import auto_workers, no_cycle_collection, ordered_map
from etl.warehouse import RunRecord, Warehouse

BATCH_NODES = 5000  # dossiers parsed at once: amortises the per-call cost of the DataFrame work
UPSERT_ROWS = 50_000  # demo build: dossiers upserted at once (one DELETE and one INSERT per démarche cost ~0.1 s)
SAFETY_MARGIN = timedelta(hours=1)  # clock skew and transactions still open on DS's side at watermark time
DEFAULT_DEMARCHES_FILE = Path(__file__).resolve().parents[2] / "config" / "demarches.csv"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DSConfig:
    """Live DS settings from the environment (``DS_API_URL``, ``DS_TOKEN``, ``DS_DEMARCHES_FILE``)."""

    api_url: str
    token: str = field(repr=False)
    demarches_file: Path

    @classmethod
    def from_env(cls, environ: dict | None = None) -> DSConfig:
        env = os.environ if environ is None else environ
        token = (env.get("DS_TOKEN") or "").strip()
        if not token:
            raise DSError("DS_TOKEN n'est pas défini : créer un jeton API dans le profil administrateur DS "
                          "(lecture seule suffit) et l'exporter dans DS_TOKEN")
        return cls(api_url=(env.get("DS_API_URL") or "").strip() or DEFAULT_API_URL, token=token,
                   demarches_file=cls.demarches_file_from_env(env))

    @staticmethod
    def demarches_file_from_env(environ: dict | None = None) -> Path:
        """``DS_DEMARCHES_FILE``, else ``config/demarches.csv``; an error says how to create it."""
        env = os.environ if environ is None else environ
        value = (env.get("DS_DEMARCHES_FILE") or "").strip()
        path = Path(value) if value else DEFAULT_DEMARCHES_FILE
        if not path.is_file():
            origin = "DS_DEMARCHES_FILE" if value else "fichier des démarches par défaut"
            raise DSError(f"{origin} introuvable : {path} (copier config/demarches.example.csv et le compléter)")
        return path


def _stats() -> dict:
    return {"demarches": 0, "pages": 0, "dossiers": 0, "deleted": 0}


def _finish(stats: dict, parse: ParseStats) -> dict:
    counters = parse.as_dict()
    counters.pop("dossiers")
    stats.update(counters)
    return stats


def _upsert(wh: Warehouse, frames: list[pd.DataFrame], parse: ParseStats) -> int:
    """Upsert the rows of ``frames`` (latest version of each dossier); add their counters to ``parse``."""
    frames = [f for f in frames if not f.empty]
    for frame in frames:
        parse.add(stats_of(frame))
    if not frames:
        return 0
    return wh.upsert_dossiers(latest_per_dossier(pd.concat(frames, ignore_index=True)))


# ---------------------------------------------------------------------------- live API
def sync_ds(wh: Warehouse, client: DSClient, demarches: dict[int, Demarche], progress: bool = True,
            *, now: datetime | None = None) -> dict:
    """Pull every démarche incrementally into ``wh``; returns counts and the new watermark (ISO 8601)."""
    stats, parse = _stats(), ParseStats()
    started = now or datetime.now(PARIS)
    watermark = (started - SAFETY_MARGIN).isoformat(timespec="seconds")
    for number, demarche in sorted(demarches.items()):
        since = wh.last_watermark("ds", str(number))
        log.info("DS démarche %s : dossiers modifiés depuis %s", number, since or "l'origine")
        selection = client.champ_selection(number)
        with tqdm(desc=f"DS démarche {number}", unit=" page", disable=not progress, leave=False) as bar:
            pages = client.dossier_pages(number, since=since, selection=selection)
            frames = _parse_pages(_counted(pages, bar, stats), demarche)
        upserted = _upsert(wh, frames, parse)
        deleted = wh.delete_dossiers(number, client.deleted_dossiers(number, since=since))
        stats["demarches"] += 1
        stats["dossiers"] += upserted
        stats["deleted"] += deleted
        wh.record_run(RunRecord(source="ds", scope=str(number), started_at=started.replace(tzinfo=None),
                                watermark=watermark, rows={"dossiers": upserted, "deleted": deleted}))
    stats["watermark"] = watermark
    return _finish(stats, parse)


def _read_pages(files: list[Path], deleted: list[int]) -> Iterator[list]:
    """Nodes of each saved GraphQL answer; deleted dossier numbers (if the page has some) go to ``deleted``."""
    for path in files:
        body = path.read_bytes()
        decoded = decode_dossier_page(body)
        if decoded is not None:
            nodes, gone = decoded
        else:   # not the expected shape: plain JSON, to say what is missing
            where = f"{path.parent.name}/{path.name}"
            demarche_data = get_field(orjson.loads(body), ("data", "demarche"), where)
            nodes = get_field(demarche_data, ("dossiers", "nodes"), where)
            gone = deleted_numbers(demarche_data.get("deletedDossiers"))
        yield nodes
        deleted += gone


def _counted(pages: Iterable[list[dict]], bar: tqdm, stats: dict) -> Iterator[list[dict]]:
    """The pages, counted in ``stats['pages']`` and on the progress bar."""
    for nodes in pages:
        yield nodes
        stats["pages"] += 1
        bar.update(1)


def _parse_pages(pages: Iterable[list[dict]], demarche: Demarche) -> list[pd.DataFrame]:
    """parse_dossiers over the pages, by batches of about BATCH_NODES dossiers (pages are only 100)."""
    frames, batch = [], []
    for nodes in pages:
        batch.extend(nodes)
        if len(batch) >= BATCH_NODES:
            frames.append(_parse(batch, demarche))
            batch = []
    if batch:
        frames.append(_parse(batch, demarche))
    return frames


def _parse(nodes: list[dict], demarche: Demarche) -> pd.DataFrame:
    try:
        return parse_dossiers(nodes, demarche)
    except DSFormatError as exc:
        raise DSFormatError(f"démarche {demarche.number}, {exc}") from None


# ---------------------------------------------------------------------------- export files
def import_exports(wh: Warehouse, paths: list[Path], demarches: dict[int, Demarche],
                   demarche_number: int | None = None, progress: bool = True) -> dict:
    """Load DS export files (CSV/XLSX); every file is read and checked before anything is loaded."""
    frames = [read_export(Path(p), demarches, demarche_number)
              for p in tqdm(paths, desc="exports DS", unit=" fichier", disable=not progress, leave=False)]
    stats, parse = _stats(), ParseStats()
    stats.pop("pages")
    stats["files"] = len(frames)
    stats["demarches"] = len({int(n) for f in frames for n in f["demarche_number"].unique()})
    stats["dossiers"] = _upsert(wh, frames, parse)
    stats.pop("deleted")
    return _finish(stats, parse)


# ---------------------------------------------------------------------------- demo pages
def _parse_folder(job: tuple[Path, Demarche]) -> tuple[list[pd.DataFrame], list[int], int]:
    """One démarche's saved pages → (frames, deleted dossier numbers, pages read); runs in a worker process."""
    folder, demarche = job
    files = sorted(folder.glob("page-*.json"))
    deleted: list[int] = []
    with no_cycle_collection():
        return _parse_pages(_read_pages(files, deleted), demarche), deleted, len(files)


def load_ds_files(wh: Warehouse, ds_dir: Path, demarches: dict[int, Demarche], progress: bool = True,
                  workers: int | None = None) -> dict:
    """Load ``<ds_dir>/<démarche>/page-NNNN.json`` GraphQL answers (the demo build) through parse_dossiers.

    Démarches are parsed in ``workers`` processes (default: one per core when the pages weigh more than
    256 MB) and upserted in démarche order.
    """
    ds_dir = Path(ds_dir)
    folders = sorted((p for p in ds_dir.iterdir() if p.is_dir()), key=lambda p: p.name) if ds_dir.is_dir() else []
    if not folders:
        raise DSFormatError(f"aucune page DS sous {ds_dir}")
    for folder in folders:
        if not folder.name.isdigit() or int(folder.name) not in demarches:
            raise DSFormatError(f"{folder} : démarche absente du fichier des démarches")
    stats, parse = _stats(), ParseStats()
    jobs = [(folder, demarches[int(folder.name)]) for folder in folders]
    workers = auto_workers(p for f in folders for p in f.glob("page-*.json")) if workers is None else workers
    pending: list[pd.DataFrame] = []   # parsed, not upserted yet: démarches are upserted UPSERT_ROWS at a time
    with ordered_map(_parse_folder, jobs, workers) as parsed, \
            tqdm(total=len(jobs), desc="DS (démarches)", unit=" démarche", disable=not progress) as bar:
        for (_, demarche), (frames, deleted, pages) in zip(jobs, parsed, strict=True):
            pending += frames
            if deleted or sum(len(f) for f in pending) >= UPSERT_ROWS:   # deletions apply to upserted rows
                stats["dossiers"] += _upsert(wh, pending, parse)
                pending = []
            stats["deleted"] += wh.delete_dossiers(demarche.number, deleted)
            stats["demarches"] += 1
            stats["pages"] += pages
            bar.update(1)
    stats["dossiers"] += _upsert(wh, pending, parse)
    return _finish(stats, parse)
