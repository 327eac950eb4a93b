"""Audience of the WIF site (Matomo): visits, page views, sources, devices, regions, time of visit.

Definitions shared by every function here:

* A *visit* is a Matomo visit (30 minutes of inactivity end it). The period applies to ``visit_date``; the
  department and audience filters to the department and public chosen during the visit (``visits``
  columns derived from its URLs); the contract filter never applies (the site does not know the contract).
* A *bounce* is a visit of a single action (one page view, download or link click), Matomo's definition
  of ``bounce_count``.
* Days whose raw log Matomo has purged (``matomo_daily.raw_status = 'purged'``) have no visit rows, only
  the daily totals of ``VisitsSummary.get``. Without department or audience filter, the totals below
  (``audience_summary``, ``visits_over_time``) add those daily totals; with one, they cannot be split and
  are left out. Breakdowns (sources, devices, regions, hours) only ever count the raw log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd

from metrics import db
from metrics.filters import Filters, buckets_cte, visit_where
from metrics.stats import split_parts

NOT_GIVEN = "Non renseigné"
OTHERS = "Autres"
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _reports_included(f: Filters) -> bool:
    """Whether daily totals of purged days can be added: only without department or audience filter."""
    return not (f.departements or f.audience)


# The raw log per day, department and audience of the visit (visits, page views, bounces, duration): the rows of the
# ``audience`` breakdown, which count every visit once.
_RAW_DAYS = "(SELECT * FROM visit_breakdowns_daily WHERE breakdown = 'audience')"

# Daily totals of the period's purged days (pageviews from the daily page report, else Matomo's nb_actions).
_PURGED = """
    SELECT d.day, d.nb_visits AS visits, coalesce(p.hits, d.nb_actions) AS pageviews,
           d.bounce_count AS bounces, d.sum_visit_length AS duration
    FROM matomo_daily d
    LEFT JOIN (SELECT site_id, day, sum(nb_hits) AS hits FROM matomo_pages_daily WHERE report = 'pages'
               GROUP BY site_id, day) p ON p.site_id = d.site_id AND p.day = d.day
    WHERE d.raw_status = 'purged' AND d.day BETWEEN $du AND $au
"""


# Columns of ``audience_summary`` from a ``total`` relation of the sums (visits, pageviews, bounces, duration,
# purged_days, report_visits).
_SUMMARY_COLUMNS = """
    CAST(visits AS BIGINT) AS visits, CAST(pageviews AS BIGINT) AS pageviews,
    CAST(pageviews AS DOUBLE) / nullif(visits, 0) AS pages_per_visit,
    CAST(duration AS DOUBLE) / nullif(visits, 0) AS avg_duration_s,
    CAST(bounces AS DOUBLE) / nullif(visits, 0) AS bounce_rate,
    CAST(purged_days AS BIGINT) AS purged_days, CAST(report_visits AS BIGINT) AS report_visits
"""


def audience_summary(f: Filters) -> pd.DataFrame:
    """Headline audience of the period.

    One row ``[visits, pageviews, pages_per_visit, avg_duration_s, bounce_rate, purged_days, report_visits]``:
    visits and page views (counts); page views per visit; mean visit duration in seconds (Matomo's
    ``visitDuration``: first to last action, 0 for a single action); bounce rate in 0..1; ``purged_days`` the
    days of the period whose raw log is purged; ``report_visits`` the visits of those days taken from the daily
    totals and included in the figures (0 with a department or audience filter: those visits are then not
    counted at all). Ratios are NULL when there is no visit.
    """
    where, params = visit_where(f)
    return db.query(
        f"""
        WITH raw AS (
            SELECT coalesce(sum(v.visits), 0) AS visits, coalesce(sum(v.pageviews), 0) AS pageviews,
                   coalesce(sum(v.bounces), 0) AS bounces, coalesce(sum(v.duration), 0) AS duration
            FROM {_RAW_DAYS} v WHERE {where}
        ), purged AS (
            SELECT count(*) AS days, coalesce(sum(visits), 0) AS visits, coalesce(sum(pageviews), 0) AS pageviews,
                   coalesce(sum(bounces), 0) AS bounces, coalesce(sum(duration), 0) AS duration
            FROM ({_PURGED})
        ), total AS (
            SELECT raw.visits + CASE WHEN $reports THEN purged.visits ELSE 0 END AS visits,
                   raw.pageviews + CASE WHEN $reports THEN purged.pageviews ELSE 0 END AS pageviews,
                   raw.bounces + CASE WHEN $reports THEN purged.bounces ELSE 0 END AS bounces,
                   raw.duration + CASE WHEN $reports THEN purged.duration ELSE 0 END AS duration,
                   purged.days AS purged_days, CASE WHEN $reports THEN purged.visits ELSE 0 END AS report_visits
            FROM raw, purged
        )
        SELECT {_SUMMARY_COLUMNS} FROM total
        """,
        params | {"reports": _reports_included(f)},
    )


def summary_with_previous(f: Filters) -> pd.DataFrame:
    """``audience_summary`` of ``f`` (first row) and of ``f.previous()`` (second row) from one query over both periods
    (adjacent: one range split at ``f.start``), with one more column ``purged_visits``: the visits of the purged days
    of the period in the daily totals, whatever the department or audience filter (those the figures of a filtered
    view cannot include)."""
    where, params = visit_where(replace(f, start=f.previous().start))
    return db.query(
        f"""
        WITH raw AS (
            SELECT CASE WHEN v.visit_date >= $cut THEN 0 ELSE 1 END AS k, sum(v.visits) AS visits,
                   sum(v.pageviews) AS pageviews, sum(v.bounces) AS bounces, sum(v.duration) AS duration
            FROM {_RAW_DAYS} v WHERE {where} GROUP BY 1
        ), purged AS (
            SELECT CASE WHEN day >= $cut THEN 0 ELSE 1 END AS k, count(*) AS days, sum(visits) AS visits,
                   sum(pageviews) AS pageviews, sum(bounces) AS bounces, sum(duration) AS duration
            FROM ({_PURGED}) GROUP BY 1
        ), total AS (
            SELECT k, coalesce(raw.visits, 0) + CASE WHEN $reports THEN coalesce(purged.visits, 0) ELSE 0 END AS visits,
                   coalesce(raw.pageviews, 0) + CASE WHEN $reports THEN coalesce(purged.pageviews, 0) ELSE 0 END
                       AS pageviews,
                   coalesce(raw.bounces, 0) + CASE WHEN $reports THEN coalesce(purged.bounces, 0) ELSE 0 END AS bounces,
                   coalesce(raw.duration, 0) + CASE WHEN $reports THEN coalesce(purged.duration, 0) ELSE 0 END
                       AS duration,
                   coalesce(purged.days, 0) AS purged_days, coalesce(purged.visits, 0) AS purged_visits,
                   CASE WHEN $reports THEN purged_visits ELSE 0 END AS report_visits
            FROM (VALUES (0), (1)) periods(k) LEFT JOIN raw USING (k) LEFT JOIN purged USING (k)
        )
        SELECT {_SUMMARY_COLUMNS}, CAST(purged_visits AS BIGINT) AS purged_visits FROM total ORDER BY k
        """,
        params | {"cut": f.start, "reports": _reports_included(f)},
    )


def visits_over_time(f: Filters, grain: str = "month") -> pd.DataFrame:
    """Visits per day, week (ISO, from Monday) or month.

    Columns ``[periode, complete, raw_visits, report_visits, visits, purged_days]``: one row per bucket
    overlapping the period (zeros included), ``periode`` its first day (DATE), ``complete`` false for a bucket
    cut by the period bounds; ``raw_visits`` from the raw log, ``report_visits`` from the daily totals of
    purged days (0 with a department or audience filter), ``visits`` their sum; ``purged_days`` in the bucket.
    """
    buckets = buckets_cte(grain)
    where, params = visit_where(f)
    return db.query(
        f"""
        WITH {buckets}, raw AS (
            SELECT CAST(date_trunc($grain, v.visit_date) AS DATE) AS periode, CAST(sum(v.visits) AS BIGINT) AS n
            FROM {_RAW_DAYS} v WHERE {where} GROUP BY 1
        ), purged AS (
            SELECT CAST(date_trunc($grain, day) AS DATE) AS periode, sum(visits) AS n, count(*) AS days
            FROM ({_PURGED}) GROUP BY 1
        )
        SELECT b.periode,
               b.complete,
               coalesce(raw.n, 0) AS raw_visits,
               CAST(CASE WHEN $reports THEN coalesce(purged.n, 0) ELSE 0 END AS BIGINT) AS report_visits,
               raw_visits + report_visits AS visits,
               coalesce(purged.days, 0) AS purged_days
        FROM buckets b LEFT JOIN raw USING (periode) LEFT JOIN purged USING (periode)
        ORDER BY b.periode
        """,
        params | {"grain": grain, "au_next": f.end + timedelta(days=1), "reports": _reports_included(f)},
    )


# Breakdowns (their keys are those of ``etl.warehouse.BREAKDOWN_KEYS``, counted per day by the ETL): French labels
# of known keys, how many groups are listed before "Autres".
_REGIONS = "(SELECT DISTINCT region_code, region_name FROM ref_departements)"
BREAKDOWNS = {
    "device": ({"desktop": "Ordinateur", "smartphone": "Smartphone", "tablet": "Tablette", "phablet": "Phablette"},
               8),
    "browser": ({}, 8),
    "os": ({}, 8),
    "referrer_type": ({"direct": "Accès direct", "search": "Moteurs de recherche", "website": "Sites web",
                       "social": "Réseaux sociaux", "campaign": "Campagnes"}, 8),
    "referrer": ({}, 10),
    "region": ({"hors_france": "Hors de France", "?": "France, région inconnue"}, 20),
    "audience": ({"etudiant": "Étudiants", "employeur": "Employeurs"}, 8),
    "visitor_type": ({"new": "Nouveaux visiteurs", "returning": "Visiteurs connus"}, 8),
}


def _label_sql(column: str, by: str, missing: str) -> str:
    """SQL French label of the ``BREAKDOWNS[by]`` code held in ``column`` (constant text, no user input)."""
    whens = " ".join(f"WHEN '{code}' THEN '{label}'" for code, label in BREAKDOWNS[by][0].items())
    return f"CASE {column} {whens} ELSE coalesce({column}, '{missing}') END"


def device_label_sql(column: str) -> str:
    """SQL French label of a Matomo device type held in ``column`` (for the journey and time metrics)."""
    return _label_sql(column, "device", NOT_GIVEN)


def audience_label_sql(column: str) -> str:
    """SQL French label of the audience held in ``column``; NULL (no public chosen) is "Public non déterminé"."""
    return _label_sql(column, "audience", "Public non déterminé")


# Every breakdown of a filter set in one pass over ``visit_breakdowns_daily`` (one row per listed group, ``breakdown``
# its name): ``breakdown`` takes the rows of its own. Region names, only needed for regions, are joined to the
# counted groups (the key of a French visit is its region code): Matomo's own region name comes second.
_BREAKDOWNS_SQL = f"""
    WITH c AS (
        SELECT b.breakdown, b.key, any_value(b.region_name) AS matomo_name, sum(b.visits) AS visits,
               sum(b.bounces) AS bounces, sum(b.ds) AS ds
        FROM visit_breakdowns_daily b WHERE {{where}} GROUP BY 1, 2
    ), ranked AS (
        SELECT c.breakdown, c.key,
               CASE WHEN c.breakdown = 'region' THEN coalesce(r.region_name, c.matomo_name, c.key) ELSE c.key END
                   AS name,
               c.visits, c.bounces, c.ds, t.top,
               row_number() OVER (PARTITION BY c.breakdown ORDER BY c.visits DESC, c.key NULLS LAST) AS rk
        FROM c JOIN (SELECT unnest($names) AS breakdown, unnest($tops) AS top) t USING (breakdown)
        LEFT JOIN {_REGIONS} r ON c.breakdown = 'region' AND r.region_code = c.key
    ), grouped AS (
        SELECT p.breakdown, CASE WHEN rk <= top OR p.key IS NULL THEN p.key ELSE '*' END AS key,
               CASE WHEN rk <= top OR p.key IS NULL THEN coalesce(l.label, p.name, $missing) ELSE $others END AS label,
               sum(visits) AS visits, sum(bounces) AS bounces, sum(ds) AS ds,
               min(CASE WHEN p.key IS NULL THEN 2 * top + 2 WHEN rk <= top THEN rk ELSE 2 * top + 1 END) AS pos
        FROM ranked p
        LEFT JOIN (SELECT unnest($label_names) AS breakdown, unnest($codes) AS code, unnest($labels) AS label) l
            ON l.breakdown = p.breakdown AND l.code = p.key
        GROUP BY 1, 2, 3
    )
    SELECT breakdown, key, label, CAST(visits AS BIGINT) AS visits,
           visits / sum(visits) OVER (PARTITION BY breakdown) AS share, bounces / visits AS bounce_rate,
           ds / visits AS ds_rate
    FROM grouped ORDER BY breakdown, pos
"""
_BREAKDOWN_PARAMS = {
    "names": list(BREAKDOWNS), "tops": [top for _labels, top in BREAKDOWNS.values()],
    "label_names": [by for by, (labels, _top) in BREAKDOWNS.items() for _code in labels],
    "codes": [code for labels, _top in BREAKDOWNS.values() for code in labels],
    "labels": [label for labels, _top in BREAKDOWNS.values() for label in labels.values()],
    "missing": NOT_GIVEN, "others": OTHERS,
}


def breakdown(f: Filters, by: str) -> pd.DataFrame:
    """Visits of the period (raw log) per ``by``: one of ``BREAKDOWNS``.

    ``device`` (Matomo device type), ``browser``, ``os``, ``referrer_type`` (direct, search engines, websites,
    social networks, campaigns), ``referrer`` (search engine, social network or referring host; direct visits
    left out), ``region`` (French region; visits from abroad grouped), ``audience`` (public chosen during the
    visit), ``visitor_type`` (new or returning).

    Columns ``[key, label, visits, share, bounce_rate, ds_rate]``: ``share`` of the listed visits, ``bounce_rate``
    and ``ds_rate`` (share of visits that clicked through to Démarches Simplifiées) in 0..1. Most visits first;
    groups beyond the breakdown's limit are summed in one last row "Autres" (key ``'*'``); visits without a
    value form a row with a NULL key labelled "Non renseigné" (regions: the region of French visits only).
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"ventilation inconnue : {by}")
    return breakdowns(f)[by]


def breakdowns(f: Filters) -> dict[str, pd.DataFrame]:
    """``breakdown(f, by)`` of every dimension of ``BREAKDOWNS``, keyed by dimension, from their one query."""
    where, params = visit_where(f, alias="b")
    every = db.query(_BREAKDOWNS_SQL.format(where=where), params | _BREAKDOWN_PARAMS)
    columns = tuple(c for c in every.columns if c != "breakdown")
    return split_parts(every, dict.fromkeys(BREAKDOWNS, columns))


def weekday_hour(f: Filters) -> pd.DataFrame:
    """Visits of the period (raw log) by day of the week and hour of their start (Paris time).

    Columns ``[weekday, day, hour, visits]``: all 7 × 24 cells, zeros included; ``weekday`` 1 = Monday …
    7 = Sunday with its French name ``day``, ``hour`` 0..23.
    """
    where, params = visit_where(f)
    return db.query(
        f"""
        WITH cells AS (
            SELECT w AS weekday, h AS hour FROM range(1, 8) t(w), range(0, 24) u(h)
        ), c AS (
            SELECT v.weekday, v.hour, CAST(sum(v.visits) AS BIGINT) AS visits
            FROM visits_hourly v WHERE {where} GROUP BY 1, 2
        )
        SELECT CAST(cells.weekday AS INTEGER) AS weekday, $days[cells.weekday] AS day,
               CAST(cells.hour AS INTEGER) AS hour, coalesce(c.visits, 0) AS visits
        FROM cells LEFT JOIN c USING (weekday, hour)
        ORDER BY cells.weekday, cells.hour
        """,
        params | {"days": list(WEEKDAYS)},
    )
