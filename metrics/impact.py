"""Impact figures of the service, as a startup d'État reports them to its incubator.

Only the measures no other module defines live here — cumulative dossiers, departments covered over time and
the monthly share of visitors who went from WIF to the Démarches Simplifiées form. The Impact page takes the
rest from their own modules, each headline and its months from one query: processing time
(``metrics.delays.processing_figures(f, "month")``), time to apply against the 10-minute promise
(``metrics.time_to_apply.time_by(f, "month")``) and refusal rate (``metrics.decisions.rates_with_total(f, "month")``).

``since_launch(f)`` widens a period to the first day of data: the impact of a service is usually told since
its launch. Department, audience and contract filters apply as everywhere.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd

from metrics import db, journey
from metrics.filters import Filters, dossier_scope, visit_where
from metrics.meta import freshness


def since_launch(f: Filters) -> Filters:
    """``f`` starting on the first day of data (unchanged when the data start later than ``f.start``)."""
    start = freshness().data_start
    return replace(f, start=min(f.start, start)) if start else f


def _months_sql() -> str:
    """Months overlapping [$du, $au_next) as ``months(month)`` (DATE, first day)."""
    return """months AS (
        SELECT CAST(m AS DATE) AS month
        FROM generate_series(date_trunc('month', CAST($du AS TIMESTAMP)), CAST($au_next AS TIMESTAMP),
                             INTERVAL 1 MONTH) g(m)
        WHERE m < CAST($au_next AS TIMESTAMP))"""


def _params(f: Filters) -> dict:
    return {"du": f.start, "au_next": f.end + timedelta(days=1)}


def _deposits(f: Filters) -> pd.DataFrame:
    """The columns of ``cumulative_deposits`` then those of ``departements_covered`` (``month`` once), one query."""
    scope, params = dossier_scope(f)
    return db.query(
        f"""
        WITH {_months_sql()},
             c AS (SELECT CAST(date_trunc('month', d.depose_at) AS DATE) AS month, count(*) AS n
                   FROM dossiers d
                   WHERE {scope} AND d.depose_at >= CAST($du AS TIMESTAMP) AND d.depose_at < CAST($au_next AS TIMESTAMP)
                   GROUP BY 1),
             before AS (SELECT count(*) AS n FROM dossiers d WHERE {scope} AND d.depose_at < CAST($du AS TIMESTAMP)),
             first AS (SELECT g.departement, coalesce(r.name, g.departement) AS name, g.first_at
                       FROM (SELECT d.departement, min(d.depose_at) AS first_at FROM dossiers d
                             WHERE {scope} AND d.departement IS NOT NULL AND d.depose_at IS NOT NULL GROUP BY 1) g
                       LEFT JOIN ref_departements r ON r.code = g.departement),
             covered AS (SELECT b.month,
                                count(f.departement) FILTER (WHERE f.first_at >= b.lo) AS new,
                                count(f.departement) AS covered,
                                string_agg(f.name, ', ' ORDER BY f.departement) FILTER (WHERE f.first_at >= b.lo)
                                    AS new_names
                         FROM (SELECT month, greatest(CAST(month AS TIMESTAMP), CAST($du AS TIMESTAMP)) AS lo,
                                      least(CAST(month + INTERVAL 1 MONTH AS TIMESTAMP),
                                            CAST($au_next AS TIMESTAMP)) AS hi
                               FROM months) b
                         LEFT JOIN first f ON f.first_at < b.hi
                         GROUP BY b.month)
        SELECT m.month, coalesce(c.n, 0) AS deposes,
               CAST((SELECT n FROM before) + sum(coalesce(c.n, 0)) OVER (ORDER BY m.month) AS BIGINT) AS cumulative,
               covered.new, covered.covered, covered.new_names
        FROM months m LEFT JOIN c USING (month) JOIN covered USING (month) ORDER BY m.month
        """,
        params | _params(f),
    )


def cumulative_deposits(f: Filters) -> pd.DataFrame:
    """Dossiers déposés per month of the period and cumulated since the first dossier ever.

    Columns ``[month, deposes, cumulative]``: every month overlapping the period (DATE, first day; the first
    and last months count only their days inside the period); ``cumulative`` counts every deposit up to the end
    of the month (or of the period), including those before the period. Unit: dossiers. Same query as
    ``departements_covered`` (cached).
    """
    return _deposits(f)[["month", "deposes", "cumulative"]]


def departements_covered(f: Filters) -> pd.DataFrame:
    """Departments covered over time: a department is covered from its first dossier déposé (as in
    ``metrics.dossiers.rollout``), over the whole history.

    Columns ``[month, new, covered, new_names]`` for every month overlapping the period: departments whose first
    dossier falls in the month (within the period), departments covered at the end of the month (or of the
    period), and the new ones' names (comma-separated, by code; NULL when none). Unit: departments. Same query as
    ``cumulative_deposits`` (cached).
    """
    return _deposits(f)[["month", "new", "covered", "new_names"]]


def _reach_ds(f: Filters) -> pd.DataFrame:
    """``reach_ds_by_month``'s rows then one total row (``month`` NULL), from one scan of ``visits_daily`` (summed
    per day and depth first: the month is then computed once per day, not once per row)."""
    where, params = visit_where(f)
    steps = f"""{journey._visits_with("depth >= 1")} AS started, {journey._visits_with("depth >= 3")} AS reached_ds"""
    return db.query(
        f"""
        WITH {_months_sql()},
             s AS (SELECT visit_date, depth, sum(n) AS n FROM ({journey._site_steps_sql(where)}) GROUP BY 1, 2),
             c AS (SELECT CAST(date_trunc('month', visit_date) AS DATE) AS month, {steps} FROM s GROUP BY 1),
             r AS (SELECT m.month, coalesce(c.started, 0) AS started, coalesce(c.reached_ds, 0) AS reached_ds
                   FROM months m LEFT JOIN c USING (month)
                   UNION ALL SELECT NULL, CAST(coalesce(sum(c.started), 0) AS BIGINT),
                                    CAST(coalesce(sum(c.reached_ds), 0) AS BIGINT) FROM c)
        SELECT month, started, reached_ds, reached_ds / nullif(started, 0) AS share FROM r ORDER BY month NULLS LAST
        """,
        params | _params(f),
    )


def reach_ds_by_month(f: Filters) -> pd.DataFrame:
    """Share of the visitors starting the WIF journey who went on to the Démarches Simplifiées form, per month.

    For each month overlapping the period (cut to the period): ``journey.funnel``'s first step (visits that saw
    the home page or a checklist page) and its DS departure step (visits that clicked through to a DS form), as
    ``journey.funnel_by(f, "month")`` counts them (0 for a month without visit).
    Columns ``[month, started, reached_ds, share]``; ``share`` = reached_ds / started in 0..1, NULL when no visit
    started. Unit: visits (raw log: days whose log is purged are missing from both counts).
    """
    frame = _reach_ds(f)
    return frame.iloc[:-1].reset_index(drop=True)


def reach_ds(f: Filters) -> pd.DataFrame:
    """``reach_ds_by_month`` over the whole period: one row ``[started, reached_ds, share]``, the counts of
    ``journey.funnel``'s first and DS departure steps and its ``overall`` share of the latter (NULL when no visit
    started). Same query as ``reach_ds_by_month`` (cached): a page showing both scans the visits once."""
    return _reach_ds(f).iloc[-1:][["started", "reached_ds", "share"]].reset_index(drop=True)
