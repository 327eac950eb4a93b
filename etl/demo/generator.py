"""Deterministic demo generator: writes RAW source payloads (Matomo 5.3 JSON, DS GraphQL v2 pages).

The warehouse is then built from these files by the same parsers as live sources (``python -m etl demo``).
Same seed, scale and end date → byte-identical files. Volumes are drawn with numpy over the whole period at
once; only the final JSON documents are assembled per visit / per dossier.

Layout: see docs/architecture.md ("demo generator writes raw payloads").
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
from tqdm import tqdm

from etl.demo import ds_payloads, matomo_payloads
from etl.demo import model as m

DOSSIERS_AT_SCALE_1 = 10_000
VISITS_AT_SCALE_1 = 50_000


def period(end: date) -> tuple[date, date]:
    """The 36 months ending at ``end``: (first day, end)."""
    month = end.month - m.MONTHS % 12
    year = end.year - m.MONTHS // 12 - (1 if month < 1 else 0)
    month = month + 12 if month < 1 else month
    start = date(year, month, min(end.day, 28)) + timedelta(days=1)
    return start, end


def opening_offsets(n_days: int) -> dict[str, int]:
    """Day offset at which each department of the rollout opens on WIF."""
    offsets = {}
    for i, dep in enumerate(m.ROLLOUT):
        months = m.FIRST_MONTHS.get(dep, m.ROLLOUT_START + (i - len(m.FIRST_MONTHS)) * m.ROLLOUT_STEP)
        offsets[dep] = min(int(round(months * 30.44)), n_days - 1)
    return offsets


def demand(days: pd.DatetimeIndex, opens: dict[str, int]) -> np.ndarray:
    """Relative daily demand per department [dep, day]: weight × ramp after opening × season × weekday."""
    idx = np.arange(len(days))
    season = np.array([m.SEASON[mo] for mo in days.month])
    weekday = np.array(m.WEEKDAY)[days.day_of_week]
    rows = []
    for dep, first in opens.items():
        ramp = np.clip((idx - first + 1) / m.RAMP_DAYS, 0, 1)
        rows.append(m.WEIGHTS.get(dep, m.DEFAULT_WEIGHT) * ramp * season * weekday)
    return np.vstack(rows)


def demarches_of(deps: list[str]) -> pd.DataFrame:
    """Two démarches per department (student, employer), numbered like real DS procedures."""
    rows = []
    for i, dep in enumerate(deps):
        for j, (audience, suffix, title) in enumerate((
                ("etudiant", "", "Demande d'autorisation provisoire de travail – étudiant"),
                ("employeur", "-employeur", "Demande d'autorisation provisoire de travail – employeur"))):
            rows.append({"demarche_number": 11_000 + 2 * i + j, "departement": dep, "audience": audience,
                         "slug": f"ud{dep.lower()}-apt-etudiants{suffix}", "title": f"{title} ({dep})"})
    return pd.DataFrame(rows)


def generate(out_dir: Path | str, seed: int = 2018, scale: float = 1.0, end: date | None = None,
             progress: bool = True) -> dict:
    """Write the demo payloads under ``out_dir`` (replacing them) and return the manifest."""
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    (out / "matomo" / "live").mkdir(parents=True)
    (out / "ds").mkdir()
    end = end or date.today()
    start, end = period(end)
    days = pd.date_range(start, end, freq="D")
    rng = np.random.default_rng(seed)
    opens = opening_offsets(len(days))
    deps = list(opens)
    demarches = demarches_of(deps)
    weights = demand(days, opens)

    dossiers = ds_payloads.draw_dossiers(rng, days, deps, weights, DOSSIERS_AT_SCALE_1 * scale, end)
    n_ds = ds_payloads.write_pages(out / "ds", dossiers, demarches, progress)

    visits = matomo_payloads.draw_visits(rng, days, deps, opens, weights, dossiers,
                                         VISITS_AT_SCALE_1 * scale)
    n_visits, n_actions = matomo_payloads.write_matomo(out / "matomo", visits, days, rng, progress)

    with open(out / "demarches.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(demarches.columns)
        writer.writerows(demarches.itertuples(index=False))
    manifest = {
        "seed": seed, "scale": scale, "start": start.isoformat(), "end": end.isoformat(), "site_id": m.SITE_ID,
        "site_url": m.SITE_URL, "demarches": len(demarches), "dossiers": n_ds, "visits": n_visits,
        "actions": n_actions,
    }
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    if progress:
        tqdm.write(f"démo : {n_visits} visites, {n_actions} actions, {n_ds} dossiers ({start} → {end})")
    return manifest
