"""Processing times of dossiers (démarche duration) and the backlog of open dossiers.

Definitions (shown on the Délais page from ``DEFINITIONS``):

* total = dateTraitement − dateDepot; construction stage = datePassageEnInstruction − dateDepot;
  instruction stage = dateTraitement − datePassageEnInstruction.
* Durations count whole days between the Paris-time dates of the two events: calendar days are the
  difference of the dates; working days are the working days after the first date up to and including the
  second (weekends and French public holidays excluded, from the ``calendar`` table's working-day index).
  A dossier deposited and decided the same day takes 0 day; deposited on Friday, decided on Monday: 3
  calendar days, 1 working day. The ETL computes these durations once per dossier (``dossiers.total_working``
  and the other duration columns, see ``etl/schema.sql``); queries read them without any calendar join.
* Population: dossiers decided (accepté, refusé, classé sans suite) whose dateTraitement falls in the period
  (cohort "decision", the default), or whose dateDepot does (cohort "depot": the dossiers of that period
  decided so far — recent months are incomplete and look faster). Open dossiers are excluded, and so are
  dossiers whose dates are inconsistent (decision before deposit); the stage split also leaves out dossiers
  without a consistent datePassageEnInstruction.
* Statistics: median, 90th percentile ("temps de traitement usuel" of Démarches Simplifiées) and mean
  winsorised at 5–95 % (see ``metrics.stats``).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from metrics import db
from metrics.filters import Filters, dossier_scope, dossier_where
from metrics.stats import (
    DECIDED,
    MIN_CELL,
    OPEN_SQL,
    dimension,
    duration_stats_sql,
    grouping_set_id,
    labelled_groups,
    split_parts,
)

UNITS = {"working": "jours ouvrés", "calendar": "jours calendaires"}
COHORTS = {"decision": "traite_at", "depot": "depose_at"}
COHORT_LABELS = {"decision": "mois de décision", "depot": "mois de dépôt"}
BACKLOG_THRESHOLDS = (5, 10, 30)   # working days
BACKLOG_BRACKETS = ("0 à 5 jours", "6 à 10 jours", "11 à 30 jours", "plus de 30 jours")
SUMMARY_COLUMNS = ("n", "median", "p90", "mean_winsorized")   # processing_summary
BACKLOG_SUMMARY = ("open", "en_construction", "en_instruction", *(f"over_{t}" for t in BACKLOG_THRESHOLDS),
                   "median_age")
STAGE_LABELS = {"en_construction": "En construction", "en_instruction": "En instruction"}
DEFINITIONS = (
    ("Délai total", "date de décision − date de dépôt du dossier."),
    ("Phase de construction", "date de passage en instruction − date de dépôt."),
    ("Phase d'instruction", "date de décision − date de passage en instruction."),
    ("Dossiers pris en compte", "dossiers acceptés, refusés ou classés sans suite dont la décision (ou, au choix, "
                                "le dépôt) tombe dans la période ; les dossiers en cours sont exclus."),
    ("Jours ouvrés", "jours travaillés après le jour de départ jusqu'au jour d'arrivée inclus, hors samedis, "
                     "dimanches et jours fériés ; un dossier déposé un vendredi et traité le lundi suivant compte "
                     "1 jour ouvré (3 jours calendaires)."),
    ("Médiane", "la moitié des dossiers est traitée en moins de ce délai."),
    ("9 dossiers sur 10", "90e centile : délai dans lequel 90 % des dossiers sont traités (le « temps de "
                          "traitement usuel » de Démarches Simplifiées)."),
    ("Moyenne écrêtée", "moyenne après avoir ramené les 5 % de délais les plus courts et les 5 % les plus longs "
                        "aux bornes de cet intervalle."),
)


def _check(unit: str, cohort: str) -> None:
    if unit not in UNITS:
        raise ValueError(f"unité inconnue : {unit}")
    if cohort not in COHORTS:
        raise ValueError(f"cohorte inconnue : {cohort}")


def decided_sql(f: Filters, cohort: str, prefix: str = "") -> tuple[str, dict]:
    """Query of the cohort's decided dossiers with their durations (``<stage>_<unit>`` columns), as the ETL stored
    them on each dossier (``dossiers.total_working`` etc., see ``etl/schema.sql``): no calendar join here.
    ``prefix`` namespaces the parameters (``dossier_where``)."""
    where, params = dossier_where(f, COHORTS[cohort], prefix=prefix)
    sql = f"""
        SELECT d.departement, d.audience, d.contract_category, d.nationality, d.depose_at, d.traite_at,
               d.total_calendar, d.total_working, d.construction_calendar, d.construction_working,
               d.instruction_calendar, d.instruction_working
        FROM dossiers d
        WHERE {where} AND {DECIDED} AND d.traite_at >= d.depose_at
    """
    return sql, params


def processing_summary(f: Filters, unit: str = "working", cohort: str = "decision") -> pd.DataFrame:
    """Total processing time of the cohort's decided dossiers.

    One row ``[n, median, p90, mean_winsorized]``: ``n`` dossiers, statistics in days (``unit``: "working" or
    "calendar"), NULL when n = 0.
    """
    _check(unit, cohort)
    sql, params = decided_sql(f, cohort)
    return db.query(f"WITH d AS ({sql}) {duration_stats_sql('d', f'total_{unit}')}", params)


def processing_by(f: Filters, by: str, unit: str = "working", cohort: str = "decision") -> pd.DataFrame:
    """Total processing time per ``by`` (month of the cohort date, departement, contract, nationality, audience).

    Columns ``[key, label, n, median, p90, mean_winsorized]``, days in ``unit``; statistics NULL for groups
    of fewer than ``MIN_CELL`` dossiers; row order from ``metrics.stats.breakdown_order``.
    """
    _check(unit, cohort)
    sql, params = decided_sql(f, cohort)
    groups, rows = _processing_by_sql(by, unit, cohort)
    return db.query(f"WITH d AS ({sql}), {groups} {rows}", params)


def _processing_by_sql(by: str, unit: str, cohort: str, position: str | None = None) -> tuple[str, str]:
    """``processing_by``'s CTEs ``g`` and ``s`` (over the cohort ``d``) and its SELECT of the rows; with ``position``,
    their order in a last column of that name (``labelled_groups``)."""
    stats = duration_stats_sql("g", f"total_{unit}", ("key",), min_n=MIN_CELL)
    rows = labelled_groups(by, f"SELECT {_group_key(by, COHORTS[cohort], 's.key')} AS key, n, median, p90, "
                               f"mean_winsorized FROM s", "n", position)
    return f"g AS (SELECT {_key(by, COHORTS[cohort])} AS key, d.total_{unit} FROM d), s AS ({stats})", rows


def processing_figures(f: Filters, by: str, unit: str = "working",
                       cohort: str = "decision") -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(processing_summary(f, unit, cohort), processing_by(f, by, unit, cohort))`` from one query: the SELECTs of
    those two functions side by side over one cohort (one plan), giving exactly their frames — unlike
    ``cohort_figures``, whose GROUPING SETS may round the winsorised means differently in the last digit."""
    _check(unit, cohort)
    sql, params = decided_sql(f, cohort)
    groups, rows = _processing_by_sql(by, unit, cohort, "pos")
    frame = db.query(
        f"""
        WITH d AS ({sql}), {groups}
        SELECT * FROM ((SELECT 'summary' AS breakdown, 0 AS pos, * FROM ({duration_stats_sql('d', f'total_{unit}')}))
                       UNION ALL BY NAME (SELECT 'by' AS breakdown, * FROM ({rows})))
        ORDER BY breakdown DESC, pos
        """,
        params,
    )
    parts = split_parts(frame, {"summary": SUMMARY_COLUMNS, "by": ("key", "label", *SUMMARY_COLUMNS)})
    return parts["summary"], parts["by"]


def _key(name: str, date_col: str) -> str:
    """SQL key of dossier ``d`` in the breakdown ``name``: months as yyyymm numbers (``_month_number``)."""
    return _month_number(date_col) if name == "month" else dimension(name, date_col).key


def _group_key(name: str, date_col: str, key: str) -> str:
    """The breakdown's key shown, from the grouped ``key`` (``_key``): a month's first day for months."""
    return _month_date(key) if name == "month" else key


def cohort_figures(f: Filters, unit: str = "working", cohort: str = "decision",
                   breakdowns: tuple[str, ...] = ("month", "departement", "contract"),
                   cap: int = 30, previous: bool = False) -> dict[str, pd.DataFrame]:
    """The cohort's figures of a page, from one query (one scan of the cohort, one plan).

    ``{"summary": processing_summary(f, unit, cohort), "<by>": processing_by(f, by, unit, cohort) for each of
    ``breakdowns``, "histogram": duration_histogram(f, unit, cohort, cap), "stages": stage_split(f, unit,
    cohort)}``: the same frames as those functions (same definitions, same SQL expressions); with ``previous``,
    also ``"previous": processing_summary(f.previous(), unit, cohort)``.
    """
    _check(unit, cohort)
    sql, params = decided_sql(f, cohort)
    before, before_params = decided_sql(f.previous(), cohort, "p_") if previous else ("", {})
    date_col = COHORTS[cohort]
    groups = tuple(f"key_{name}" for name in breakdowns)
    keys = ", ".join(f"{_key(name, date_col)} AS key_{name}" for name in breakdowns)
    stats = duration_stats_sql("g", f"total_{unit}", groups, min_n=MIN_CELL, sets=True)

    def branch(i: int, name: str) -> str:
        rows = (f"SELECT {_group_key(name, date_col, groups[i])} AS key, n, median, p90, mean_winsorized FROM s "
                f"WHERE grouping_set = {grouping_set_id(groups, i)}")
        return f"(SELECT '{name}' AS breakdown, key AS key_{name}, label AS label_{name}, * EXCLUDE (key, label) " \
               f"FROM ({labelled_groups(name, rows, 'n', 'pos')}))"

    parts = [branch(i, name) for i, name in enumerate(breakdowns)] + [
        f"(SELECT 'summary' AS breakdown, 0 AS pos, * FROM ({duration_stats_sql('c', f'total_{unit}')}))",
        f"(SELECT 'histogram' AS breakdown, days AS pos, * FROM ({_histogram_sql('c', f'total_{unit}')}))",
        f"(SELECT 'stages' AS breakdown, * FROM ({_stages_sql('c', 'm', unit, 'pos')}))",
    ] + ([f"(SELECT 'previous' AS breakdown, 0 AS pos, * FROM ({duration_stats_sql('p', f'total_{unit}')}))"]
         if previous else [])
    frame = db.query(
        f"""
        WITH d AS ({sql}),{f" p AS ({before})," if previous else ""}
             g AS (SELECT {keys}, d.total_{unit} FROM d),
             c AS MATERIALIZED (SELECT {_month_number(date_col)} AS m, d.total_{unit}, d.construction_{unit},
                                       d.instruction_{unit} FROM d),
             s AS MATERIALIZED ({stats})
        SELECT * REPLACE (coalesce(n, 0) AS n, coalesce(days, 0) AS days, coalesce(dossiers, 0) AS dossiers,
                          coalesce(overflow, false) AS overflow)   -- not NULL on the other parts: integer columns
        FROM ({" UNION ALL BY NAME ".join(parts)}) ORDER BY breakdown, pos
        """,
        params | before_params | {"cap": cap},
    )
    return split_parts(frame, {"summary": SUMMARY_COLUMNS, **{name: ("key", "label", *SUMMARY_COLUMNS)
                                                               for name in breakdowns},
                               "histogram": ("days", "dossiers", "share", "overflow"), "stages": STAGE_COLUMNS,
                               **({"previous": SUMMARY_COLUMNS} if previous else {})})


def _month_number(date_col: str) -> str:
    """The month of ``d.<date_col>`` as the integer yyyymm: cheaper to compute and to group by than truncating every
    date (``dimension("month", …)``); ``_month_date`` makes it the month's first day, once per group."""
    return f"year(d.{date_col}) * 100 + month(d.{date_col})"


def _month_date(number: str) -> str:
    """The DATE of the first day of the month ``number`` (yyyymm, see ``_month_number``)."""
    return f"make_date({number} // 100, {number} % 100, 1)"


STAGE_COLUMNS = ("month", "n", "construction_mean", "instruction_mean", "construction_median", "instruction_median")


def stage_split(f: Filters, unit: str = "working", cohort: str = "decision") -> pd.DataFrame:
    """Construction and instruction stages per month of the cohort date.

    Columns ``[month, n, construction_mean, instruction_mean, construction_median, instruction_median]`` over
    the dossiers with a consistent datePassageEnInstruction; days in ``unit``. Means add up to the mean total
    duration (which is why stacked bars use them); medians do not. Statistics NULL when n < ``MIN_CELL``.
    """
    _check(unit, cohort)
    sql, params = decided_sql(f, cohort)
    months = f"(SELECT {_month_number(COHORTS[cohort])} AS m, construction_{unit}, instruction_{unit} FROM d)"
    return db.query(f"WITH d AS ({sql}) {_stages_sql(months, 'm', unit)} ORDER BY m", params)


def _stages_sql(source: str, month: str, unit: str, position: str | None = None) -> str:
    """``stage_split``'s SELECT over ``source`` (its months as yyyymm numbers in column ``month``); with ``position``,
    a column of that name holds the month number (to keep the order through a UNION)."""
    guard = f"CASE WHEN count(*) >= {MIN_CELL} THEN"
    numbered = f", {month} AS {position}" if position else ""
    return f"""
        SELECT {_month_date(month)} AS month, count(*) AS n,
               {guard} avg(construction_{unit}) END AS construction_mean,
               {guard} avg(instruction_{unit}) END AS instruction_mean,
               {guard} quantile_cont(construction_{unit}, 0.5) END AS construction_median,
               {guard} quantile_cont(instruction_{unit}, 0.5) END AS instruction_median{numbered}
        FROM {source} WHERE construction_{unit} IS NOT NULL
        GROUP BY {month}
    """


def duration_histogram(f: Filters, unit: str = "working", cohort: str = "decision", cap: int = 30) -> pd.DataFrame:
    """Distribution of the total processing time: dossiers per whole day, the last bin gathering ≥ ``cap``.

    Columns ``[days, dossiers, share, overflow]``: one row per day 0..``cap`` (zeros included), ``overflow``
    true on the last row ("``cap`` jours ou plus"); ``share`` in 0..1 of the cohort, NULL when it is empty.
    """
    _check(unit, cohort)
    sql, params = decided_sql(f, cohort)
    return db.query(f"WITH d AS ({sql}) {_histogram_sql('d', f'total_{unit}')} ORDER BY days", params | {"cap": cap})


def _histogram_sql(source: str, value: str) -> str:
    """``duration_histogram``'s SELECT of the durations ``value`` of ``source`` (bins up to the parameter $cap)."""
    return f"""
        SELECT CAST(b.days AS INTEGER) AS days, coalesce(c.n, 0) AS dossiers,
               coalesce(c.n, 0) / nullif(sum(coalesce(c.n, 0)) OVER (), 0) AS share, b.days = $cap AS overflow
        FROM range(0, $cap + 1) b(days)
        LEFT JOIN (SELECT least({value}, $cap) AS days, count(*) AS n FROM {source} WHERE {value} IS NOT NULL
                   GROUP BY 1) c ON c.days = b.days
    """


def open_at_end_sql(f: Filters) -> tuple[str, dict]:
    """Query of the dossiers open at the end of the period, with their age and stage at that date.

    Open at date E: deposited on or before E and not decided on E (decided later, or still open today).
    Age: working days from the deposit date to E. The period start is ignored (old dossiers are the backlog).
    """
    scope, params = dossier_scope(f)
    sql = f"""
        SELECT d.*, ce.working_day_index - cd.working_day_index AS age,
               {_stage("")} AS stage
        FROM dossiers d
        JOIN calendar cd ON cd.day = CAST(d.depose_at AS DATE)
        JOIN calendar ce ON ce.day = $end
        WHERE {scope} AND {_open_at("")}
    """
    return sql, params | _end_params(f)


def _end_params(f: Filters, prefix: str = "") -> dict:
    return {f"{prefix}end": f.end, f"{prefix}end_next": f.end + timedelta(days=1)}


def _open_at(prefix: str) -> str:
    """Condition "dossier d is open at the end ``$<prefix>end``" (see ``open_at_end_sql``)."""
    return (f"d.depose_at < CAST(${prefix}end_next AS TIMESTAMP) AND (d.traite_at >= CAST(${prefix}end_next AS "
            f"TIMESTAMP) OR (d.traite_at IS NULL AND d.state IN {OPEN_SQL}))")


def _stage(prefix: str) -> str:
    """Stage of dossier d at the end ``$<prefix>end``."""
    return (f"CASE WHEN d.en_instruction_at < CAST(${prefix}end_next AS TIMESTAMP) THEN 'en_instruction' "
            f"ELSE 'en_construction' END")


def _open_columns(prefix: str) -> str:
    """``<prefix>is_open``, ``<prefix>age`` and ``<prefix>stage`` of dossier d at the end ``$<prefix>end`` (its
    calendar day joined as ``<prefix>ce``; a day out of the calendar has no open dossier, as in
    ``open_at_end_sql``)."""
    return (f"({_open_at(prefix)} AND {prefix}ce.day IS NOT NULL) AS {prefix}is_open, "
            f"{prefix}ce.working_day_index - cd.working_day_index AS {prefix}age, {_stage(prefix)} AS {prefix}stage")


def backlog_summary(f: Filters) -> pd.DataFrame:
    """Backlog at the end of the period (today's backlog when the period ends on the data date).

    One row ``[open, en_construction, en_instruction, over_5, over_10, over_30, median_age]``: dossiers open on
    the period's last day, by stage, those older than 5 / 10 / 30 working days (strictly), and their median
    age in working days (NULL when none is open).
    """
    sql, params = open_at_end_sql(f)
    return db.query(f"WITH o AS ({sql}) SELECT {_backlog_totals()} FROM o", params)


def _backlog_totals(where: str | None = None, prefix: str = "") -> str:
    """Select items of ``backlog_summary``'s columns (named ``<prefix><column>``) over the dossiers of ``o`` (open
    dossiers, ``open_at_end_sql``, with their ``<prefix>age`` and ``<prefix>stage``), or those matching ``where``."""
    age, stage = f"{prefix}age", f"{prefix}stage"

    def count(condition: str | None) -> str:
        conditions = [c for c in (where, condition) if c]
        return f"count(*) FILTER (WHERE {' AND '.join(conditions)})" if conditions else "count(*)"

    over = ", ".join(f"{count(f'{age} > {t}')} AS {prefix}over_{t}" for t in BACKLOG_THRESHOLDS)
    median = f"quantile_cont({age}, 0.5){f' FILTER (WHERE {where})' if where else ''}"
    return f"""{count(None)} AS {prefix}open, {count(f"{stage} = 'en_construction'")} AS {prefix}en_construction,
               {count(f"{stage} = 'en_instruction'")} AS {prefix}en_instruction,
               {over}, {median} AS {prefix}median_age"""


def backlog_by_age(f: Filters) -> pd.DataFrame:
    """Open dossiers at the end of the period by age bracket (working days) and stage.

    Columns ``[bracket, stage, stage_label, dossiers]``: every bracket of ``BACKLOG_BRACKETS`` × both stages,
    zeros included, in that order.
    """
    return backlog_figures(f)[2]


def backlog_figures(f: Filters) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``backlog_summary(f)``, ``backlog_summary(f.previous())`` and ``backlog_by_age(f)``, from one scan of the
    dossiers (one query, cached): the dossiers open at either end, each with its age and stage at both."""
    scope, params = dossier_scope(f)
    brackets = " ".join(f"WHEN age <= {t} THEN {i}" for i, t in enumerate(BACKLOG_THRESHOLDS, start=1))
    frame = db.query(
        f"""
        WITH o AS MATERIALIZED (
            SELECT {_open_columns("")}, {_open_columns("p_")}
            FROM dossiers d JOIN calendar cd ON cd.day = CAST(d.depose_at AS DATE)
            LEFT JOIN calendar ce ON ce.day = $end LEFT JOIN calendar p_ce ON p_ce.day = $p_end
            WHERE {scope} AND (({_open_at("")}) OR ({_open_at("p_")}))
        ),
             b AS (SELECT unnest($brackets) AS bracket, generate_subscripts($brackets, 1) AS pos),
             s AS (SELECT unnest($stages) AS stage, unnest($stage_labels) AS stage_label,
                          generate_subscripts($stages, 1) AS spos),
             c AS (SELECT CASE {brackets} ELSE {len(BACKLOG_THRESHOLDS) + 1} END AS pos, stage, count(*) AS n
                   FROM o WHERE is_open GROUP BY ALL),
             t AS (SELECT {_backlog_totals("is_open")}, {_backlog_totals("p_is_open", "p_")} FROM o)
        SELECT b.bracket, s.stage, s.stage_label, coalesce(c.n, 0) AS dossiers, t.*
        FROM b CROSS JOIN s LEFT JOIN c ON c.pos = b.pos AND c.stage = s.stage CROSS JOIN t
        ORDER BY b.pos, s.spos
        """,
        params | _end_params(f) | _end_params(f.previous(), "p_") | {
            "brackets": list(BACKLOG_BRACKETS), "stages": list(STAGE_LABELS),
            "stage_labels": list(STAGE_LABELS.values())},
    )
    first = frame.iloc[[0]].reset_index(drop=True)
    previous = first[[f"p_{c}" for c in BACKLOG_SUMMARY]].rename(columns=lambda c: c.removeprefix("p_"))
    return first[list(BACKLOG_SUMMARY)], previous, frame[["bracket", "stage", "stage_label", "dossiers"]]
