"""Decisions: acceptance, refusal and "classement sans suite" rates with Wilson 95 % intervals.

Population: dossiers decided (accepté, refusé, classé sans suite) whose dateTraitement falls in the period,
whenever they were deposited; open dossiers are excluded.

* refusal rate = refusés / (acceptés + refusés + sans suite); sans-suite rate = sans suite / the same total.
* Each rate comes with its Wilson score 95 % interval. A rate (and its interval) is NULL when fewer than 5
  dossiers were decided: the pages show "—" (moins de 5 dossiers).

Counts come from ``decisions_daily`` (decisions per day, department, audience and contract, derived by the ETL):
at scale 100 a few hundred thousand rows instead of a million dossiers; the nationality breakdown alone reads
the dossiers.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from metrics import db
from metrics.filters import Filters, decisions_where
from metrics.stats import (
    DECIDED,
    MIN_CELL,
    dimension,
    grouping_set_id,
    labelled_groups,
    labelled_key,
    rate_columns_sql,
    split_parts,
)

OUTCOMES = {"refuse": "refus", "sans_suite": "classement sans suite"}
OUTCOME_COLUMNS = {"refuse": "refuses", "sans_suite": "sans_suite"}   # columns of decisions_daily
POSITIONS = {"above": "au-dessus", "below": "en dessous", "within": "dans l'intervalle"}
# The four counts from dossiers ``d`` (reports group them with other dossier figures), and from daily counts ``c``.
DOSSIER_DECISION_COUNTS_SQL = """count(*) AS decided,
             count(*) FILTER (WHERE d.state = 'accepte') AS acceptes,
             count(*) FILTER (WHERE d.state = 'refuse') AS refuses,
             count(*) FILTER (WHERE d.state = 'sans_suite') AS sans_suite"""
_DECIDED_SUM = "c.acceptes + c.refuses + c.sans_suite"   # decisions of a decisions_daily row
DECISION_COUNTS_SQL = f"""CAST(coalesce(sum({_DECIDED_SUM}), 0) AS BIGINT) AS decided,
             CAST(coalesce(sum(c.acceptes), 0) AS BIGINT) AS acceptes,
             CAST(coalesce(sum(c.refuses), 0) AS BIGINT) AS refuses,
             CAST(coalesce(sum(c.sans_suite), 0) AS BIGINT) AS sans_suite"""
DECISION_RATES_SQL = (f"{rate_columns_sql('refuses', 'decided', 'refusal')}, "
                      f"{rate_columns_sql('sans_suite', 'decided', 'sans_suite')}")
# The decided dossiers one by one, in the columns of ``decisions_daily`` plus their nationality: the source of the
# nationality breakdown (the daily table has no nationality: with it, it would hold about as many rows as dossiers).
_PER_DOSSIER = f"""(
    SELECT CAST(d.traite_at AS DATE) AS day, d.departement, d.audience, d.contract_category, d.nationality,
           CAST(d.state = 'accepte' AS INTEGER) AS acceptes, CAST(d.state = 'refuse' AS INTEGER) AS refuses,
           CAST(d.state = 'sans_suite' AS INTEGER) AS sans_suite
    FROM dossiers d WHERE {DECIDED} AND d.traite_at IS NOT NULL
)"""


def _source(by: str | None = None) -> str:
    """Relation (alias ``c``) of the decision counts: ``decisions_daily``, or the dossiers themselves for the
    nationality breakdown."""
    return f"{_PER_DOSSIER} c" if by == "nationality" else "decisions_daily c"


def decision_rates(f: Filters) -> pd.DataFrame:
    """Decisions of the period and their rates.

    One row ``[decided, acceptes, refuses, sans_suite, refusal_rate, refusal_low, refusal_high, sans_suite_rate,
    sans_suite_low, sans_suite_high]``: counts of dossiers; rates and Wilson 95 % bounds in 0..1, NULL when
    decided < 5.
    """
    where, params = decisions_where(f)
    return db.query(
        f"SELECT *, {DECISION_RATES_SQL} FROM (SELECT {DECISION_COUNTS_SQL} FROM {_source()} WHERE {where})",
        params,
    )


def rates_by(f: Filters, by: str) -> pd.DataFrame:
    """Decisions and rates per ``by``: month (of decision), departement, contract, nationality or audience.

    Columns ``[key, label, <decision_rates columns>]``; groups without any decision are absent; row order
    from ``metrics.stats.breakdown_order`` (volume = decided).
    """
    where, params = decisions_where(f)
    counts = f"""
        SELECT *, {DECISION_RATES_SQL} FROM (
            SELECT {dimension(by, "day", alias="c").key} AS key, {DECISION_COUNTS_SQL}
            FROM {_source(by)} WHERE {where} GROUP BY ALL
        )
    """
    return db.query(labelled_groups(by, counts, "decided"), params)


def rates_with_total(f: Filters, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(decision_rates(f), rates_by(f, by))`` from one short query over ``decisions_daily`` (the period's total
    and its groups as two GROUPING SETS, rates written once for both): the same frames, planned several times faster
    than ``decision_figures`` for a page needing neither the previous period nor a second breakdown. Not
    "nationality" (``rates_by`` reads the dossiers for it)."""
    if by == "nationality":
        raise ValueError("la ventilation par nationalité lit les dossiers : rates_by(f, 'nationality')")
    where, params = decisions_where(f)
    key = dimension(by, "day", alias="c").key
    counts = f"""
        SELECT *, {DECISION_RATES_SQL} FROM (
            SELECT {key} AS key, CASE grouping({key}) WHEN 1 THEN 'total' ELSE 'by' END AS breakdown,
                   {DECISION_COUNTS_SQL}
            FROM decisions_daily c WHERE {where} GROUP BY GROUPING SETS ((), ({key}))
        )
    """
    # The total's label NULL: without groups, the label column then comes as rates_by's (no text in it).
    frame = db.query(f"SELECT * REPLACE (CASE WHEN breakdown = 'by' THEN label END AS label) "
                     f"FROM ({labelled_groups(by, counts, 'decided', 'pos')}) ORDER BY breakdown DESC, pos", params)
    rates = [c for c in frame.columns if c not in ("key", "label", "breakdown", "pos")]
    parts = split_parts(frame, {"total": tuple(rates), "by": ("key", "label", *rates)})
    return parts["total"], parts["by"]


def decision_figures(f: Filters, breakdowns: tuple[str, ...] = ("month", "contract")) -> dict[str, pd.DataFrame]:
    """A page's decision figures from one query over ``decisions_daily`` (the period and the previous one).

    ``{"now": decision_rates(f), "previous": decision_rates(f.previous()), "<by>": rates_by(f, by) for each of
    ``breakdowns``}`` (not "nationality", which reads the dossiers): the same frames as those functions.
    """
    if "nationality" in breakdowns:
        raise ValueError("la ventilation par nationalité lit les dossiers : rates_by(f, 'nationality')")
    where, params = decisions_where(f)
    previous, previous_params = decisions_where(f.previous(), prefix="p_")
    groups = tuple(f"key_{name}" for name in breakdowns)
    keys = ", ".join(f"CASE WHEN cur THEN {dimension(name, 'day', alias='c').key} END AS key_{name}"
                     for name in breakdowns)
    sets = ", ".join(["(cur)", *(f"(cur, {g})" for g in groups)])
    counts = ", ".join(f"coalesce(s.{c}, 0) AS {c}" for c in ("decided", "acceptes", "refuses", "sans_suite"))
    total = 2 ** len(groups) - 1   # grouping_set of the (cur) rows: every breakdown column ungrouped
    totals = [f"(SELECT '{name}' AS breakdown, 0 AS pos, *, {DECISION_RATES_SQL} FROM ("
              f"SELECT {counts} FROM (SELECT 1) LEFT JOIN s ON s.cur = {cur} AND s.grouping_set = {total}))"
              for name, cur in (("now", "true"), ("previous", "false"))]

    def branch(i: int, name: str) -> str:
        rates = (f"SELECT {groups[i]} AS key, decided, acceptes, refuses, sans_suite, {DECISION_RATES_SQL} FROM s "
                 f"WHERE cur AND grouping_set = {grouping_set_id(groups, i)}")
        return (f"(SELECT '{name}' AS breakdown, key AS key_{name}, label AS label_{name}, * EXCLUDE (key, label) "
                f"FROM ({labelled_groups(name, rates, 'decided', 'pos')}))")

    frame = db.query(
        f"""
        WITH s AS MATERIALIZED (
            SELECT cur, {", ".join(groups)}, grouping({", ".join(groups)}) AS grouping_set, {DECISION_COUNTS_SQL}
            FROM (SELECT c.*, {keys} FROM (SELECT c.*, {where} AS cur FROM decisions_daily c
                                          WHERE ({where}) OR ({previous})) c) c
            GROUP BY GROUPING SETS ({sets})
        )
        {" UNION ALL BY NAME ".join(totals + [branch(i, name) for i, name in enumerate(breakdowns)])}
        ORDER BY breakdown, pos
        """,
        params | previous_params,
    )
    rates = ("decided", "acceptes", "refuses", "sans_suite", *(f"{p}_{x}" for p in ("refusal", "sans_suite")
                                                                  for x in ("rate", "low", "high")))
    return split_parts(frame, {"now": rates, "previous": rates,
                               **{name: ("key", "label", *rates) for name in breakdowns}})


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
    events = f"c.{OUTCOME_COLUMNS[outcome]}"
    where, params = decisions_where(f)
    nat_where, nat_params = decisions_where(replace(f, departements=()), prefix="n_")
    group = labelled_key("departement", "g.departement")      # labels made per department, after counting
    return db.query(
        f"""
        WITH nat AS (
            SELECT CAST(sum({events}) AS DOUBLE) / nullif(sum({_DECIDED_SUM}), 0) AS p0
            FROM decisions_daily c WHERE {nat_where}
        ), dep AS (
            SELECT g.departement, {group.label} AS label, g.decided, g.events FROM (
                SELECT c.departement, CAST(sum({_DECIDED_SUM}) AS BIGINT) AS decided,
                       CAST(sum({events}) AS BIGINT) AS events
                FROM decisions_daily c WHERE {where} AND c.departement IS NOT NULL
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
        params | nat_params,
    )
