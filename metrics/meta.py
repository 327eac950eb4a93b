"""Facts about the published warehouse: data range, build time, demo flag, ETL runs and filter options.

Everything here is read from the warehouse (tables ``meta``, ``etl_runs``, ``ref_departements``,
``ref_contract_categories``) at call time, never at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import pandas as pd

from metrics import db

# Sources of etl_runs the app reports on; a failed ``all`` run stands for both of its sources.
SOURCE_LABELS = {
    "matomo": "Audience (Matomo)",
    "ds": "Dossiers (Démarches Simplifiées)",
    "import": "Dossiers (exports Démarches Simplifiées)",
    "demo": "Données de démonstration",
}


@dataclass(frozen=True)
class Freshness:
    """Data range and build facts of the warehouse."""

    data_start: date | None   # first day with a deposit, a decision or a visit; None for an empty warehouse
    data_end: date | None     # last such day
    built_at: datetime | None  # when the ETL published this file
    is_demo: bool             # the warehouse holds generated demonstration data

    @property
    def bounds(self) -> tuple[date, date]:
        """(first day, last day) the filters may select; the build day for an empty warehouse."""
        fallback = (self.built_at.date() if self.built_at else date.today())
        return (self.data_start or fallback, self.data_end or fallback)


@dataclass(frozen=True)
class StaleSource:
    """A source whose last run failed after its last success (or that never succeeded)."""

    source: str
    label: str
    last_success_at: datetime | None
    last_failure_at: datetime


def meta_values() -> dict[str, str | None]:
    """Every key/value of the ``meta`` table."""
    frame = db.query("SELECT key, value FROM meta")
    return {key: (None if pd.isna(value) else value) for key, value in zip(frame["key"], frame["value"], strict=True)}


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def freshness() -> Freshness:
    """Data range, build time and demo flag (``meta.is_demo = 'true'``) of the warehouse (read once per published
    file: every figure's source line asks for it)."""
    return _freshness(db.identity())


@lru_cache(maxsize=4)
def _freshness(_ident: tuple) -> Freshness:
    values = meta_values()
    built = values.get("built_at")
    return Freshness(
        data_start=_date(values.get("data_start")),
        data_end=_date(values.get("data_end")),
        built_at=datetime.fromisoformat(built) if built else None,
        is_demo=(values.get("is_demo") or "").strip().lower() == "true",
    )


def source_runs() -> pd.DataFrame:
    """Per source: ``last_success_at``, ``last_failure_at`` and ``last_error`` (NULL when none).

    A run's moment is ``finished_at`` (``started_at`` when it never finished). A failed ``all`` run counts
    as a failure of both ``matomo`` and ``ds``, whose successes are recorded separately.
    """
    return db.query(
        """
        WITH runs AS (
            SELECT unnest(CASE WHEN source = 'all' THEN ['matomo', 'ds'] ELSE [source] END) AS source,
                   status, coalesce(finished_at, started_at) AS run_at, error
            FROM etl_runs
        )
        SELECT source,
               max(run_at) FILTER (WHERE status = 'success') AS last_success_at,
               max(run_at) FILTER (WHERE status = 'failed') AS last_failure_at,
               arg_max(error, run_at) FILTER (WHERE status = 'failed') AS last_error
        FROM runs GROUP BY source ORDER BY source
        """
    )


def stale_sources() -> list[StaleSource]:
    """Sources whose most recent run failed: their data stopped at the last success (if any)."""
    stale = []
    for row in source_runs().itertuples(index=False):
        if pd.isna(row.last_failure_at):
            continue
        success = None if pd.isna(row.last_success_at) else row.last_success_at.to_pydatetime()
        failure = row.last_failure_at.to_pydatetime()
        if success is None or failure > success:
            stale.append(StaleSource(row.source, SOURCE_LABELS.get(row.source, row.source), success, failure))
    return stale


def departement_options() -> pd.DataFrame:
    """Departments present in the data (démarches, dossiers or visits) with their names: ``[code, name]``.

    Codes unknown to ``ref_departements`` are kept with their code as name. Ordered by code.
    """
    return db.query(
        """
        WITH present AS (
            SELECT departement AS code FROM demarches
            UNION SELECT departement FROM dossiers WHERE departement IS NOT NULL
            UNION SELECT departement FROM visits WHERE departement IS NOT NULL
        )
        SELECT p.code, coalesce(r.name, p.code) AS name
        FROM present p LEFT JOIN ref_departements r ON r.code = p.code
        ORDER BY p.code
        """
    )


def contract_options() -> pd.DataFrame:
    """Contract categories in display order: ``[code, label]``."""
    return db.query("SELECT code, label FROM ref_contract_categories ORDER BY sort_order, code")
