"""Time to apply: from the first page view of a visit to its first click towards the Démarches Simplifiées form.

WIF promised an application in "moins de dix minutes". What Matomo can measure is the part spent on the WIF site:
``visits.seconds_to_ds`` = first click on an outlink to a DS ``/commencer/`` form − first action of the same
visit, in seconds. It cannot see the time spent filling in the DS form (another site), nor a journey spread over
several visits (each visit is measured on its own; a visit that left and came back later to click counts from
its own first page).

Population: the visits of the period (raw log, department and audience filters; never the contract filter) that
reached DS, with a non-negative delay (the ETL keeps them in ``ds_departures``). Statistics (quantiles, shares) are
NULL below ``MIN_CELL`` (5) such visits; counts are always given. Quantiles interpolate linearly (``quantile_cont``).
"""

from __future__ import annotations

import pandas as pd

from metrics import db
from metrics.audience import audience_label_sql, device_label_sql
from metrics.filters import Filters, visit_where
from metrics.stats import MIN_CELL

TEN_MINUTES_S = 600
BY = ("device", "audience", "month")
# Aggregates of a group of departures; ``q`` holds the 50th, 90th, 25th and 75th percentiles (one sort of the group
# for the four: separate quantile_cont calls each sort it again), read by ``_STATS_COLUMNS``.
_STATS = f"""count(*) AS departures,
    CASE WHEN count(*) >= {MIN_CELL} THEN quantile_cont(s, [0.5, 0.9, 0.25, 0.75]) END AS q,
    count(*) FILTER (WHERE s < {TEN_MINUTES_S}) AS under_10,
    CASE WHEN count(*) >= {MIN_CELL} THEN count(*) FILTER (WHERE s < {TEN_MINUTES_S}) / count(*) END
        AS share_under_10"""
_STATS_COLUMNS = "departures, q[1] AS median_s, q[2] AS p90_s, under_10, share_under_10"


def _departures_sql(where: str) -> str:
    return f"SELECT v.*, v.seconds_to_ds AS s FROM ds_departures v WHERE {where}"


def time_summary(f: Filters) -> pd.DataFrame:
    """Headline time to apply: one row ``[departures, median_s, p25_s, p75_s, p90_s, under_10, share_under_10]``.

    ``departures``: visits that clicked through to DS (count); quantiles of the delay in seconds;
    ``under_10``: departures in strictly less than 10 minutes (600 s), ``share_under_10`` their share in 0..1.
    Statistics NULL when departures < 5.
    """
    where, params = visit_where(f)
    return db.query(
        f"""
        SELECT departures, q[1] AS median_s, q[3] AS p25_s, q[4] AS p75_s, q[2] AS p90_s, under_10, share_under_10
        FROM (SELECT {_STATS} FROM ({_departures_sql(where)}))
        """,
        params,
    )


def time_distribution(f: Filters, cap_minutes: int = 30) -> pd.DataFrame:
    """Distribution of the time to apply by whole minutes.

    Columns ``[minute, overflow, departures, share, cumulative_share]``: one row per minute ``0 … cap − 1``
    (``minute`` m holds delays in [m, m + 1) minutes) and a last row ``minute = cap``, ``overflow`` true, for
    delays of ``cap`` minutes or more; zeros included. ``share`` and ``cumulative_share`` (share up to the end of
    the bin) in 0..1 of all departures, NULL without departures.
    """
    where, params = visit_where(f)
    return db.query(
        f"""
        WITH bins AS (SELECT m AS minute FROM range(0, $cap + 1) r(m)),
             c AS (SELECT least(s // 60, $cap) AS minute, count(*) AS n FROM ({_departures_sql(where)}) GROUP BY 1)
        SELECT b.minute, b.minute = $cap AS overflow, coalesce(c.n, 0) AS departures,
               coalesce(c.n, 0) / nullif(sum(c.n) OVER (), 0) AS share,
               sum(coalesce(c.n, 0)) OVER (ORDER BY b.minute) / nullif(sum(c.n) OVER (), 0) AS cumulative_share
        FROM bins b LEFT JOIN c USING (minute)
        ORDER BY b.minute
        """,
        params | {"cap": cap_minutes},
    )


def time_by(f: Filters, by: str) -> pd.DataFrame:
    """Time to apply per device type, audience or month of the visit (``by`` in ``BY``).

    Columns ``[key, label, departures, median_s, p90_s, under_10, share_under_10]`` (units as in
    ``time_summary``). ``device`` and ``audience``: groups with departures, most departures first; ``month``:
    every month overlapping the period in order (``key`` its first day, zero departures and NULL statistics
    included).
    """
    if by not in BY:
        raise ValueError(f"ventilation inconnue : {by}")
    where, params = visit_where(f)
    if by == "month":
        return db.query(
            f"""
            WITH months AS (SELECT CAST(m AS DATE) AS key FROM generate_series(
                                date_trunc('month', CAST($du AS DATE)), CAST($au AS TIMESTAMP), INTERVAL 1 MONTH) g(m)),
                 s AS (SELECT CAST(date_trunc('month', visit_date) AS DATE) AS key, {_STATS}
                       FROM ({_departures_sql(where)}) GROUP BY 1)
            SELECT m.key, m.key AS label, coalesce(s.departures, 0) AS departures, s.q[1] AS median_s,
                   s.q[2] AS p90_s,
                   coalesce(s.under_10, 0) AS under_10, s.share_under_10
            FROM months m LEFT JOIN s USING (key) ORDER BY m.key
            """,
            params,
        )
    key, label = (("device_type", device_label_sql("device_type")) if by == "device"
                  else ("audience", audience_label_sql("audience")))
    return db.query(
        f"""
        SELECT key, label, {_STATS_COLUMNS} FROM (
            SELECT {key} AS key, {label} AS label, {_STATS} FROM ({_departures_sql(where)}) GROUP BY 1, 2
        ) ORDER BY departures DESC, label
        """,
        params,
    )
