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


def _alerts_sql(f: Filters, settings: AlertSettings) -> tuple[str, dict]:
    """Query of one row per (dossier, alert) in scope: ``[alert, departement, demarche_number, dossier_number,
    state, depose_at, traite_at, modified_at, apt_start, apt_end, days]``."""
    scope, params = dossier_scope(f)
    decided, decided_params = dossier_where(f, "traite_at", prefix="t_")
    valid_apt = "d.apt_start IS NOT NULL AND d.apt_end IS NOT NULL AND d.apt_end >= d.apt_start"
    sql = f"""
        WITH ref AS (SELECT CAST(value AS DATE) AS data_end FROM meta WHERE key = 'data_end'),
        d AS (
            SELECT d.departement, d.demarche_number, d.dossier_number, d.state, d.depose_at, d.traite_at,
                   d.modified_at, d.apt_start, d.apt_end, d.state IN {OPEN_SQL} AS is_open,
                   coalesce(d.modified_at, d.en_instruction_at, d.en_construction_at, d.depose_at) AS last_change
            FROM dossiers d
            WHERE NOT d.archived AND {scope}
              AND (d.state IN {OPEN_SQL} OR {decided})   -- open, or decided (= not open) in the period
        ), a AS (
            SELECT 'sans_modification' AS alert,
                   date_diff('day', CAST(d.last_change AS DATE), ref.data_end) AS days, d.*
            FROM d, ref WHERE d.is_open AND date_diff('day', CAST(d.last_change AS DATE), ref.data_end) > $stale_days
            UNION ALL
            SELECT 'apt_longue', date_diff('day', d.apt_start, d.apt_end) + 1, d.*
            FROM d WHERE (d.is_open OR d.state = 'accepte') AND {valid_apt}
              AND d.apt_end >= d.apt_start + to_months(CAST($apt_months AS INTEGER))
            UNION ALL
            SELECT 'apt_dates', NULL, d.*
            FROM d WHERE (d.is_open OR d.state = 'accepte') AND NOT ({valid_apt})
            UNION ALL
            SELECT 'modifie_apres_decision', date_diff('day', d.traite_at, d.modified_at), d.*
            FROM d WHERE NOT d.is_open
              AND d.modified_at > d.traite_at + to_hours(CAST($grace_hours AS INTEGER))
        )
        SELECT alert, departement, demarche_number, dossier_number, state, depose_at, traite_at, modified_at,
               apt_start, apt_end, CAST(a.days AS INTEGER) AS days
        FROM a
    """
    return sql, params | decided_params | {"stale_days": settings.stale_days, "apt_months": settings.apt_max_months,
                                           "grace_hours": settings.grace_hours}


def alert_list(f: Filters, settings: AlertSettings | None = None, kind: str | None = None,
               limit: int | None = None) -> pd.DataFrame:
    """The alerts of the scope, one row per (dossier, alert): every alert, or those of the code ``kind``; the first
    ``limit`` rows only when given (the page shows a few hundred of tens of thousands).

    Columns ``[alert, alert_label, departement, departement_label, demarche_number, dossier_number, state,
    state_label, depose_at, traite_at, modified_at, apt_start, apt_end, days, url]``: ``days`` as defined per
    alert in the module docstring (NULL for ``apt_dates``); ``url`` the dossier in the instructors' interface.
    Ordered by alert (``ALERTS`` order), department, then oldest deposit first.
    """
    settings = settings or AlertSettings.from_env()
    if kind is not None and kind not in ALERTS:
        raise ValueError(f"alerte inconnue : {kind}")
    sql, params = _alerts_sql(f, settings)
    labels = settings.labels()
    return db.query(
        f"""
        WITH a AS ({sql}),
             k AS (SELECT unnest($codes) AS alert, unnest($labels) AS alert_label,
                          generate_subscripts($codes, 1) AS pos),
             s AS (SELECT unnest($states) AS state, unnest($state_labels) AS state_label)
        SELECT a.alert, k.alert_label, a.departement,
               coalesce(a.departement || ' – ' || r.name, a.departement, 'Non renseigné') AS departement_label,
               a.demarche_number, a.dossier_number, a.state, s.state_label, a.depose_at, a.traite_at, a.modified_at,
               a.apt_start, a.apt_end, a.days,
               replace(replace($url, '{{demarche}}', CAST(a.demarche_number AS VARCHAR)),
                       '{{dossier}}', CAST(a.dossier_number AS VARCHAR)) AS url
        FROM a JOIN k USING (alert) JOIN s USING (state) LEFT JOIN ref_departements r ON r.code = a.departement
        WHERE $kind IS NULL OR a.alert = $kind
        ORDER BY k.pos, a.departement NULLS LAST, a.depose_at, a.dossier_number
        LIMIT $limit
        """,
        params | {"kind": kind, "limit": limit, "codes": list(labels), "labels": list(labels.values()),
                  "states": list(STATE_LABELS), "state_labels": list(STATE_LABELS.values()),
                  "url": settings.dossier_url},
    )


def _counts(f: Filters, settings: AlertSettings | None) -> pd.DataFrame:
    """Alert counts per department and in total, from one query (``GROUPING SETS``): the page asks for both, and
    the second call is answered by ``metrics.db``'s cache. Column ``total`` marks the total row."""
    settings = settings or AlertSettings.from_env()
    sql, params = _alerts_sql(f, settings)
    per_alert = ", ".join(f"count(*) FILTER (WHERE a.alert = '{code}') AS {code}" for code in ALERTS)
    return db.query(
        f"""
        WITH a AS ({sql})
        SELECT a.departement, coalesce(a.departement || ' – ' || any_value(r.name), a.departement, 'Non renseigné')
                   AS label, {per_alert}, count(DISTINCT (a.demarche_number, a.dossier_number)) AS dossiers,
               grouping(a.departement) = 1 AS total
        FROM a LEFT JOIN ref_departements r ON r.code = a.departement
        GROUP BY GROUPING SETS ((a.departement), ())
        ORDER BY total, dossiers DESC, a.departement NULLS LAST
        """,
        params,
    )


def alert_counts(f: Filters, settings: AlertSettings | None = None) -> pd.DataFrame:
    """Alerts per department: ``[departement, label, <one column per alert code>, dossiers]``.

    Counts of dossiers per alert; ``dossiers`` counts the distinct dossiers with at least one alert. One row per
    department with an alert, most ``dossiers`` first (then code); dossiers without a department under a NULL
    code ("Non renseigné"). Unit: dossiers.
    """
    counts = _counts(f, settings)
    return counts[~counts.total].drop(columns="total").reset_index(drop=True)


def alert_summary(f: Filters, settings: AlertSettings | None = None) -> pd.DataFrame:
    """Totals of the scope: one row ``[<one column per alert code>, dossiers]`` (zeros when nothing is wrong).

    Same units and definitions as ``alert_counts``, over every department.
    """
    counts = _counts(f, settings)
    return counts[counts.total][[*ALERTS, "dossiers"]].reset_index(drop=True)
