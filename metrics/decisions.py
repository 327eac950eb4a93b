"""Decisions: acceptance, refusal and "classement sans suite" rates with Wilson 95 % intervals.

Population: dossiers decided (accepté, refusé, classé sans suite) whose dateTraitement falls in the period,
whenever they were deposited; open dossiers are excluded.

* refusal rate = refusés / (acceptés + refusés + sans suite); sans-suite rate = sans suite / the same total.
* Each rate comes with its Wilson score 95 % interval. A rate (and its interval) is NULL when fewer than 5
  dossiers were decided: the pages show "—" (moins de 5 dossiers).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from metrics import db
from metrics.filters import Filters, dossier_where
from metrics.stats import DECIDED, MIN_CELL, dimension, labelled_groups, labelled_key, rate_columns_sql

OUTCOMES = {"refuse": "refus", "sans_suite": "classement sans suite"}
POSITIONS = {"above": "au-dessus", "below": "en dessous", "within": "dans l'intervalle"}
DECISION_COUNTS_SQL = """count(*) AS decided,
             count(*) FILTER (WHERE d.state = 'accepte') AS acceptes,
             count(*) FILTER (WHERE d.state = 'refuse') AS refuses,
             count(*) FILTER (WHERE d.state = 'sans_suite') AS sans_suite"""
DECISION_RATES_SQL = (f"{rate_columns_sql('refuses', 'decided', 'refusal')}, "
                      f"{rate_columns_sql('sans_suite', 'decided', 'sans_suite')}")


def decision_rates(f: Filters) -> pd.DataFrame:
    """Decisions of the period and their rates.

    One row ``[decided, acceptes, refuses, sans_suite, refusal_rate, refusal_low, refusal_high, sans_suite_rate,
    sans_suite_low, sans_suite_high]``: counts of dossiers; rates and Wilson 95 % bounds in 0..1, NULL when
    decided < 5.
    """
    where, params = dossier_where(f, "traite_at")
    return db.query(
        f"SELECT *, {DECISION_RATES_SQL} FROM (SELECT {DECISION_COUNTS_SQL} FROM dossiers d "
        f"WHERE {where} AND {DECIDED})",
        params,
    )


def rates_by(f: Filters, by: str) -> pd.DataFrame:
    """Decisions and rates per ``by``: month (of decision), departement, contract, nationality or audience.

    Columns ``[key, label, <decision_rates columns>]``; groups without any decision are absent; row order
    from ``metrics.stats.breakdown_order`` (volume = decided).
    """
    where, params = dossier_where(f, "traite_at")
    counts = f"""
        SELECT *, {DECISION_RATES_SQL} FROM (
            SELECT {dimension(by, "traite_at").key} AS key, {DECISION_COUNTS_SQL}
            FROM dossiers d WHERE {where} AND {DECIDED} GROUP BY ALL
        )
    """
    return db.query(labelled_groups(by, counts, "decided"), params)


def departement_funnel(f: Filters, outcome: str = "refuse") -> pd.DataFrame:
    """Departments' rate of ``outcome`` ("refuse" or "sans_suite") against the national rate (funnel plot).

    The national rate is that of all departments under the same period, audience and contract filters (the
    department filter only selects which departments are listed). Columns ``[departement, label, decided,
    events, rate, low, high, national_rate, z, position]``: ``rate`` with its Wilson 95 % bounds (NULL when
    decided < 5); ``z`` = (rate − national) / √(national·(1 − national)/decided); ``position`` "above" /
    "below" when the national rate lies outside the department's interval (equivalently |z| > 1.96: the
    point is outside the 95 % funnel), "within" otherwise, NULL under 5 decisions. Ranked by decreasing z
    (most above first), departments without a rate last. Dossiers without a department are not listed.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"décision inconnue : {outcome}")
    where, params = dossier_where(f, "traite_at")
    nat_where, nat_params = dossier_where(replace(f, departements=()), "traite_at", prefix="n_")
    group = labelled_key("departement", "g.departement")      # labels made per department, after counting
    return db.query(
        f"""
        WITH nat AS (
            SELECT CAST(count(*) FILTER (WHERE d.state = $outcome) AS DOUBLE) / nullif(count(*), 0) AS p0
            FROM dossiers d WHERE {nat_where} AND {DECIDED}
        ), dep AS (
            SELECT g.departement, {group.label} AS label, g.decided, g.events FROM (
                SELECT d.departement, count(*) AS decided, count(*) FILTER (WHERE d.state = $outcome) AS events
                FROM dossiers d WHERE {where} AND {DECIDED} AND d.departement IS NOT NULL
                GROUP BY ALL
            ) g {group.join}
        ), rated AS (
            SELECT dep.*, {rate_columns_sql('events', 'decided', 'x')}, nat.p0 AS national_rate
            FROM dep CROSS JOIN nat
        )
        SELECT departement, label, decided, events, x_rate AS rate, x_low AS low, x_high AS high, national_rate,
               CASE WHEN decided >= {MIN_CELL} AND national_rate > 0 AND national_rate < 1
                    THEN (x_rate - national_rate) / sqrt(national_rate * (1 - national_rate) / decided) END AS z,
               CASE WHEN x_rate IS NULL THEN NULL WHEN x_low > national_rate THEN 'above'
                    WHEN x_high < national_rate THEN 'below' ELSE 'within' END AS position
        FROM rated
        ORDER BY z DESC NULLS LAST, decided DESC, departement
        """,
        params | nat_params | {"outcome": outcome},
    )
