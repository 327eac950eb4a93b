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
from metrics.stats import DECIDED, MIN_CELL, OPEN_SQL, dimension, duration_stats_sql, grouping_set_id, labelled_groups

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


def decided_sql(f: Filters, cohort: str) -> tuple[str, dict]:
    """Query of the cohort's decided dossiers with their durations (``<stage>_<unit>`` columns), as the ETL stored
    them on each dossier (``dossiers.total_working`` etc., see ``etl/schema.sql``): no calendar join here."""
    where, params = dossier_where(f, COHORTS[cohort])
    sql = f"""
        SELECT d.departement, d.audience, d.contract_category, d.nationality, d.depose_at, d.traite_at,
               d.total_calendar, d.total_working, d.construction_calendar, d.construction_working,
               d.instruction_calendar, d.instruction_working
        FROM dossiers d
        WHERE {where} AND {DECIDED} AND d.traite_at >= d.depose_at
    """
    return sql, params


def processing_summary(f: Filters, unit: str = "working", cohort: str = "decision",
                       histogram_cap: int | None = None) -> pd.DataFrame:
    """Total processing time of the cohort's decided dossiers.

    One row ``[n, median, p90, mean_winsorized]``: ``n`` dossiers, statistics in days (``unit``: "working" or
    "calendar"), NULL when n = 0.

    ``histogram_cap``: computed in the query of ``duration_histogram(f, unit, cohort, histogram_cap)`` (one scan
    of the cohort for both; the query is cached), for a page showing both. Same frame either way.
    """
    _check(unit, cohort)
    if histogram_cap is not None:
        return _first_row(_histogram(f, unit, cohort, histogram_cap), SUMMARY_COLUMNS)
    sql, params = decided_sql(f, cohort)
    return db.query(f"WITH d AS ({sql}) {duration_stats_sql('d', f'total_{unit}')}", params)


def processing_by(f: Filters, by: str, unit: str = "working", cohort: str = "decision",
                  along: tuple[str, ...] = ()) -> pd.DataFrame:
    """Total processing time per ``by`` (month of the cohort date, departement, contract, nationality, audience).

    Columns ``[key, label, n, median, p90, mean_winsorized]``, days in ``unit``; statistics NULL for groups
    of fewer than ``MIN_CELL`` dossiers; row order from ``metrics.stats.breakdown_order``.

    ``along``: breakdowns computed in the same query (one scan of the cohort; the query is cached, so asking next
    for one of them with the same ``along`` costs nothing), for a page showing several. Same frame either way.
    """
    _check(unit, cohort)
    names = tuple(dict.fromkeys((*along, by)))
    if len(names) == 1:
        return _breakdowns(f, names, unit, cohort)
    frame = _breakdowns(f, names, unit, cohort)
    rows = frame[frame.breakdown == by]
    return (rows[[f"key_{by}", f"label_{by}", *SUMMARY_COLUMNS]]
            .rename(columns={f"key_{by}": "key", f"label_{by}": "label"}).reset_index(drop=True))


def _breakdowns(f: Filters, names: tuple[str, ...], unit: str, cohort: str) -> pd.DataFrame:
    """The rows of ``processing_by`` for every breakdown of ``names``, from one scan of the cohort (GROUPING SETS).

    One breakdown: ``processing_by``'s frame. Several: columns ``[breakdown, key_<name>, label_<name>…, n, median,
    p90, mean_winsorized, pos]``: the rows of breakdown ``name`` have its key and label in ``key_<name>`` and
    ``label_<name>`` (the other breakdowns' NULL; their types differ: a month's label is its date), in
    ``processing_by``'s order (``pos``).
    """
    sql, params = decided_sql(f, cohort)
    date_col = COHORTS[cohort]
    groups = tuple(f"key_{name}" for name in names)
    keys = ", ".join(f"{_month_number(date_col)} AS key_month" if name == "month"
                     else f"{dimension(name, date_col).key} AS key_{name}" for name in names)
    joint = len(names) > 1
    stats = duration_stats_sql("g", f"total_{unit}", groups, min_n=MIN_CELL, sets=joint)

    def rows(i: int, name: str, position: str | None = None) -> str:
        key = _month_date("key_month") if name == "month" else groups[i]
        where = f"WHERE grouping_set = {grouping_set_id(groups, i)}" if joint else ""
        return labelled_groups(name, f"SELECT {key} AS key, n, median, p90, mean_winsorized FROM s {where}", "n",
                               position)

    def branch(i: int, name: str) -> str:
        return f"(SELECT '{name}' AS breakdown, key AS key_{name}, label AS label_{name}, * EXCLUDE (key, label) " \
               f"FROM ({rows(i, name, 'pos')}))"

    select = (f'{" UNION ALL BY NAME ".join(branch(i, name) for i, name in enumerate(names))} ORDER BY breakdown, pos'
              if joint else rows(0, names[0]))
    return db.query(
        f"""
        WITH d AS ({sql}),
             g AS (SELECT {keys}, d.total_{unit} FROM d),
             s AS {"MATERIALIZED " if joint else ""}({stats})
        {select}
        """,
        params,
    )


def _month_number(date_col: str) -> str:
    """The month of ``d.<date_col>`` as the integer yyyymm: cheaper to compute and to group by than truncating every
    date (``dimension("month", …)``); ``_month_date`` makes it the month's first day, once per group."""
    return f"year(d.{date_col}) * 100 + month(d.{date_col})"


def _month_date(number: str) -> str:
    """The DATE of the first day of the month ``number`` (yyyymm, see ``_month_number``)."""
    return f"make_date({number} // 100, {number} % 100, 1)"


def stage_split(f: Filters, unit: str = "working", cohort: str = "decision") -> pd.DataFrame:
    """Construction and instruction stages per month of the cohort date.

    Columns ``[month, n, construction_mean, instruction_mean, construction_median, instruction_median]`` over
    the dossiers with a consistent datePassageEnInstruction; days in ``unit``. Means add up to the mean total
    duration (which is why stacked bars use them); medians do not. Statistics NULL when n < ``MIN_CELL``.
    """
    _check(unit, cohort)
    sql, params = decided_sql(f, cohort)
    guard = f"CASE WHEN count(*) >= {MIN_CELL} THEN"
    return db.query(
        f"""
        WITH d AS ({sql})
        SELECT {_month_date("m")} AS month, count(*) AS n,
               {guard} avg(construction_{unit}) END AS construction_mean,
               {guard} avg(instruction_{unit}) END AS instruction_mean,
               {guard} quantile_cont(construction_{unit}, 0.5) END AS construction_median,
               {guard} quantile_cont(instruction_{unit}, 0.5) END AS instruction_median
        FROM (SELECT {_month_number(COHORTS[cohort])} AS m, construction_{unit}, instruction_{unit} FROM d
              WHERE construction_{unit} IS NOT NULL)
        GROUP BY m ORDER BY m
        """,
        params,
    )


def duration_histogram(f: Filters, unit: str = "working", cohort: str = "decision", cap: int = 30) -> pd.DataFrame:
    """Distribution of the total processing time: dossiers per whole day, the last bin gathering ≥ ``cap``.

    Columns ``[days, dossiers, share, overflow]``: one row per day 0..``cap`` (zeros included), ``overflow``
    true on the last row ("``cap`` jours ou plus"); ``share`` in 0..1 of the cohort, NULL when it is empty.
    """
    _check(unit, cohort)
    return _histogram(f, unit, cohort, cap)[["days", "dossiers", "share", "overflow"]]


def _first_row(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The ``columns`` of ``frame``'s first row, as a one-row frame: a summary repeated on every row of a query
    that answers two metrics (``_histogram``, ``_backlog``)."""
    return frame[list(columns)].iloc[[0]].reset_index(drop=True)


def _histogram(f: Filters, unit: str, cohort: str, cap: int) -> pd.DataFrame:
    """``duration_histogram``'s rows, each followed by the ``processing_summary`` columns (the same on every row)."""
    sql, params = decided_sql(f, cohort)
    return db.query(
        f"""
        WITH d AS MATERIALIZED (SELECT total_{unit} FROM ({sql})),
             c AS (SELECT least(total_{unit}, $cap) AS days, count(*) AS n FROM d
                   WHERE total_{unit} IS NOT NULL GROUP BY 1),
             t AS ({duration_stats_sql('d', f'total_{unit}')})
        SELECT CAST(b.days AS INTEGER) AS days, coalesce(c.n, 0) AS dossiers,
               coalesce(c.n, 0) / nullif(sum(coalesce(c.n, 0)) OVER (), 0) AS share, b.days = $cap AS overflow, t.*
        FROM range(0, $cap + 1) b(days) LEFT JOIN c ON c.days = b.days CROSS JOIN t
        ORDER BY b.days
        """,
        params | {"cap": cap},
    )


def open_at_end_sql(f: Filters) -> tuple[str, dict]:
    """Query of the dossiers open at the end of the period, with their age and stage at that date.

    Open at date E: deposited on or before E and not decided on E (decided later, or still open today).
    Age: working days from the deposit date to E. The period start is ignored (old dossiers are the backlog).
    """
    scope, params = dossier_scope(f)
    sql = f"""
        SELECT d.*, ce.working_day_index - cd.working_day_index AS age,
               CASE WHEN d.en_instruction_at < CAST($end_next AS TIMESTAMP) THEN 'en_instruction'
                    ELSE 'en_construction' END AS stage
        FROM dossiers d
        JOIN calendar cd ON cd.day = CAST(d.depose_at AS DATE)
        JOIN calendar ce ON ce.day = $end
        WHERE {scope} AND d.depose_at < CAST($end_next AS TIMESTAMP)
          AND (d.traite_at >= CAST($end_next AS TIMESTAMP) OR (d.traite_at IS NULL AND d.state IN {OPEN_SQL}))
    """
    return sql, params | {"end": f.end, "end_next": f.end + timedelta(days=1)}


def backlog_summary(f: Filters, with_ages: bool = False) -> pd.DataFrame:
    """Backlog at the end of the period (today's backlog when the period ends on the data date).

    One row ``[open, en_construction, en_instruction, over_5, over_10, over_30, median_age]``: dossiers open on
    the period's last day, by stage, those older than 5 / 10 / 30 working days (strictly), and their median
    age in working days (NULL when none is open).

    ``with_ages``: computed in the query of ``backlog_by_age`` (one scan of the dossiers for both; the query is
    cached), for a page showing both. Same frame either way.
    """
    if with_ages:
        return _first_row(_backlog(f), BACKLOG_SUMMARY)
    sql, params = open_at_end_sql(f)
    return db.query(f"WITH o AS ({sql}) SELECT {_backlog_totals()} FROM o", params)


def backlog_by_age(f: Filters) -> pd.DataFrame:
    """Open dossiers at the end of the period by age bracket (working days) and stage.

    Columns ``[bracket, stage, stage_label, dossiers]``: every bracket of ``BACKLOG_BRACKETS`` × both stages,
    zeros included, in that order.
    """
    return _backlog(f)[["bracket", "stage", "stage_label", "dossiers"]]


def _backlog_totals() -> str:
    """Select items of ``backlog_summary``'s columns over the open dossiers ``o`` (``open_at_end_sql``)."""
    over = ", ".join(f"count(*) FILTER (WHERE age > {t}) AS over_{t}" for t in BACKLOG_THRESHOLDS)
    return f"""count(*) AS open, count(*) FILTER (WHERE stage = 'en_construction') AS en_construction,
               count(*) FILTER (WHERE stage = 'en_instruction') AS en_instruction,
               {over}, quantile_cont(age, 0.5) AS median_age"""


def _backlog(f: Filters) -> pd.DataFrame:
    """``backlog_by_age``'s rows, each followed by the ``backlog_summary`` columns (the same on every row)."""
    sql, params = open_at_end_sql(f)
    brackets = " ".join(f"WHEN age <= {t} THEN {i}" for i, t in enumerate(BACKLOG_THRESHOLDS, start=1))
    return db.query(
        f"""
        WITH o AS MATERIALIZED (SELECT age, stage FROM ({sql})),
             b AS (SELECT unnest($brackets) AS bracket, generate_subscripts($brackets, 1) AS pos),
             s AS (SELECT unnest($stages) AS stage, unnest($stage_labels) AS stage_label,
                          generate_subscripts($stages, 1) AS spos),
             c AS (SELECT CASE {brackets} ELSE {len(BACKLOG_THRESHOLDS) + 1} END AS pos, stage, count(*) AS n
                   FROM o GROUP BY ALL),
             t AS (SELECT {_backlog_totals()} FROM o)
        SELECT b.bracket, s.stage, s.stage_label, coalesce(c.n, 0) AS dossiers, t.*
        FROM b CROSS JOIN s LEFT JOIN c ON c.pos = b.pos AND c.stage = s.stage CROSS JOIN t
        ORDER BY b.pos, s.spos
        """,
        params | {"brackets": list(BACKLOG_BRACKETS), "stages": list(STAGE_LABELS),
                  "stage_labels": list(STAGE_LABELS.values())},
    )
