"""Dossier volumes: deposits over time, current state, departments and the service's rollout.

A dossier is *déposé* on its ``dateDepot`` (``depose_at``); the period filter applies to that date unless a
function says otherwise. The "état" of a dossier is its state today (at the data date), whatever the period.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd

from metrics import audience, db, decisions, delays
from metrics.filters import Filters, buckets_cte, decisions_where, dossier_scope, dossier_where, visit_where
from metrics.stats import DECIDED, duration_stats_sql, split_parts

# DS states in journey order, with their French labels.
STATES = {
    "en_construction": "En construction",
    "en_instruction": "En instruction",
    "accepte": "Accepté",
    "refuse": "Refusé",
    "sans_suite": "Classé sans suite",
}


def deposits_summary(f: Filters) -> pd.DataFrame:
    """Dossiers déposés in the period (any current state).

    Unit: dossiers. One row ``[deposes]``; 0 for an empty period.
    """
    where, params = dossier_where(f, "depose_at")
    return db.query(f"SELECT count(*) AS deposes FROM dossiers d WHERE {where}", params)


def headlines(f: Filters, unit: str = "working") -> pd.DataFrame:
    """The home page's headline figures for the period and the previous one (``f.previous()``), in one query.

    Two rows, the period first: ``[current, deposes, delay_n, delay_median, decided, refuses, refusal_rate,
    refusal_low, refusal_high, visits, purged_days]``. Each value is the one of its own metric over that row's
    period: ``deposits_summary``; ``delays.processing_summary(…, unit, "decision")`` (``n``, ``median``);
    ``decisions.decision_rates``; ``audience.audience_summary`` (``visits``, ``purged_days``). Zeros and NULL
    statistics for a period without data.
    """
    both = replace(f, start=f.previous().start)     # the two adjacent periods, scanned once, split on ``$cur``
    deposited, params = dossier_where(both, "depose_at")
    decided, _ = delays.decided_sql(both, "decision")
    daily, _ = decisions_where(both)
    visited, _ = visit_where(both)
    cur_ts = "CAST($cur AS TIMESTAMP)"
    stats = duration_stats_sql("t", f"total_{unit}", ("current",))
    return db.query(
        f"""
        WITH dep AS (SELECT d.depose_at >= {cur_ts} AS current, count(*) AS deposes
                     FROM dossiers d WHERE {deposited} GROUP BY 1),
             t AS (SELECT traite_at >= {cur_ts} AS current, total_{unit} FROM ({decided})),
             dly AS ({stats}),
             dec AS (SELECT c.day >= $cur AS current, {decisions.DECISION_COUNTS_SQL}
                     FROM decisions_daily c WHERE {daily} GROUP BY 1),
             raw AS (SELECT v.visit_date >= $cur AS current, sum(v.visits) AS visits
                     FROM {audience._RAW_DAYS} v WHERE {visited} GROUP BY 1),
             purged AS (SELECT day >= $cur AS current, count(*) AS days, sum(visits) AS visits
                        FROM ({audience._PURGED}) GROUP BY 1),
             counts AS (
                 SELECT p.current, coalesce(dep.deposes, 0) AS deposes, coalesce(dly.n, 0) AS delay_n,
                        dly.median AS delay_median, coalesce(dec.decided, 0) AS decided,
                        coalesce(dec.acceptes, 0) AS acceptes, coalesce(dec.refuses, 0) AS refuses,
                        coalesce(dec.sans_suite, 0) AS sans_suite,
                        CAST(coalesce(raw.visits, 0) + CASE WHEN $reports THEN coalesce(purged.visits, 0) ELSE 0 END
                             AS BIGINT) AS visits,
                        CAST(coalesce(purged.days, 0) AS BIGINT) AS purged_days
                 FROM (VALUES (true), (false)) p(current) LEFT JOIN dep USING (current) LEFT JOIN dly USING (current)
                      LEFT JOIN dec USING (current) LEFT JOIN raw USING (current) LEFT JOIN purged USING (current)
             )
        SELECT current, deposes, delay_n, delay_median, decided, refuses,
               {decisions.DECISION_RATES_SQL}, visits, purged_days
        FROM counts ORDER BY current DESC
        """,
        params | {"au": f.end, "cur": f.start, "reports": audience._reports_included(f)},
    )


def volume_summary(f: Filters) -> pd.DataFrame:
    """Headline volumes of the period: one row ``[deposes, decides, departements]``.

    ``deposes``: dossiers déposés in the period; ``decides``: dossiers accepted, refused or classés sans suite
    with a ``dateTraitement`` in the period (whenever deposited); ``departements``: departments with at least
    one deposit in the period. Units: dossiers, departments; zeros for an empty period.
    """
    dep_where, params = dossier_where(f, "depose_at")
    dec_where, dec_params = dossier_where(f, "traite_at", prefix="t_")
    return db.query(
        f"""
        SELECT (SELECT count(*) FROM dossiers d WHERE {dep_where}) AS deposes,
               (SELECT count(*) FROM dossiers d WHERE {dec_where} AND {DECIDED}) AS decides,
               (SELECT count(DISTINCT d.departement) FROM dossiers d WHERE {dep_where}) AS departements
        """,
        params | dec_params,
    )


def deposits_over_time(f: Filters, grain: str = "month") -> pd.DataFrame:
    """Dossiers déposés per day, week (ISO, from Monday) or month, split by current state.

    Columns ``[periode, complete, en_construction, en_instruction, accepte, refuse, sans_suite, total]``:
    one row per bucket overlapping the period (zeros included), ``periode`` the bucket's first day (DATE),
    ``complete`` false for a first or last bucket cut by the period bounds. Unit: dossiers.
    """
    buckets = buckets_cte(grain)
    where, params = dossier_where(f, "depose_at")
    counts = ", ".join(f"coalesce(c.{s}, 0) AS {s}" for s in STATES)
    filtered = ", ".join(f"count(*) FILTER (WHERE d.state = '{s}') AS {s}" for s in STATES)
    return db.query(
        f"""
        WITH {buckets}, c AS (
            SELECT CAST(date_trunc($grain, d.depose_at) AS DATE) AS periode, {filtered}, count(*) AS total
            FROM dossiers d WHERE {where} GROUP BY 1
        )
        SELECT b.periode,
               b.complete,
               {counts}, coalesce(c.total, 0) AS total
        FROM buckets b LEFT JOIN c USING (periode)
        ORDER BY b.periode
        """,
        params | {"grain": grain, "au": f.end},
    )


def status_mix(f: Filters) -> pd.DataFrame:
    """Current state of the dossiers déposés in the period.

    Columns ``[state, label, dossiers, share]``, the five states in journey order (zeros included);
    ``share`` in 0..1 of the dossiers déposés, NULL when there are none.
    """
    where, params = dossier_where(f, "depose_at")
    return db.query(
        f"""
        WITH s AS (SELECT unnest($codes) AS state, unnest($labels) AS label, generate_subscripts($codes, 1) AS pos),
             c AS (SELECT d.state, count(*) AS n FROM dossiers d WHERE {where} GROUP BY 1)
        SELECT s.state, s.label, coalesce(c.n, 0) AS dossiers,
               coalesce(c.n, 0) / nullif(sum(coalesce(c.n, 0)) OVER (), 0) AS share
        FROM s LEFT JOIN c USING (state)
        ORDER BY s.pos
        """,
        params | {"codes": list(STATES), "labels": list(STATES.values())},
    )


def deposits_by_departement(f: Filters) -> pd.DataFrame:
    """Dossiers déposés per department in the period and in the previous period of the same length.

    Columns ``[departement, name, region, dossiers, previous, evolution, share]`` for every department with
    a deposit in either period, most dossiers first (then code). ``evolution`` = dossiers / previous − 1
    (NULL when previous = 0); ``share`` of the period's deposits in 0..1. Dossiers without a department are
    listed under a NULL code ("Non renseigné").
    """
    where, params = dossier_where(f, "depose_at")
    prev_where, prev_params = dossier_where(f.previous(), "depose_at", prefix="p_")
    return db.query(
        f"""
        WITH cur AS (SELECT d.departement, count(*) AS n FROM dossiers d WHERE {where} GROUP BY 1),
             prev AS (SELECT d.departement, count(*) AS n FROM dossiers d WHERE {prev_where} GROUP BY 1),
             both_periods AS (
                 SELECT coalesce(cur.departement, prev.departement) AS departement,
                        coalesce(cur.n, 0) AS dossiers, coalesce(prev.n, 0) AS previous
                 FROM cur FULL JOIN prev ON cur.departement IS NOT DISTINCT FROM prev.departement
             )
        SELECT b.departement, coalesce(r.name, 'Non renseigné') AS name, r.region_name AS region,
               b.dossiers, b.previous,
               CASE WHEN b.previous > 0 THEN CAST(b.dossiers AS DOUBLE) / b.previous - 1 END AS evolution,
               b.dossiers / nullif(sum(b.dossiers) OVER (), 0) AS share
        FROM both_periods b LEFT JOIN ref_departements r ON r.code = b.departement
        ORDER BY b.dossiers DESC, b.departement NULLS LAST
        """,
        params | prev_params,
    )


def rollout(f: Filters) -> pd.DataFrame:
    """The service's rollout: first dossier déposé in each department, over the whole history.

    The period is deliberately ignored (a first deposit is a fact of the history); the department, audience
    and contract filters apply. Columns ``[departement, name, first_deposit, dossiers, in_period]``:
    ``first_deposit`` a DATE, ``dossiers`` all deposits ever, ``in_period`` those of the period; departments in
    order of arrival (then code). Dossiers without a department are left out.
    """
    scope, params = dossier_scope(f)
    return db.query(
        f"""
        SELECT d.departement, coalesce(r.name, d.departement) AS name,
               CAST(min(d.depose_at) AS DATE) AS first_deposit, count(*) AS dossiers,
               count(*) FILTER (WHERE d.depose_at >= CAST($du AS TIMESTAMP)
                                  AND d.depose_at < CAST($au_next AS TIMESTAMP)) AS in_period
        FROM dossiers d LEFT JOIN ref_departements r ON r.code = d.departement
        WHERE {scope} AND d.depose_at IS NOT NULL AND d.departement IS NOT NULL
        GROUP BY d.departement, r.name
        ORDER BY first_deposit, d.departement
        """,
        params | {"du": f.start, "au_next": f.end + timedelta(days=1)},
    )


VOLUME_PARTS = {
    "now": ("deposes", "decides", "departements"), "before": ("deposes", "decides", "departements"),
    "states": ("state", "label", "dossiers", "share"),
    "departements": ("departement", "name", "region", "dossiers", "previous", "evolution", "share"),
    "rollout": ("departement", "name", "first_deposit", "dossiers", "in_period"),
    "time": ("periode", "complete", *STATES, "total"),
}
_COUNTS = ("deposes", "decides", "departements", "dossiers", "previous", "in_period", *STATES, "total")


def _sum(column: str, code: int) -> str:
    """Dossiers of the groups of ``volume_figures``'s ``a`` whose ``column`` is ``code`` (0 when none), as BIGINT."""
    return f"CAST(coalesce(sum(n) FILTER (WHERE {column} = {code}), 0) AS BIGINT)"


def volume_figures(f: Filters, grain: str = "month", parts: tuple[str, ...] = tuple(VOLUME_PARTS)
                   ) -> dict[str, pd.DataFrame]:
    """The Démarches page's volume figures, from one query (one grouping of the dossiers in scope, one plan).

    ``{"now": volume_summary(f), "before": volume_summary(f.previous()), "states": status_mix(f),
    "departements": deposits_by_departement(f), "rollout": rollout(f), "time": deposits_over_time(f, grain)}``:
    the same frames as those functions (same definitions), read from the dossiers of the department, audience
    and contract filters grouped once by department and state. Only the frames named in ``parts`` are returned
    (the query, cached, is the same whatever ``parts``).
    """
    scope, params = dossier_scope(f)
    deposited, _ = dossier_where(f, "depose_at")
    previous = f.previous()

    def period(col: str, prefix: str) -> str:
        return f"d.{col} >= CAST(${prefix}du AS TIMESTAMP) AND d.{col} < CAST(${prefix}au_next AS TIMESTAMP)"

    def volumes(part: str, code: int) -> str:
        return (f"(SELECT '{part}' AS breakdown, 0 AS pos, {_sum('dp', code)} AS deposes, "
                f"{_sum('tp', code)} AS decides, "
                f"count(DISTINCT departement) FILTER (WHERE dp = {code}) AS departements FROM a)")

    counts = ", ".join(f"count(*) FILTER (WHERE d.state = '{s}') AS {s}" for s in STATES)
    branches = [
        volumes("now", 1), volumes("before", 2),
        f"""(SELECT 'states' AS breakdown, s.pos, s.state, s.label, coalesce(c.n, 0) AS dossiers,
                   coalesce(c.n, 0) / nullif(sum(coalesce(c.n, 0)) OVER (), 0) AS share
            FROM (SELECT unnest($codes) AS state, unnest($labels) AS label, generate_subscripts($codes, 1) AS pos) s
            LEFT JOIN (SELECT state, {_sum('dp', 1)} AS n FROM a GROUP BY state) c USING (state))""",
        f"""(SELECT 'departements' AS breakdown, row_number() OVER (ORDER BY b.dossiers DESC, b.departement NULLS LAST)
                   AS pos, b.departement, coalesce(r.name, 'Non renseigné') AS name, r.region_name AS region,
                   b.dossiers, b.previous,
                   CASE WHEN b.previous > 0 THEN CAST(b.dossiers AS DOUBLE) / b.previous - 1 END AS evolution,
                   b.dossiers / nullif(sum(b.dossiers) OVER (), 0) AS share
            FROM (SELECT departement, {_sum('dp', 1)} AS dossiers, {_sum('dp', 2)} AS previous
                  FROM a WHERE dp > 0 GROUP BY departement) b
            LEFT JOIN ref_departements r ON r.code = b.departement)""",
        f"""(SELECT 'rollout' AS breakdown, row_number() OVER (ORDER BY o.first_deposit, o.departement) AS pos, o.*
            FROM (SELECT a.departement, coalesce(r.name, a.departement) AS name,
                         CAST(min(a.first_at) AS DATE) AS first_deposit, CAST(sum(a.ever) AS BIGINT) AS dossiers,
                         {_sum('dp', 1)} AS in_period
                  FROM a LEFT JOIN ref_departements r ON r.code = a.departement
                  WHERE a.departement IS NOT NULL GROUP BY a.departement, r.name HAVING sum(a.ever) > 0) o)""",
        f"""(SELECT 'time' AS breakdown, row_number() OVER (ORDER BY b.periode) AS pos, b.periode, b.complete,
                    {", ".join(f"coalesce(t.{s}, 0) AS {s}" for s in STATES)}, coalesce(t.total, 0) AS total
             FROM buckets b LEFT JOIN (
                 SELECT CAST(date_trunc($grain, d.depose_at) AS DATE) AS periode, {counts}, count(*) AS total
                 FROM dossiers d WHERE {deposited} GROUP BY 1) t USING (periode))""",
    ]
    frame = db.query(
        f"""
        WITH {buckets_cte(grain)},
             a AS MATERIALIZED (   -- dp / tp: deposited / decided in the period (1), the previous one (2) or neither
                 SELECT d.departement, d.state,
                        CASE WHEN {period("depose_at", "")} THEN 1 WHEN {period("depose_at", "p_")} THEN 2 ELSE 0 END
                            AS dp,
                        CASE WHEN NOT ({DECIDED}) THEN 0 WHEN {period("traite_at", "")} THEN 1
                             WHEN {period("traite_at", "p_")} THEN 2 ELSE 0 END AS tp,
                        count(*) AS n, min(d.depose_at) AS first_at, count(d.depose_at) AS ever
                 FROM dossiers d WHERE {scope} GROUP BY ALL)
        SELECT * REPLACE ({", ".join(f"coalesce({c}, 0) AS {c}" for c in _COUNTS)},
                          coalesce(complete, false) AS complete)   -- not NULL on the other parts: integer columns
        FROM ({" UNION ALL BY NAME ".join(branches)}) ORDER BY breakdown, pos
        """,
        params | {"du": f.start, "au_next": f.end + timedelta(days=1), "p_du": previous.start,
                  "p_au_next": previous.end + timedelta(days=1), "au": f.end, "grain": grain,
                  "codes": list(STATES), "labels": list(STATES.values())},
    )
    split = split_parts(frame, {name: VOLUME_PARTS[name] for name in parts})
    # An empty part's text columns as DuckDB types them in an empty answer of its own function: object.
    return {name: part if len(part) else part.astype({c: object for c, t in part.dtypes.items()
                                                      if isinstance(t, pd.StringDtype)})
            for name, part in split.items()}
