"""Figures of the public statistics page, with statistical secrecy applied in SQL.

Every figure covers the same fixed window — the 12 calendar months ending with the month of the data date
(``meta.data_end``; that last month may be incomplete) — over all departments, audiences and contracts: the
page has no filter, so no selection can narrow a cell below the threshold.

Secrecy (``MIN_CELL`` = 5 dossiers):

* **primary**: every count of dossiers under 5 (zero included) is published as NULL ("—"), and so is every
  statistic computed on fewer than 5 dossiers (median delays);
* **secondary**: a table whose total is published elsewhere on the page (the 12-month cards) could give a
  masked cell back by difference. When the masked cells of such a table add up to less than 5, its smallest
  visible cell is masked too, so the masked cells together always hold 5 dossiers or more.

Visits are not dossiers (nothing personal can be read from a count of visits): they are published as counted.
Dossier numbers, departments' internal labels and links never appear here.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from metrics import audience, db, delays
from metrics.dossiers import STATES
from metrics.filters import Filters
from metrics.meta import freshness
from metrics.stats import MIN_CELL

MONTHS = 12
TOP_NATIONALITIES = 10


def window() -> Filters:
    """The public window: first day of the month 11 months before the data date's month → the data date."""
    end = freshness().data_end
    if end is None:
        raise ValueError("l'entrepôt ne contient aucune donnée")
    index = end.year * 12 + end.month - 1 - (MONTHS - 1)
    return Filters(start=date(index // 12, index % 12 + 1, 1), end=end)


def _params(f: Filters) -> dict:
    return {"du": f.start, "au_next": f.end + timedelta(days=1)}


def suppressed_sql(relation: str, order: str, partition: str = "") -> str:
    """SELECT of ``relation`` (a CTE with a count column ``n``) adding ``shown``: ``n`` masked for publication.

    ``shown`` is NULL when ``n`` < ``MIN_CELL`` (primary secrecy) and for the smallest visible cell of the
    ``partition`` (ties broken by ``order``) when the masked cells of the partition add up to less than
    ``MIN_CELL`` (secondary secrecy). The helper columns are dropped.
    """
    over = f"PARTITION BY {partition}" if partition else ""
    return f"""
        SELECT * EXCLUDE (hidden_cells, hidden_sum, visible_rank),
               CASE WHEN n < {MIN_CELL} THEN NULL
                    WHEN hidden_cells > 0 AND hidden_sum < {MIN_CELL} AND visible_rank = 1 THEN NULL
                    ELSE n END AS shown
        FROM (
            SELECT *, count(*) FILTER (WHERE n < {MIN_CELL}) OVER ({over}) AS hidden_cells,
                   coalesce(sum(n) FILTER (WHERE n < {MIN_CELL}) OVER ({over}), 0) AS hidden_sum,
                   row_number() OVER ({over} ORDER BY n < {MIN_CELL}, n, {order}) AS visible_rank
            FROM {relation}
        )
    """


def _masked(count: str) -> str:
    """A single published count: NULL under ``MIN_CELL``."""
    return f"CASE WHEN {count} >= {MIN_CELL} THEN {count} END"


def summary() -> pd.DataFrame:
    """Headline figures: one row ``[deposes, acceptes, median_days, deposes_total, acceptes_total, since]``.

    ``deposes`` dossiers deposited in the window, ``acceptes`` accepted in it (decision date); ``median_days``
    median processing time of the dossiers decided in the window, in working days (NULL under 5 decisions);
    ``*_total`` the same counts since the first dossier (``since``, a DATE). Counts NULL under 5.
    """
    f = window()
    median = delays.processing_summary(f, "working", "decision")
    frame = db.query(
        f"""
        SELECT {_masked("count(*) FILTER (WHERE depose_at >= $du AND depose_at < $au_next)")} AS deposes,
               {_masked("count(*) FILTER (WHERE state = 'accepte' AND traite_at >= $du AND traite_at < $au_next)")}
                   AS acceptes,
               {_masked("count(*) FILTER (WHERE depose_at < $au_next)")} AS deposes_total,
               {_masked("count(*) FILTER (WHERE state = 'accepte' AND traite_at < $au_next)")} AS acceptes_total,
               CAST(min(depose_at) AS DATE) AS since
        FROM dossiers
        """,
        _params(f),
    )
    frame.insert(2, "median_days", median["median"].where(median["n"] >= MIN_CELL).to_numpy())
    return frame


def monthly() -> pd.DataFrame:
    """Per month of the window: ``[month, complete, deposes, acceptes, median_days]``.

    ``deposes`` by deposit date, ``acceptes`` by decision date (each series masked as a whole, its total being
    the card's); ``median_days`` median processing time of the month's decisions in working days, NULL under 5;
    ``complete`` false for a month the data only partly cover. Every month of the window, in order.
    """
    f = window()
    counts = db.query(
        f"""
        WITH months AS (
            SELECT CAST(m AS DATE) AS month FROM generate_series(CAST($du AS TIMESTAMP), CAST($au_next AS TIMESTAMP),
                                                                 INTERVAL 1 MONTH) g(m)
            WHERE m < CAST($au_next AS TIMESTAMP)
        ), dep AS (
            SELECT m.month, count(d.depose_at) AS n FROM months m
            LEFT JOIN dossiers d ON date_trunc('month', d.depose_at) = m.month AND d.depose_at < $au_next
            GROUP BY m.month
        ), acc AS (
            SELECT m.month, count(d.traite_at) AS n FROM months m
            LEFT JOIN dossiers d ON date_trunc('month', d.traite_at) = m.month AND d.traite_at < $au_next
                                AND d.state = 'accepte'
            GROUP BY m.month
        ), dep_s AS ({suppressed_sql("dep", "month")}), acc_s AS ({suppressed_sql("acc", "month")})
        SELECT dep_s.month, CAST(dep_s.month + INTERVAL 1 MONTH AS DATE) <= $au_next AS complete,
               dep_s.shown AS deposes, acc_s.shown AS acceptes
        FROM dep_s JOIN acc_s USING (month) ORDER BY month
        """,
        _params(f),
    )
    medians = delays.processing_by(f, "month", "working", "decision")
    return counts.merge(medians[["key", "median"]].rename(columns={"key": "month", "median": "median_days"}),
                        on="month", how="left")


def status_mix() -> pd.DataFrame:
    """Current state of the dossiers deposited in the window: ``[state, label, dossiers, share]``.

    The five states in journey order; ``dossiers`` masked (NULL) per the module's rules; ``share`` of all the
    window's deposits in 0..1, NULL where ``dossiers`` is.
    """
    f = window()
    return db.query(
        f"""
        WITH s AS (SELECT unnest($codes) AS state, unnest($labels) AS label, generate_subscripts($codes, 1) AS pos),
             c AS (SELECT s.state, s.label, s.pos, count(d.state) AS n
                   FROM s LEFT JOIN dossiers d ON d.state = s.state AND d.depose_at >= $du AND d.depose_at < $au_next
                   GROUP BY ALL)
        SELECT state, label, shown AS dossiers, shown / sum(n) OVER () AS share
        FROM ({suppressed_sql("c", "pos")}) ORDER BY pos
        """,
        _params(f) | {"codes": list(STATES), "labels": list(STATES.values())},
    )


def by_departement() -> pd.DataFrame:
    """Dossiers deposited in the window per department: ``[departement, name, dossiers, share]``.

    Departments with at least one deposit (dossiers without a department under "Non renseigné"); ``dossiers``
    masked per the module's rules, ``share`` of the window's deposits (NULL where masked). Most dossiers first,
    then code (masked rows last).
    """
    f = window()
    return db.query(
        f"""
        WITH c AS (
            SELECT d.departement, coalesce(r.name, d.departement, 'Non renseigné') AS name, count(*) AS n
            FROM dossiers d LEFT JOIN ref_departements r ON r.code = d.departement
            WHERE d.depose_at >= $du AND d.depose_at < $au_next GROUP BY ALL
        )
        SELECT departement, name, shown AS dossiers, shown / sum(n) OVER () AS share
        FROM ({suppressed_sql("c", "departement")})
        ORDER BY dossiers DESC NULLS LAST, departement NULLS LAST
        """,
        _params(f),
    )


def top_nationalities(top: int = TOP_NATIONALITIES) -> pd.DataFrame:
    """The ``top`` most frequent nationalities of the window's deposits: ``[rank, nationality, dossiers, share]``.

    Only nationalities with at least 5 dossiers are ranked (no masked row is listed, so no total can give one
    back); ``nationality`` the French country name; ``share`` of all the window's deposits (unknown nationality
    included), in 0..1. Ties broken by name.
    """
    f = window()
    return db.query(
        f"""
        WITH c AS (
            SELECT coalesce(rn.name_fr, d.nationality) AS nationality, count(*) AS n
            FROM dossiers d LEFT JOIN ref_countries rn ON rn.iso2 = d.nationality
            WHERE d.depose_at >= $du AND d.depose_at < $au_next GROUP BY ALL
        ), ranked AS (
            SELECT nationality, n, n / sum(n) OVER () AS share,
                   row_number() OVER (ORDER BY nationality IS NULL, n DESC, nationality) AS rank
            FROM c
        )
        SELECT CAST(rank AS INTEGER) AS rank, nationality, n AS dossiers, share FROM ranked
        WHERE nationality IS NOT NULL AND n >= {MIN_CELL} AND rank <= $top ORDER BY rank
        """,
        _params(f) | {"top": top},
    )


def visits_by_month() -> pd.DataFrame:
    """Visits of the WIF site per month of the window: ``[month, complete, visits]`` (Matomo; daily totals
    stand in for days whose detailed log is purged, see ``metrics.audience.visits_over_time``)."""
    frame = audience.visits_over_time(window(), "month")
    return frame.rename(columns={"periode": "month"})[["month", "complete", "visits"]]
