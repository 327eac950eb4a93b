"""The monthly report of a departmental unit (or of all units), as WIF's back office sent it.

A report covers one calendar month and one department, or all of them (the whole country, then each
department). Its figures are those of the other metrics modules, computed over the month, the previous month
and the same month a year earlier:

* dossiers déposés (``metrics.dossiers.deposits_summary``);
* dossiers decided in the month, **by decision month** as the original report: acceptés, refusés, classés
  sans suite and the refusal rate (``metrics.decisions.decision_rates``); acceptés are split by the length of
  the APT they grant (``accepted_apt_split``: 91 days or more, under 91 days, dates missing or inverted);
* median and 90th percentile of the processing time, in working and calendar days
  (``metrics.delays.processing_summary``, decision cohort);
* the open backlog on the month's last day (``metrics.delays.backlog_summary``);
* the ten most frequent nationalities of each decision category (``outcome_nationalities``).

So that a report of all departments costs a few queries rather than hundreds, ``month_indicators`` groups the
SQL of those metrics (their query builders, not copies) by department; a test checks it against the metrics.
The report has a fixed format: the global audience and contract filters do not apply to it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

from metrics import db, decisions, delays
from metrics.contracts import APT_LENGTH_SQL, LONG_APT_DAYS
from metrics.filters import Filters, dossier_where
from metrics.stats import DECIDED

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Decision categories of the report, in report order (key → French label).
CATEGORIES = {
    "accepte_long": f"Acceptés, APT de {LONG_APT_DAYS} jours ou plus",
    "accepte_court": f"Acceptés, APT de moins de {LONG_APT_DAYS} jours",
    "accepte_dates": "Acceptés, dates d'APT absentes ou incohérentes",
    "refuse": "Refusés",
    "sans_suite": "Classés sans suite",
}
RANKED_CATEGORIES = ("accepte_long", "accepte_court", "refuse", "sans_suite")   # the original's four lists
_CATEGORY = f"""CASE WHEN d.state <> 'accepte' THEN d.state
                     WHEN {APT_LENGTH_SQL} >= {LONG_APT_DAYS} THEN 'accepte_long'
                     WHEN {APT_LENGTH_SQL} < {LONG_APT_DAYS} THEN 'accepte_court'
                     ELSE 'accepte_dates' END"""
_SPLIT = ", ".join(f"count(*) FILTER (WHERE {_CATEGORY} = '{key}') AS {key}" for key in list(CATEGORIES)[:3])
# Comparison columns of the summary: key → French heading.
NATIONAL = "ensemble"   # scope of the figures over all departments together
PERIODS = {"mois": "Mois", "mois_precedent": "Mois précédent", "annee_precedente": "Même mois, année précédente"}
# Indicators of the summary: (key, French label, unit). Units: dossiers, taux (0..1), jours ouvrés/calendaires.
INDICATORS = (
    ("deposes", "Dossiers déposés", "dossiers"),
    ("decided", "Dossiers décidés", "dossiers"),
    ("acceptes", "Acceptés", "dossiers"),
    ("accepte_long", f"dont APT de {LONG_APT_DAYS} jours ou plus", "dossiers"),
    ("accepte_court", f"dont APT de moins de {LONG_APT_DAYS} jours", "dossiers"),
    ("accepte_dates", "dont dates d'APT absentes ou incohérentes", "dossiers"),
    ("refuses", "Refusés", "dossiers"),
    ("sans_suite", "Classés sans suite", "dossiers"),
    ("refusal_rate", "Taux de refus", "taux"),
    ("median_working", "Délai médian de traitement", "jours ouvrés"),
    ("p90_working", "Délai de traitement de 9 dossiers sur 10", "jours ouvrés"),
    ("median_calendar", "Délai médian de traitement", "jours calendaires"),
    ("p90_calendar", "Délai de traitement de 9 dossiers sur 10", "jours calendaires"),
    ("open", "Dossiers en attente en fin de mois", "dossiers"),
    ("open_instruction", "dont en instruction", "dossiers"),
    ("open_over_30", "dont déposés depuis plus de 30 jours ouvrés", "dossiers"),
)


def parse_month(text: str | date) -> date:
    """First day of the month ``AAAA-MM`` (a date is brought back to its month); ValueError otherwise."""
    if isinstance(text, date):
        return text.replace(day=1)
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"mois invalide (attendu AAAA-MM) : {text}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def shift_month(month: date, months: int) -> date:
    """First day of the month ``months`` after (negative: before) ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_filters(month: str | date, departement: str | None = None) -> Filters:
    """Filters of a whole calendar month for one department (None: all)."""
    start = parse_month(month)
    end = shift_month(start, 1) - timedelta(days=1)
    return Filters(start, end, (departement,) if departement else ())


def comparison_months(month: str | date) -> dict[str, date]:
    """The report's month, the previous month and the same month a year earlier (keys of ``PERIODS``)."""
    start = parse_month(month)
    return {"mois": start, "mois_precedent": shift_month(start, -1), "annee_precedente": shift_month(start, -12)}


def accepted_apt_split(f: Filters) -> pd.DataFrame:
    """Dossiers accepted in the period (by decision date) split by the length of the APT granted.

    One row ``[accepte_long, accepte_court, accepte_dates]``: APT of ``LONG_APT_DAYS`` days or more (start and
    end days included), shorter, and dates missing or end before start. Unit: dossiers; zeros when none.
    The three add up to ``decision_rates(f).acceptes``.
    """
    where, params = dossier_where(f, "traite_at")
    return db.query(f"SELECT {_SPLIT} FROM dossiers d WHERE {where} AND d.state = 'accepte'", params)


def outcome_nationalities(f: Filters, scopes: list[str] = (NATIONAL,), top: int = 10) -> pd.DataFrame:
    """The ``top`` most frequent nationalities of each decision category of the period (by decision date), per
    scope of ``scopes`` (department codes and/or ``NATIONAL``, the whole selection).

    Columns ``[scope, category, category_label, rank, nationality, label, dossiers, share]``, scopes in the
    given order then the categories of ``CATEGORIES`` that have decisions: ``share`` of the category's dossiers
    in 0..1 (unknown nationalities count in that total but are never ranked); ties broken by nationality name,
    so ranks are 1..top without gaps. No row for a scope or category without decisions.
    """
    where, params = dossier_where(f, "traite_at")
    source = (f"(SELECT d.*, {_CATEGORY} AS category FROM dossiers d WHERE {where} AND {DECIDED}) d "
              "LEFT JOIN ref_countries rn ON rn.iso2 = d.nationality")
    return db.query(
        f"""
        WITH c AS ({_scoped("d.category, d.nationality, coalesce(rn.name_fr, d.nationality) AS label, "
                            "count(*) AS dossiers", source, "d.category, d.nationality, rn.name_fr")}),
             ranked AS (
                 SELECT *, dossiers / sum(dossiers) OVER (PARTITION BY scope, category) AS share,
                        CASE WHEN nationality IS NOT NULL THEN row_number() OVER (
                            PARTITION BY scope, category, nationality IS NULL ORDER BY dossiers DESC, label) END AS rank
                 FROM c
             ),
             s AS (SELECT unnest($scopes) AS scope, generate_subscripts($scopes, 1) AS spos),
             k AS (SELECT unnest($keys) AS category, unnest($labels) AS category_label,
                          generate_subscripts($keys, 1) AS pos)
        SELECT r.scope, r.category, k.category_label, CAST(r.rank AS INTEGER) AS rank, r.nationality, r.label,
               r.dossiers, r.share
        FROM ranked r JOIN s USING (scope) JOIN k USING (category)
        WHERE r.rank <= $top
        ORDER BY s.spos, k.pos, r.rank
        """,
        params | {"top": top, "scopes": list(scopes), "keys": list(CATEGORIES), "labels": list(CATEGORIES.values())},
    )


def _scoped(select: str, source: str, keys: str = "") -> str:
    """``SELECT scope, <select> FROM <source>`` per department and over all of them (``scope = NATIONAL``),
    further grouped by the comma-separated ``keys`` (selected by the caller).

    ``source`` is a relation aliased ``d`` with a ``departement`` column; dossiers without a department count in
    the national row only (their own group has a NULL scope and is dropped by the caller's join).
    """
    by = f", {keys}" if keys else ""
    return f"""SELECT CASE WHEN grouping(d.departement) = 1 THEN '{NATIONAL}' ELSE d.departement END AS scope,
                      {select}
               FROM {source} GROUP BY GROUPING SETS ((d.departement{by}), ({keys}))"""


def month_indicators(f: Filters, scopes: list[str]) -> pd.DataFrame:
    """Every indicator of ``INDICATORS`` over ``f``, one row per scope of ``scopes`` (department codes and/or
    ``NATIONAL``, the whole selection), in that order: ``[scope, <indicators>]``.

    The figures are those of the metrics defining them, grouped by department in one query: the SQL of
    ``dossiers.deposits_summary``, ``decisions.decision_rates`` (refusal rate NULL under 5 decisions),
    ``delays.processing_summary`` (median and 90th percentile of the decision cohort; NULL when nothing was
    decided) and ``delays.backlog_summary`` (open on ``f.end``; older than 30 working days), plus
    ``accepted_apt_split``. Counts are 0 for a scope without dossiers.
    """
    dep_where, params = dossier_where(f, "depose_at")
    dec_where, dec_params = dossier_where(f, "traite_at", prefix="t_")
    decided_sql, decided_params = delays.decided_sql(f, "decision")
    open_sql, open_params = delays.open_at_end_sql(f)
    stats = ", ".join(f"quantile_cont(CAST(total_{unit} AS DOUBLE), {q}) AS {name}_{unit}"
                      for unit in ("working", "calendar") for name, q in (("median", 0.5), ("p90", 0.9)))
    counts = ["deposes", "decided", "acceptes", "refuses", "sans_suite", *list(CATEGORIES)[:3], "open",
              "open_instruction", "open_over_30"]
    zeros = ", ".join(f"coalesce({c}, 0) AS {c}" for c in counts)
    backlog = ("count(*) AS open, count(*) FILTER (WHERE stage = 'en_instruction') AS open_instruction, "
               f"count(*) FILTER (WHERE age > {delays.BACKLOG_THRESHOLDS[-1]}) AS open_over_30")
    decided = _scoped(f"{decisions.DOSSIER_DECISION_COUNTS_SQL}, {_SPLIT}",
                      f"dossiers d WHERE {dec_where} AND {DECIDED}")
    frame = db.query(
        f"""
        WITH s AS (SELECT unnest($scopes) AS scope, generate_subscripts($scopes, 1) AS pos),
             dep AS ({_scoped("count(*) AS deposes", f"dossiers d WHERE {dep_where}")}),
             dec AS (SELECT *, {decisions.DECISION_RATES_SQL} FROM ({decided})),
             dur AS ({_scoped(stats, f"({decided_sql}) d")}),
             back AS ({_scoped(backlog, f"({open_sql}) d")})
        SELECT s.scope, {zeros}, dec.refusal_rate, dur.* EXCLUDE (scope)
        FROM s LEFT JOIN dep USING (scope) LEFT JOIN dec USING (scope) LEFT JOIN dur USING (scope)
             LEFT JOIN back USING (scope)
        ORDER BY s.pos
        """,
        params | dec_params | decided_params | open_params | {"scopes": list(scopes)},
    )
    return frame[["scope", *[k for k, _, _ in INDICATORS]]]


def report_summaries(month: str | date, scopes: list[str]) -> pd.DataFrame:
    """The report's summary table of each scope (department code or ``NATIONAL``) for ``month``.

    One row per scope and indicator of ``INDICATORS``, in those orders: ``[scope, indicator, label, unit, mois,
    mois_precedent, annee_precedente, evolution_mois, evolution_annee]``. Values in the indicator's unit
    (counts, days, rate in 0..1). Evolutions against the previous month and the same month a year earlier:
    relative change (ratio − 1) for counts, NULL when the earlier value is 0; difference in days for
    durations; difference of rates (0..1, i.e. points / 100) for the rate; NULL when either value is missing.
    """
    periods = []
    for key, start in comparison_months(month).items():
        values = month_indicators(month_filters(start), scopes).melt(id_vars="scope", var_name="indicator",
                                                                     value_name=key)
        periods.append(values.set_index(["scope", "indicator"])[key])
    frame = pd.concat(periods, axis=1).apply(pd.to_numeric, errors="coerce").reset_index()
    labels = pd.DataFrame(INDICATORS, columns=["indicator", "label", "unit"])
    frame = frame.merge(labels, on="indicator")[["scope", "indicator", "label", "unit", *PERIODS]]
    counts = frame.unit == "dossiers"
    for column, earlier in (("evolution_mois", "mois_precedent"), ("evolution_annee", "annee_precedente")):
        relative = frame.mois / frame[earlier].where(frame[earlier] != 0) - 1
        frame[column] = relative.where(counts, frame.mois - frame[earlier])
    return frame


def report_summary(month: str | date, departement: str | None = None) -> pd.DataFrame:
    """``report_summaries`` of one department (None: all departments together), without the scope column."""
    return report_summaries(month, [departement or NATIONAL]).drop(columns="scope")


def report_departements(month: str | date) -> pd.DataFrame:
    """Departments a report for all units covers: those with a dossier déposé by the end of ``month``.

    Columns ``[code, name]`` ordered by code (dossiers without a department are in the national figures only).
    """
    f = month_filters(month)
    return db.query(
        """
        SELECT d.departement AS code, coalesce(r.name, d.departement) AS name
        FROM dossiers d LEFT JOIN ref_departements r ON r.code = d.departement
        WHERE d.departement IS NOT NULL AND d.depose_at < CAST($end_next AS TIMESTAMP)
        GROUP BY ALL ORDER BY code
        """,
        {"end_next": f.end + timedelta(days=1)},
    )


def available_months() -> list[date]:
    """Months with a deposit or a decision, most recent first (the report's month choices)."""
    frame = db.query(
        """
        SELECT DISTINCT CAST(date_trunc('month', m) AS DATE) AS month
        FROM (SELECT depose_at AS m FROM dossiers UNION ALL SELECT traite_at FROM dossiers)
        WHERE m IS NOT NULL ORDER BY month DESC
        """
    )
    return [pd.Timestamp(m).date() for m in frame.month]
