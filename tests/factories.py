"""Tiny hand-built warehouses for unit tests: rows in, a published DuckDB file out.

Every metric test builds the few rows whose answer it worked out by hand::

    db = make_warehouse(tmp_path, dossiers=[dossier(1, state="accepte", depose_at="2024-03-04 10:00",
                                                    traite_at="2024-03-08 16:00")])
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from etl.warehouse import Warehouse

DEFAULT_DEMARCHES = [
    {"demarche_number": 1, "departement": "75", "audience": "etudiant", "slug": "ud75-apt-etudiants"},
    {"demarche_number": 2, "departement": "75", "audience": "employeur", "slug": "ud75-apt-etudiants-employeur"},
    {"demarche_number": 3, "departement": "69", "audience": "etudiant", "slug": "ud69-apt-etudiants"},
]
_DOSSIER_TS = ("depose_at", "en_construction_at", "en_instruction_at", "traite_at", "modified_at")


def dossier(number: int, *, demarche: int = 1, state: str = "en_construction", **values) -> dict:
    """A dossier row; department and audience default to those of its démarche."""
    dem = next(d for d in DEFAULT_DEMARCHES if d["demarche_number"] == demarche)
    row = {
        "demarche_number": demarche, "dossier_number": number, "state": state,
        "departement": dem["departement"], "audience": dem["audience"], "source": "graphql",
        "contract_category": "apprentissage",
    }
    row.update(values)
    return row


def visit(key: int, *, day: str, started_at: str, duration_s: int = 0, **values) -> dict:
    """A visit row (derived journey columns are computed from its actions by the Warehouse)."""
    row = {
        "visit_key": key, "site_id": 1, "visit_date": day, "started_at": started_at,
        "ended_at": str(pd.Timestamp(started_at) + pd.Timedelta(seconds=duration_s)),
        "duration_s": duration_s, "nb_pageviews": 0, "nb_actions": 0, "device_type": "desktop",
        "visitor_type": "new", "referrer_type": "direct", "country_code": "FR",
    }
    row.update(values)
    return row


def action(visit_key: int, position: int, *, at: str, page_key: str, action_type: str = "action", **values) -> dict:
    """An action row of a visit."""
    row = {"visit_key": visit_key, "position": position, "action_type": action_type, "action_at": at,
           "page_key": page_key}
    row.update(values)
    return row


def _frame(rows: list[dict], timestamps: tuple[str, ...] = (), dates: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in timestamps:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    for col in dates:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


def make_warehouse(
    tmp_path: Path,
    *,
    dossiers: list[dict] = (),
    visits: list[dict] = (),
    actions: list[dict] = (),
    daily: list[dict] = (),
    demarches: list[dict] = tuple(DEFAULT_DEMARCHES),
    meta: dict | None = None,
    name: str = "wif.duckdb",
) -> Path:
    """Build and publish a warehouse holding exactly the given rows; returns its path."""
    target = Path(tmp_path) / name
    with Warehouse(target, incremental=False) as wh:
        wh.set_demarches(pd.DataFrame(list(demarches)))
        if dossiers:
            wh.load("dossiers", _frame(list(dossiers), _DOSSIER_TS, ("apt_start", "apt_end")))
        if visits:
            wh.load("visits", _frame(list(visits), ("started_at", "ended_at"), ("visit_date",)))
        if actions:
            wh.load("actions", _frame(list(actions), ("action_at",)))
        if daily:
            wh.load("matomo_daily", _frame(list(daily), dates=("day",)))
        wh.set_meta(**{"is_demo": "false", **(meta or {})})
        wh.finalize()
        wh.publish()
    return target
