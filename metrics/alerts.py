"""Dossiers needing attention ("dossiers en souffrance" of WIF's back office), by dossier number.

Four alerts, each measured at the **data date** (``meta.data_end``, the last day the warehouse covers — never
the wall clock, so a report built from an old export still makes sense):

* ``sans_modification``: dossier en construction or en instruction whose last change (dateDerniereModification,
  else its last state change or deposit) is more than ``stale_days`` (7) calendar days before the data date;
  ``days`` = days since that change.
* ``apt_longue``: APT longer than ``apt_max_months`` (12) months: "Date de fin" on or after "Date de début"
  + 12 months (1 September 2024 → 31 August 2025 is exactly 12 months: no alert; → 1 September 2025: alert);
  ``days`` = APT length in days, both ends included.
* ``apt_dates``: "Date de début" or "Date de fin" missing (or unreadable in DS) or end before start.
* ``modifie_apres_decision``: decided dossier (accepté, refusé, classé sans suite) modified more than
  ``grace_hours`` (24) hours after its decision — DS touches a dossier when the decision is sent, hence the
  grace; ``days`` = whole days between decision and last change.

Scope: open dossiers (en construction, en instruction) whatever the period — they are today's work — and
dossiers decided in the period (``traite_at``); the APT checks only concern open and accepted dossiers (the
dates of a refused APT do not matter). Department, audience and contract filters apply; archived dossiers are
left out. A dossier can raise several alerts (one row each).

Thresholds and the link to the instructors' interface come from the environment (``AlertSettings.from_env``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, fields

import pandas as pd

from metrics import db
from metrics.filters import Filters, dossier_scope, dossier_where
from metrics.stats import OPEN_SQL

log = logging.getLogger(__name__)
DEFAULT_DOSSIER_URL = "https://www.demarches-simplifiees.fr/procedures/{demarche}/dossiers/{dossier}"
# Alert code → French label, in display order.
ALERTS = {
    "sans_modification": "Sans modification depuis plus de {stale_days} jours",
    "apt_longue": "APT de plus de {apt_max_months} mois",
    "apt_dates": "Dates d'APT absentes ou inversées",
    "modifie_apres_decision": "Modifié après la décision",
}
STATE_LABELS = {"en_construction": "En construction", "en_instruction": "En instruction", "accepte": "Accepté",
                "refuse": "Refusé", "sans_suite": "Classé sans suite"}
# Rows of each alert the page lists, read with the counts (``_overview``).
LIST_TOP = 200
ENV = {"stale_days": "WIF_ALERT_STALE_DAYS", "apt_max_months": "WIF_ALERT_APT_MAX_MONTHS",
       "grace_hours": "WIF_ALERT_GRACE_HOURS", "dossier_url": "WIF_DS_DOSSIER_URL"}


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds of the alerts and the URL template of a dossier in the instructors' interface."""

    stale_days: int = 7
    apt_max_months: int = 12
    grace_hours: int = 24
    dossier_url: str = DEFAULT_DOSSIER_URL    # placeholders {demarche} and {dossier}

    @classmethod
    def from_env(cls, environ: dict | None = None) -> AlertSettings:
        """Settings from ``WIF_ALERT_STALE_DAYS``, ``WIF_ALERT_APT_MAX_MONTHS``, ``WIF_ALERT_GRACE_HOURS`` and
        ``WIF_DS_DOSSIER_URL``; an invalid value (not a positive integer, URL without ``{dossier}``) is logged
        and the default kept."""
        environ = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            raw = (environ.get(ENV[field.name]) or "").strip()
            if not raw:
                continue
            if field.name == "dossier_url":
                valid = "{dossier}" in raw and raw.startswith(("https://", "http://"))
                value = raw
            else:
                valid = raw.isdigit() and int(raw) > 0
                value = int(raw) if valid else None
            if valid:
                values[field.name] = value
            else:
                log.warning("valeur ignorée pour %s : %r", ENV[field.name], raw)
        return cls(**values)

    def labels(self) -> dict[str, str]:
        """``ALERTS`` with the thresholds filled in."""
        return {code: label.format(stale_days=self.stale_days, apt_max_months=self.apt_max_months)
                for code, label in ALERTS.items()}


def _flagged_sql(f: Filters, settings: AlertSettings) -> tuple[str, dict]:
    """Query of one row per dossier in scope raising at least one alert, read in one pass over ``dossiers``:
    ``[departement, demarche_number, dossier_number, state, depose_at, traite_at, modified_at, apt_start, apt_end]``,
    one boolean column per alert code and the ``days`` of each alert (``<code>_days``; none for ``apt_dates``)."""
    scope, params = dossier_scope(f)
    decided, decided_params = dossier_where(f, "traite_at", prefix="t_")
    sql = f"""
        SELECT departement, demarche_number, dossier_number, state, depose_at, traite_at, modified_at, apt_start,
               apt_end,
               is_open AND idle_days > $stale_days AS sans_modification, idle_days AS sans_modification_days,
               (is_open OR state = 'accepte') AND valid_apt
                   AND apt_end >= apt_start + to_months(CAST($apt_months AS INTEGER)) AS apt_longue,
               date_diff('day', apt_start, apt_end) + 1 AS apt_longue_days,
               (is_open OR state = 'accepte') AND NOT valid_apt AS apt_dates,
               NOT is_open AND modified_at > traite_at + to_hours(CAST($grace_hours AS INTEGER))
                   AS modifie_apres_decision,
               date_diff('day', traite_at, modified_at) AS modifie_apres_decision_days
        FROM (
            SELECT d.departement, d.demarche_number, d.dossier_number, d.state, d.depose_at, d.traite_at,
                   d.modified_at, d.apt_start, d.apt_end, d.state IN {OPEN_SQL} AS is_open,
                   d.apt_start IS NOT NULL AND d.apt_end IS NOT NULL AND d.apt_end >= d.apt_start AS valid_apt,
                   date_diff('day', CAST(coalesce(d.modified_at, d.en_instruction_at, d.en_construction_at,
                                                  d.depose_at) AS DATE),
                             (SELECT CAST(value AS DATE) FROM meta WHERE key = 'data_end')) AS idle_days
            FROM dossiers d
            WHERE NOT d.archived AND {scope}
              AND (d.state IN {OPEN_SQL} OR {decided})   -- open, or decided (= not open) in the period
        )
        WHERE sans_modification OR apt_longue OR apt_dates OR modifie_apres_decision
    """
    return sql, params | decided_params | {"stale_days": settings.stale_days, "apt_months": settings.apt_max_months,
                                           "grace_hours": settings.grace_hours}


def _rows_sql(top: bool) -> str:
    """Rows ``[alert, alert_label, departement, departement_label, demarche_number, dossier_number, state,
    state_label, depose_at, traite_at, modified_at, apt_start, apt_end, days, url, pos]`` (``pos``: rank of the
    alert code in ``ALERTS``), one per (dossier, alert) of the flagged dossiers ``d`` (``_flagged_sql``); only the
    first ``$top`` of each alert in list order when ``top``. Binds ``$labels``, ``$states``, ``$state_labels``,
    ``$url`` (and ``$top``)."""
    branches = " UNION ALL ".join(
        f"SELECT '{code}' AS alert, {pos} AS pos, "
        f"CAST({'NULL' if code == 'apt_dates' else f'{code}_days'} AS INTEGER) AS days, * FROM d WHERE {code}"
        for pos, code in enumerate(ALERTS, start=1))
    first = ("QUALIFY row_number() OVER (PARTITION BY a.alert ORDER BY a.departement NULLS LAST, a.depose_at, "
             "a.dossier_number) <= $top" if top else "")
    return f"""
        SELECT a.alert, $labels[a.pos] AS alert_label, a.departement,
               coalesce(a.departement || ' – ' || r.name, a.departement, 'Non renseigné') AS departement_label,
               a.demarche_number, a.dossier_number, a.state, s.state_label, a.depose_at, a.traite_at, a.modified_at,
               a.apt_start, a.apt_end, a.days,
               replace(replace($url, '{{demarche}}', CAST(a.demarche_number AS VARCHAR)),
                       '{{dossier}}', CAST(a.dossier_number AS VARCHAR)) AS url, a.pos
        FROM ({branches}) a
        JOIN (SELECT unnest($states) AS state, unnest($state_labels) AS state_label) s USING (state)
        LEFT JOIN ref_departements r ON r.code = a.departement
        {first}
    """


def _labels_params(settings: AlertSettings) -> dict:
    return {"labels": list(settings.labels().values()), "states": list(STATE_LABELS),
            "state_labels": list(STATE_LABELS.values()), "url": settings.dossier_url}


def alert_list(f: Filters, settings: AlertSettings | None = None, kind: str | None = None,
               limit: int | None = None) -> pd.DataFrame:
    """The alerts of the scope, one row per (dossier, alert): every alert, or those of the code ``kind``; the first
    ``limit`` rows only when given (the page shows a few hundred of tens of thousands).

    Columns ``[alert, alert_label, departement, departement_label, demarche_number, dossier_number, state,
    state_label, depose_at, traite_at, modified_at, apt_start, apt_end, days, url]``: ``days`` as defined per
    alert in the module docstring (NULL for ``apt_dates``); ``url`` the dossier in the instructors' interface.
    Ordered by alert (``ALERTS`` order), department, then oldest deposit first. Up to ``LIST_TOP`` rows are read
    from ``_overview`` (the query of the counts), more from a query of their own.
    """
    settings = settings or AlertSettings.from_env()
    if kind is not None and kind not in ALERTS:
        raise ValueError(f"alerte inconnue : {kind}")
    if limit is not None and limit <= LIST_TOP:
        rows = _overview(f, settings)
        rows = rows[rows.part == 1] if kind is None else rows[rows.alert == kind]
        return _as_queried(rows.head(limit).drop(columns=_COUNT_COLUMNS).reset_index(drop=True))
    flagged, params = _flagged_sql(f, settings)
    return db.query(
        f"""
        WITH d AS ({flagged}), a AS ({_rows_sql(top=False)})
        SELECT * EXCLUDE (pos) FROM a
        WHERE $kind IS NULL OR a.alert = $kind
        ORDER BY a.pos, a.departement NULLS LAST, a.depose_at, a.dossier_number
        LIMIT $limit
        """,
        params | _labels_params(settings) | {"kind": kind, "limit": limit},
    )



def _as_queried(rows: pd.DataFrame) -> pd.DataFrame:
    """List rows taken from ``_overview`` with the column types DuckDB gives the same rows queried on their own:
    ``days`` without NULL is int32, a text column without any value holds objects."""
    if rows.days.notna().all():
        rows["days"] = rows.days.astype("int32")
    for column in _TEXT_COLUMNS:
        if rows[column].isna().all():
            rows[column] = rows[column].astype(object)
    return rows


_TEXT_COLUMNS = ("alert", "alert_label", "departement", "departement_label", "state", "state_label", "url")
# Columns of the count rows of ``_overview`` (zero on its list rows).
_COUNT_COLUMNS = ["part", *ALERTS, "dossiers", "total", "pos"]


def _overview(f: Filters, settings: AlertSettings | None) -> pd.DataFrame:
    """Alert counts per department and in total, and the first ``LIST_TOP`` rows of each alert in list order, from
    one pass over the dossiers: the page asks for all of them, and later calls are answered by ``metrics.db``'s
    cache. Count rows (``part`` 0, ``total`` marking the total row, ``GROUPING SETS``) come first, in
    ``alert_counts`` order, then list rows (``part`` 1, counts zero) in ``alert_list`` order."""
    settings = settings or AlertSettings.from_env()
    flagged, params = _flagged_sql(f, settings)
    per_alert = ", ".join(f"count(*) FILTER (WHERE {code}) AS {code}" for code in ALERTS)
    zeros = ", ".join(f"0 AS {code}" for code in ALERTS)
    return db.query(
        f"""
        WITH d AS MATERIALIZED ({flagged}),
        c AS (
            SELECT departement, {per_alert}, count(*) AS dossiers, grouping(departement) = 1 AS total
            FROM d GROUP BY GROUPING SETS ((departement), ())
        )
        SELECT 1 AS part, *, {zeros}, 0 AS dossiers, false AS total FROM ({_rows_sql(top=True)})
        UNION ALL BY NAME
        SELECT 0 AS part, c.departement,
               coalesce(c.departement || ' – ' || r.name, c.departement, 'Non renseigné') AS departement_label,
               CAST(0 AS INTEGER) AS demarche_number, CAST(0 AS BIGINT) AS dossier_number, 0 AS pos,
               c.* EXCLUDE (departement)
        FROM c LEFT JOIN ref_departements r ON r.code = c.departement
        ORDER BY part, total, dossiers DESC, pos, departement NULLS LAST, depose_at, dossier_number
        """,
        params | _labels_params(settings) | {"top": LIST_TOP},
    )


def alert_counts(f: Filters, settings: AlertSettings | None = None) -> pd.DataFrame:
    """Alerts per department: ``[departement, label, <one column per alert code>, dossiers]``.

    Counts of dossiers per alert; ``dossiers`` counts the distinct dossiers with at least one alert. One row per
    department with an alert, most ``dossiers`` first (then code); dossiers without a department under a NULL
    code ("Non renseigné"). Unit: dossiers.
    """
    counts = _overview(f, settings)
    counts = counts[(counts.part == 0) & ~counts.total]
    return counts[["departement", "departement_label", *ALERTS, "dossiers"]].rename(
        columns={"departement_label": "label"}).reset_index(drop=True)


def alert_summary(f: Filters, settings: AlertSettings | None = None) -> pd.DataFrame:
    """Totals of the scope: one row ``[<one column per alert code>, dossiers]`` (zeros when nothing is wrong).

    Same units and definitions as ``alert_counts``, over every department.
    """
    counts = _overview(f, settings)
    return counts[(counts.part == 0) & counts.total][[*ALERTS, "dossiers"]].reset_index(drop=True)
