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
from metrics.stats import MIN_CELL, grouping_set_id

TEN_MINUTES_S = 600
BY = ("device", "audience", "month")
# Aggregates of a group of departures; ``q`` holds the 50th, 90th, 25th and 75th percentiles (one sort of the group
# for the four: separate quantile_cont calls each sort it again), read by ``_SUMMARY_STATS``.
_STATS = f"""count(*) AS departures,
    CASE WHEN count(*) >= {MIN_CELL} THEN quantile_cont(s, [0.5, 0.9, 0.25, 0.75]) END AS q,
    count(*) FILTER (WHERE s < {TEN_MINUTES_S}) AS under_10,
    CASE WHEN count(*) >= {MIN_CELL} THEN count(*) FILTER (WHERE s < {TEN_MINUTES_S}) / count(*) END
        AS share_under_10"""


def _departures_sql(where: str) -> str:
    return f"SELECT v.*, v.seconds_to_ds AS s FROM ds_departures v WHERE {where}"


SUMMARY_COLUMNS = ("departures", "median_s", "p25_s", "p75_s", "p90_s", "under_10", "share_under_10")
_BY_STATS = ("departures", "median_s", "p90_s", "under_10", "share_under_10")
_SUMMARY_STATS = "q[1] AS median_s, q[3] AS p25_s, q[4] AS p75_s, q[2] AS p90_s"
_MONTHS = """SELECT CAST(m AS DATE) AS key FROM generate_series(
                 date_trunc('month', CAST($du AS DATE)), CAST($au AS TIMESTAMP), INTERVAL 1 MONTH) g(m)"""


def time_summary(f: Filters, along: tuple[str, ...] = ()) -> pd.DataFrame:
    """Headline time to apply: one row ``[departures, median_s, p25_s, p75_s, p90_s, under_10, share_under_10]``.

    ``departures``: visits that clicked through to DS (count); quantiles of the delay in seconds;
    ``under_10``: departures in strictly less than 10 minutes (600 s), ``share_under_10`` their share in 0..1.
    Statistics NULL when departures < 5.

    ``along``: breakdowns of ``time_by`` computed in the same query (one scan of the departures; the query is
    cached, so ``time_by(f, by, along)`` next costs nothing), for a page showing both. Same frame either way.
    """
    if along:
        return _grouped(f, tuple(dict.fromkeys(along))).iloc[:1][list(SUMMARY_COLUMNS)]
    where, params = visit_where(f)
    return db.query(
        f"""
        SELECT departures, {_SUMMARY_STATS}, under_10, share_under_10
        FROM (SELECT {_STATS} FROM ({_departures_sql(where)}))
        """,
        params,
    )


def _grouped(f: Filters, names: tuple[str, ...]) -> pd.DataFrame:
    """``time_summary``'s row then the rows of ``time_by`` for each breakdown of ``names``, from one scan of the
    departures (GROUPING SETS). Columns ``[breakdown, key_<name>…, label_<name>…, <SUMMARY_COLUMNS>]``: ``breakdown``
    NULL on the summary row; a breakdown's rows, in ``time_by``'s order, have their key and label in its columns."""
    for name in names:
        _check(name)
    where, params = visit_where(f)
    groups = tuple(f"key_{name}" for name in names)
    keys = {"device": "v.device_type", "audience": "v.audience",
            "month": "CAST(date_trunc('month', v.visit_date) AS DATE)"}

    def branch(i: int, name: str) -> str:
        rows = f"SELECT * FROM g WHERE gs = {grouping_set_id(groups, i)}"
        if name == "month":
            return f"""SELECT 'month' AS breakdown, m.key AS key_month, m.key AS label_month,
                              coalesce(g.departures, 0) AS departures, {_SUMMARY_STATS},
                              coalesce(g.under_10, 0) AS under_10, g.share_under_10,
                              row_number() OVER (ORDER BY m.key) AS pos
                       FROM ({_MONTHS}) m LEFT JOIN ({rows}) g ON g.key_month = m.key"""
        label = (device_label_sql if name == "device" else audience_label_sql)(f"key_{name}")
        return f"""SELECT '{name}' AS breakdown, key_{name}, {label} AS label_{name}, departures, {_SUMMARY_STATS},
                          under_10, share_under_10, row_number() OVER (ORDER BY departures DESC, {label}) AS pos
                   FROM ({rows})"""

    branches = "".join(f" UNION ALL BY NAME ({branch(i, name)})" for i, name in enumerate(names))
    return db.query(
        f"""
        WITH g AS (SELECT grouping({", ".join(groups)}) AS gs, {", ".join(groups)}, {_STATS}
                   FROM (SELECT {", ".join(f"{keys[n]} AS key_{n}" for n in names)}, v.seconds_to_ds AS s
                         FROM ds_departures v WHERE {where})
                   GROUP BY GROUPING SETS ({", ".join(f"({g})" for g in groups)}, ()))
        SELECT * EXCLUDE (pos) FROM (
            (SELECT NULL AS breakdown, departures, {_SUMMARY_STATS}, under_10, share_under_10, NULL AS pos
             FROM g WHERE gs = {(1 << len(groups)) - 1}){branches}
        ) ORDER BY breakdown NULLS FIRST, pos
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


def time_by(f: Filters, by: str, along: tuple[str, ...] = ()) -> pd.DataFrame:
    """Time to apply per device type, audience or month of the visit (``by`` in ``BY``).

    Columns ``[key, label, departures, median_s, p90_s, under_10, share_under_10]`` (units as in
    ``time_summary``). ``device`` and ``audience``: groups with departures, most departures first; ``month``:
    every month overlapping the period in order (``key`` its first day, zero departures and NULL statistics
    included).

    ``along``: other breakdowns computed in the same query, as in ``time_summary``. Same frame either way.
    """
    _check(by)
    frame = _grouped(f, tuple(dict.fromkeys((*along, by))))
    rows = frame[frame.breakdown == by]
    return (rows[[f"key_{by}", f"label_{by}", *_BY_STATS]]
            .rename(columns={f"key_{by}": "key", f"label_{by}": "label"}).reset_index(drop=True))


def _check(by: str) -> None:
    if by not in BY:
        raise ValueError(f"ventilation inconnue : {by}")
