"""Load Matomo audience into the warehouse: live from the API (``sync_matomo``) or from demo files
(``load_matomo_files``), both through the parsers of ``etl.matomo.parse``.

Live sync, per site:

* the watermark is the last complete day (``etl_runs.watermark`` of the last successful run); a run starts
  ``overlap_days`` (2) days before the next one — it re-pulls the watermark day and the day before, which
  Matomo may have re-archived or completed with late data — and ends today (today is loaded but is never
  the watermark, so it is pulled again next time). Without a watermark it starts at ``MATOMO_START``;
* days go by chunks of ``chunk_days``: one ``API.getBulkRequest`` brings the daily summary, the three page
  reports and the first page of Live visits of every day of the chunk; further Live pages are asked one by
  one until a short page;
* each chunk replaces its days wholesale (visits and their actions, daily totals, page reports), so running
  twice changes nothing and a crashed run (nothing published) resumes from the same watermark.

A day is ``available`` (raw visits loaded), ``purged`` (the summary counts visits, the raw log has none:
Matomo deleted old raw data) or ``empty``; the gap is ``nb_visits`` − raw visits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import orjson
import pandas as pd
from tqdm import tqdm

from etl.matomo.client import PAGE_REPORTS, MatomoClient, MatomoConfigError
from etl.matomo.parse import as_live, decode_live, parse_page_report, parse_visits, parse_visits_summary
from etl.parallel import auto_workers, no_cycle_collection, ordered_map

log = logging.getLogger("etl.matomo")
SOURCE = "matomo"
LOAD_BATCH_ROWS = 1_000_000      # demo files: visit + action rows buffered before an insert
BATCH_BYTES = 96 * 2**20          # demo files: JSON parsed in one go…
BATCH_DAYS = 62                   # …or this many days


@dataclass(frozen=True)
class MatomoConfig:
    """Matomo settings from the environment; the token never shows in a repr."""

    url: str
    site_id: int
    token: str = field(repr=False)
    start: date | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MatomoConfig:
        env = os.environ if environ is None else environ
        names = ("MATOMO_URL", "MATOMO_SITE_ID", "MATOMO_TOKEN")
        missing = [n for n in names if not (env.get(n) or "").strip()]
        if missing:
            raise MatomoConfigError(
                "variable(s) d'environnement manquante(s) : " + ", ".join(missing)
                + " (MATOMO_URL=https://matomo.exemple.fr, MATOMO_SITE_ID=<numéro du site>, MATOMO_TOKEN=<jeton>)")
        site = env["MATOMO_SITE_ID"].strip()
        if not site.isdigit() or int(site) <= 0:
            raise MatomoConfigError(f"MATOMO_SITE_ID doit être un numéro de site positif (reçu {site!r})")
        start = (env.get("MATOMO_START") or "").strip()
        try:
            start_day = date.fromisoformat(start) if start else None
        except ValueError:
            raise MatomoConfigError(f"MATOMO_START doit être une date AAAA-MM-JJ (reçu {start!r})") from None
        return cls(url=env["MATOMO_URL"].strip(), site_id=int(site), token=env["MATOMO_TOKEN"].strip(),
                   start=start_day)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class _Stats:
    """Counters of one load, reported in the run summary."""

    def __init__(self, site_id: int):
        self.site_id = site_id
        self.days: list[date] = []
        self.visits = self.actions = 0
        self.status = {"available": 0, "purged": 0, "empty": 0}
        self.gap = 0
        self.visit_date_fixed = 0

    def day(self, d: date, nb_visits: int, raw_visits: int, raw_actions: int) -> None:
        self.days.append(d)
        self.visits += raw_visits
        self.actions += raw_actions
        self.gap += nb_visits - raw_visits
        state = "available" if raw_visits else "purged" if nb_visits else "empty"
        self.status[state] += 1

    def as_dict(self, **extra) -> dict:
        out = {
            "site_id": self.site_id,
            "days": len(self.days),
            "first_day": min(self.days).isoformat() if self.days else None,
            "last_day": max(self.days).isoformat() if self.days else None,
            "visits": self.visits,
            "actions": self.actions,
            "days_available": self.status["available"],
            "days_purged": self.status["purged"],
            "days_empty": self.status["empty"],
            "gap": self.gap,
        }
        if self.visit_date_fixed:
            out["visit_date_fixed"] = self.visit_date_fixed
        out.update(extra)
        return out


class _Parsed:
    """Visits and actions of several days parsed in one go, with per-day counts."""

    def __init__(self, day_records: list[tuple[date, list]], site_id: int):
        records, self.pinned = [], 0
        for day, visits in day_records:
            text = day.isoformat()
            for visit in as_live(visits):
                # the day asked for is the visit's day: replacing that day later removes it for sure
                self.pinned += visit.serverDate != text
                visit.serverDate = text
                records.append(visit)
        self.visits, self.actions = parse_visits(records, site_id, 0)
        day_of_visit = self.visits["visit_date"].to_numpy()
        self.visits_per_day = pd.Series(day_of_visit).value_counts().to_dict()
        self.actions_per_day = pd.Series(day_of_visit[self.actions["visit_key"].to_numpy()]).value_counts().to_dict()

    def renumber(self, first_visit_key: int) -> int:
        """Shift the surrogate keys to start at ``first_visit_key``; returns the next free key."""
        self.visits["visit_key"] += first_visit_key
        self.actions["visit_key"] += first_visit_key
        return first_visit_key + len(self.visits)

    def count(self, stats: _Stats, days: list[date], nb_visits: dict[date, int]) -> None:
        stats.visit_date_fixed += self.pinned
        for d in days:
            stats.day(d, int(nb_visits.get(d, 0)), self.visits_per_day.get(d, 0), self.actions_per_day.get(d, 0))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else None


def _nb_visits(daily: pd.DataFrame) -> dict[date, int]:
    return dict(zip(daily["day"], daily["nb_visits"], strict=True))


# ---------------------------------------------------------------------------- live API
def sync_matomo(
    wh,
    client: MatomoClient,
    start: date | None,
    end: date,
    progress: bool = True,
    *,
    overlap_days: int = 2,
    chunk_days: int = 7,
    today: date | None = None,
) -> dict:
    """Pull ``client``'s site from the day after the watermark (minus the overlap) or ``start`` to ``end``.

    Returns the run statistics (days, visits, actions, available/purged/empty days, reconciliation gap,
    requests, watermark). See the module docstring.
    """
    site_id = client.site_id
    today = today or date.today()
    previous = wh.last_watermark(SOURCE, str(site_id))
    if previous:
        first = date.fromisoformat(previous) - timedelta(days=max(overlap_days, 1) - 1)
    elif start is not None:
        first = start
    else:
        raise MatomoConfigError(
            f"première synchronisation du site {site_id} : définir MATOMO_START=AAAA-MM-JJ (premier jour à charger)")
    last = min(end, today)
    stats = _Stats(site_id)
    days = _days(first, last) if first <= last else []
    bar = tqdm(total=len(days), desc=f"Matomo site {site_id} {first}→{last}", unit="jour", disable=not progress)
    try:
        for i in range(0, len(days), chunk_days):
            _sync_chunk(wh, client, days[i:i + chunk_days], stats, bar)
    finally:
        bar.close()
    complete = min(last, today - timedelta(days=1))
    watermark = max(filter(None, [previous, complete.isoformat() if days else None]), default=None)
    result = stats.as_dict(requests=client.requests_sent, watermark=watermark)
    log.debug("Matomo site %s : %s", site_id, result)
    return result


def _sync_chunk(wh, client: MatomoClient, days: list[date], stats: _Stats, bar) -> None:
    site_id = client.site_id
    summary, reports, first_pages = client.fetch_range(days)
    daily = parse_visits_summary(summary, site_id)
    daily = daily[daily["day"].isin(days)]
    pages = _concat([parse_page_report(reports[r], site_id, r) for r in PAGE_REPORTS])
    day_records = []
    for d in days:
        day_records.append((d, client.live_day(d, first_pages[d])))
        bar.update(1)
    parsed = _Parsed(day_records, site_id)
    parsed.renumber(wh.next_visit_key())
    parsed.count(stats, days, _nb_visits(daily))
    bar.set_postfix(visites=stats.visits, refresh=False)
    wh.replace_matomo_days(site_id, days, visits=parsed.visits, actions=parsed.actions, daily=daily, pages=pages)


# ---------------------------------------------------------------------------- demo files
def _read_json(path: Path):
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise FileNotFoundError(f"fichier Matomo absent : {path}") from None
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"JSON invalide dans {path} : {exc}") from None


def _read_live(path: Path) -> list:
    """A day file of Live visits, decoded straight to the whitelisted fields (``decode_live``)."""
    try:
        return decode_live(path.read_bytes())
    except FileNotFoundError:
        raise FileNotFoundError(f"fichier Matomo absent : {path}") from None
    except ValueError as exc:
        raise ValueError(f"{path} : {exc}") from None


def _parse_files(batch: list[tuple[date, Path]], site_id: int) -> _Parsed:
    """Several day files parsed together (one parse per batch: pandas costs ~30 ms a call)."""
    with no_cycle_collection():
        return _Parsed([(d, _read_live(path)) for d, path in batch], site_id)


def _batches(files: dict[date, Path]) -> list[list[tuple[date, Path]]]:
    """Consecutive day files grouped up to ``BATCH_BYTES`` of JSON or ``BATCH_DAYS`` days."""
    batches, batch, size = [], [], 0
    for d in sorted(files):
        batch.append((d, files[d]))
        size += files[d].stat().st_size
        if size >= BATCH_BYTES or len(batch) >= BATCH_DAYS:
            batches.append(batch)
            batch, size = [], 0
    return batches + ([batch] if batch else [])


def load_matomo_files(wh, matomo_dir: Path, site_id: int, progress: bool = True, workers: int | None = None) -> dict:
    """Load the Matomo answers written by the demo generator (layout in docs/architecture.md).

    ``live/YYYY-MM-DD.json`` holds a day's Live visits (absent when the raw log is purged),
    ``VisitsSummary.get.json`` and ``Actions.get{Page,EntryPage,ExitPage}Urls.json`` the multi-day reports.
    Every day they cover is replaced wholesale. Day files are parsed by batches, in ``workers`` processes
    (default: up to 4 when the files weigh more than 256 MB), and loaded in day order.
    """
    matomo_dir = Path(matomo_dir)
    live_files = {}
    for path in sorted((matomo_dir / "live").glob("*.json")):
        try:
            live_files[date.fromisoformat(path.stem)] = path
        except ValueError:
            log.warning("fichier ignoré (nom attendu AAAA-MM-JJ.json) : %s", path)
    batches = _batches(live_files)
    workers = auto_workers(live_files.values()) if workers is None else workers
    with ordered_map(_parse_files, batches, workers, site_id) as parsed:   # workers start on the day files…
        with no_cycle_collection():                                         # …meanwhile, the reports
            daily = parse_visits_summary(_read_json(matomo_dir / "VisitsSummary.get.json"), site_id)
            pages = _concat([parse_page_report(_read_json(matomo_dir / f"{method}.json"), site_id, report)
                             for report, method in PAGE_REPORTS.items()])
        days = sorted(set(daily["day"]) | set(live_files))
        wh.replace_matomo_days(site_id, days, daily=daily, pages=pages)
        stats = _Stats(site_id)
        nb_visits = _nb_visits(daily)
        key = wh.next_visit_key()
        visit_frames, action_frames, buffered = [], [], 0
        with tqdm(total=len(days), desc=f"Matomo (fichiers) site {site_id}", unit="jour",
                  disable=not progress) as bar:
            for batch, result in zip(batches, parsed, strict=True):
                key = result.renumber(key)
                result.count(stats, [d for d, _ in batch], nb_visits)
                visit_frames.append(result.visits)
                action_frames.append(result.actions)
                buffered += len(result.visits) + len(result.actions)
                if buffered >= LOAD_BATCH_ROWS:
                    _flush(wh, visit_frames, action_frames)
                    buffered = 0
                bar.update(len(batch))
            _flush(wh, visit_frames, action_frames)
            without_file = [d for d in days if d not in live_files]   # purged or empty days
            _Parsed([], site_id).count(stats, without_file, nb_visits)
            bar.update(len(without_file))
    stats.days.sort()
    return stats.as_dict()


def _flush(wh, visit_frames: list, action_frames: list) -> None:
    for table, frames in (("visits", visit_frames), ("actions", action_frames)):
        frame = _concat(frames)
        if frame is not None:
            wh.load(table, frame)
        frames.clear()
