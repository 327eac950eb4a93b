"""The visitor journey on the WIF site and where it is lost: funnel, page table, priority score, paths, ineligibility.

All from the raw Matomo log (``visits`` and their ``actions``), for the visits of the period (``visit_date``)
and the department / audience filters (the department and audience *asked for* in the visit's URLs: a visit
that never chose one is left out by those filters). The contract filter never applies to visits, and the funnel
leaves it out of its dossier steps too so that both halves count the same population. Days whose raw log is
purged are missing from every figure here (see ``metrics.audience.raw_log_coverage``).

Vocabulary (page keys and roles: ``ref_pages``):

* a visit **reaches Démarches Simplifiées (DS)** when it clicks an outlink to a DS ``/commencer/`` form;
* a visit **exits** on the last page it viewed;
* a **lost visit** ("visite perdue") ends on a page without having reached DS, except on the "département non
  couvert" page (those visitors could not apply: counted apart as *non éligibles*). A visit that reached DS and
  then left is a successful departure, never a loss.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from metrics import db
from metrics.audience import device_label_sql
from metrics.filters import Filters, dossier_where, visit_where
from metrics.stats import DECIDED

# Funnel: (step, label, source). Site steps count visits that reached the step or a later one.
FUNNEL_STEPS = (
    ("accueil", "Accueil : choix du département et du public", "site"),
    ("checklist", "Page étudiant ou employeur : liste des pièces", "site"),
    ("depart_ds", "Clic « Je finalise ma demande sur Démarches Simplifiées »", "site"),
    ("deposes", "Dossier déposé", "ds"),
    ("instruits", "Dossier passé en instruction", "ds"),
    ("decides", "Décision rendue", "ds"),
)
_FUNNEL_PARAMS = {"steps": [s[0] for s in FUNNEL_STEPS], "labels": [s[1] for s in FUNNEL_STEPS],
                  "sources": [s[2] for s in FUNNEL_STEPS]}
# Priority score: pages are compared with the pooled loss rate of their group of roles.
BASELINE_GROUPS = {"entree": "parcours", "checklist": "parcours", "information": "information", "autre": "information"}
GROUP_LABELS = {"parcours": "pages du parcours", "information": "pages d'information"}
MIN_VISITS = 30
SCORE_DEFINITION = (
    "Score de priorité = visites perdues × indice de perte. Une visite est perdue quand elle se termine sur la "
    "page sans avoir cliqué vers le formulaire Démarches Simplifiées (les sorties sur la page « département non "
    "couvert » et les visites parties vers Démarches Simplifiées ne sont pas des pertes). L'indice de perte est le "
    "taux de perte de la page (visites perdues / visites de la page) divisé par le taux de perte moyen des pages "
    "du même type sur la même sélection : pages du parcours (accueil, pages étudiant et employeur), dont le rôle "
    "est de mener au formulaire, ou pages d'information (questions fréquentes, CGU, statistiques, vérification, "
    "introduction). Un indice de 1,5 signifie que la page perd 50 % de visites "
    "de plus qu'une page comparable. Le score est donc un nombre de visites perdues, majoré quand la page fait "
    f"moins bien que ses semblables et minoré quand elle fait mieux. Pages de moins de {MIN_VISITS} visites ou sans "
    "visite perdue non classées. L'évolution compare au score de la période précédente de même durée, calculé de "
    "la même façon."
)
MAX_PATH_STEPS = 4
END_NODES = {"sortie": "Sortie du site", "suite": f"Suite du parcours (plus de {MAX_PATH_STEPS} pages)",
             "autres": "Autres parcours"}


def _dossier_scope(f: Filters) -> Filters:
    """Dossier side of an aggregate join with visits: same period, departments and audience, all contracts."""
    return replace(f, contracts=())


def _site_steps_sql(where: str) -> str:
    """Visits ``n`` of the visits matching ``where`` per day, department, device and deepest site step reached
    (``depth``: 1 accueil, 2 checklist page, 3 DS departure; 0 when the visit saw none of them), with their exit
    page and DS departure: rows of ``visits_daily``, counted by the ETL from ``visits.journey_depth`` (itself
    derived from the visit's actions). ``where`` applies to ``v`` (period, department, audience columns)."""
    return f"""
        SELECT v.visit_date, v.departement, v.device_type, v.journey_depth AS depth, v.exit_page, v.reached_ds,
               v.visits AS n
        FROM visits_daily v
        WHERE {where}
    """


def _visits_with(condition: str) -> str:
    """SQL sum of ``n`` (visits) over the rows of ``_site_steps_sql`` meeting ``condition``, as BIGINT."""
    return f"CAST(coalesce(sum(n) FILTER (WHERE {condition}), 0) AS BIGINT)"


def journey_summaries(f: Filters) -> pd.DataFrame:
    """Headline figures of the journey over ``f`` (first row) and ``f.previous()`` (second row), counted in one
    query: columns ``[visits, journey_visits, departures, departure_rate, lost, lost_share, ineligible,
    purged_days, purged_visits]``.

    ``visits``: visits of the period; ``journey_visits``: those that reached the home page, a checklist page
    or DS (first funnel step); ``departures``: those that clicked through to DS; ``departure_rate`` =
    departures / journey_visits; ``lost``: visits lost (as in ``page_table``, summed over pages);
    ``lost_share`` = lost / visits; ``ineligible``: visits that viewed the "département non couvert" page
    (``ineligible_daily``, derived from the actions by the ETL). Counts of visits (the others from
    ``visits_daily``); ratios in 0..1, NULL when the denominator is 0. ``purged_days``: days of the period whose
    raw log is purged (``matomo_daily``), missing from every other figure; ``purged_visits``: their visits in
    Matomo's daily reports (whole site: these two ignore the department and audience filters). Counted with the
    pages' figures (``_page_scores``, one query).
    """
    scores = _page_scores(f, MIN_VISITS)
    return pd.DataFrame({column: [scores.at[0, f"now_{column}"], scores.at[0, f"before_{column}"]]
                         for column in _SUMMARY_COLUMNS})


def funnel(f: Filters, by: str = "departement") -> pd.DataFrame:
    """The WIF funnel, from the home page to the decision on the dossier.

    Columns ``[step, label, source, count, conversion, drop, overall]``, one row per ``FUNNEL_STEPS``.
    Site steps (``source = 'site'``, unit: visits) count the visits of the period that reached the step *or a
    later one* (a visit arriving straight on a checklist page has passed the home page). DS steps
    (``source = 'ds'``, unit: dossiers) follow the dossiers **deposited** in the period with the same
    department and audience filters: deposited, passed into instruction (whatever their state now), decided
    (accepted, refused or classé sans suite). Nothing links a visit to a dossier: the join is on aggregates, so
    the DS departure → deposit conversion may exceed 100 % (dossiers started from a direct DS link, deposits of
    departures made before the period). ``conversion`` = count / previous step's count, ``drop`` = previous −
    count, ``overall`` = count / first step's count (ratios 0..1, NULL when the denominator is 0; NULL for the
    first step).

    The counts are the sums of the rows of ``funnel_by(f, by)``, ``by`` "departement" or "month" (each visit and
    dossier of the period is in exactly one of those rows), bound as parameters: a page that shows that breakdown
    too has the funnel without counting the visits and dossiers again (``metrics.db``'s cache).
    """
    if by not in ("departement", "month"):
        raise ValueError(f"ventilation sans les dossiers : {by}")
    groups = funnel_by(f, by)
    steps = [step for step, _, _ in FUNNEL_STEPS]
    rows, counts = db.bound_rows({step: ("BIGINT", groups[step].tolist()) for step in steps})
    sums = ", ".join(f"coalesce(sum({step}), 0)" for step in steps)
    before = ", ".join(f"c[{i}]" for i in range(1, len(steps)))
    return db.query(
        f"""
        SELECT step, label, source, count, count / nullif(before, 0) AS conversion, before - count AS drop,
               CASE WHEN before IS NOT NULL THEN count / nullif(first, 0) END AS overall
        FROM (SELECT unnest($steps) AS step, unnest($labels) AS label, unnest($sources) AS source,
                     unnest(c) AS count, unnest([NULL, {before}]) AS before, c[1] AS first
              FROM (SELECT CAST([{sums}] AS BIGINT[]) AS c FROM ({rows})))
        """,
        counts | _FUNNEL_PARAMS,
    )


_MONTH = "CAST(date_trunc('month', {}) AS DATE)"
# Funnel breakdowns: visit key expression (on the per-visit step rows), dossier key expression (None: DS has no
# such dimension), label expression of the key ``g.key``, row order.
FUNNEL_GROUPS = {
    "departement": ("departement", "d.departement", "coalesce(g.key || ' – ' || r.name, g.key, 'Non renseigné')",
                    "g.key IS NULL, g.accueil DESC, g.key"),
    "device": ("device_type", None, device_label_sql("g.key"), "g.key IS NULL, g.accueil DESC, g.key"),
    "month": (_MONTH.format("visit_date"), _MONTH.format("d.depose_at"), "g.key", "g.key"),
}


def funnel_by(f: Filters, by: str) -> pd.DataFrame:
    """The funnel per department asked for, device type or month (``by`` in ``FUNNEL_GROUPS``).

    Columns ``[key, label, accueil, checklist, depart_ds, deposes, instruits, decides, checklist_rate,
    ds_rate, deposit_ratio]``: site step counts as in ``funnel`` (visits); DS counts as in ``funnel`` (dossiers
    deposited in the period) per instructing department or month of deposit, NULL per device (DS knows no
    device); ``checklist_rate`` = checklist / accueil, ``ds_rate`` = depart_ds / checklist, ``deposit_ratio`` =
    deposes / depart_ds (NULL when the denominator is 0). Departments and devices: most funnel visits first,
    visits that chose no department last ("Non renseigné", key NULL), departments with dossiers but no visit
    included; months (``key`` the first day) in order, those with a visit or a deposit.
    """
    if by not in FUNNEL_GROUPS:
        raise ValueError(f"ventilation inconnue : {by}")
    key, ds_key, label, order = FUNNEL_GROUPS[by]
    where, params = visit_where(f)
    ds_where, ds_params = dossier_where(_dossier_scope(f), "depose_at", prefix="ds_")
    zero = "0" if ds_key else "NULL"   # DS counts: none per device
    ds = (f"""SELECT {ds_key} AS key, count(*) AS deposes,
                     count(*) FILTER (WHERE d.state <> 'en_construction') AS instruits,
                     count(*) FILTER (WHERE {DECIDED}) AS decides
              FROM dossiers d WHERE {ds_where} GROUP BY 1""" if ds_key else
          "SELECT NULL AS key, NULL AS deposes, NULL AS instruits, NULL AS decides WHERE FALSE")
    return db.query(
        f"""
        WITH s AS ({_site_steps_sql(where)}),
             site AS (SELECT key, {_visits_with("depth >= 1")} AS accueil,
                             {_visits_with("depth >= 2")} AS checklist, {_visits_with("depth >= 3")} AS depart_ds
                      FROM (SELECT {key} AS key, depth, sum(n) AS n FROM s GROUP BY 1, 2)
                      GROUP BY 1 HAVING sum(n) FILTER (WHERE depth >= 1) > 0),
             ds AS ({ds}),
             g AS (SELECT coalesce(site.key, ds.key) AS key, coalesce(site.accueil, 0) AS accueil,
                          coalesce(site.checklist, 0) AS checklist, coalesce(site.depart_ds, 0) AS depart_ds,
                          ds.deposes, ds.instruits, ds.decides
                   FROM site FULL JOIN ds ON site.key IS NOT DISTINCT FROM ds.key)
        SELECT g.key, {label} AS label, g.accueil, g.checklist, g.depart_ds,
               CAST(coalesce(g.deposes, {zero}) AS BIGINT) AS deposes,
               CAST(coalesce(g.instruits, {zero}) AS BIGINT) AS instruits,
               CAST(coalesce(g.decides, {zero}) AS BIGINT) AS decides,
               g.checklist / nullif(g.accueil, 0) AS checklist_rate, g.depart_ds / nullif(g.checklist, 0) AS ds_rate,
               coalesce(g.deposes, {zero}) / nullif(g.depart_ds, 0) AS deposit_ratio
        FROM g {"LEFT JOIN ref_departements r ON r.code = g.key" if by == "departement" else ""}
        ORDER BY {order}
        """,
        params | (ds_params if ds_key else {}),
    )


def _page_stats_sql(where: str) -> str:
    """Per page key of ``ref_pages`` viewed by visits (role other than departure/document) and period, for the
    visits matching ``where`` (on alias ``v``): ``cur`` true for the visits from ``$cur_du`` on, false for the
    earlier ones, then the columns documented in ``page_table`` (both periods listed for every page). The view
    counts come from ``page_views_daily``, entries and exits from ``visits_daily`` (both derived by the ETL, per
    day, department and audience, filtered by the same ``where``). The CTEs of a ``WITH``, the rows in ``stats``,
    the visits of both periods per depth, entry and exit page in ``v``."""
    return f"""
             v AS (SELECT v.visit_date >= $cur_du AS cur, v.journey_depth AS depth, v.entry_page, v.exit_page,
                          v.reached_ds, sum(v.visits) AS visits
                   FROM visits_daily v WHERE {where} GROUP BY ALL),
             viewed AS (SELECT v.visit_date >= $cur_du AS cur, page_key, CAST(sum(visits) AS BIGINT) AS visits,
                               CAST(sum(pageviews) AS BIGINT) AS pageviews, sum(seconds) AS seconds,
                               sum(timed) AS timed, CAST(sum(ds_after) AS BIGINT) AS ds_after
                        FROM page_views_daily v WHERE {where} GROUP BY 1, 2),
             entries AS (SELECT cur, entry_page AS page_key, CAST(sum(visits) AS BIGINT) AS entries
                         FROM v GROUP BY 1, 2),
             exits AS (SELECT cur, exit_page AS page_key, CAST(sum(visits) AS BIGINT) AS exits,
                              CAST(coalesce(sum(visits) FILTER (WHERE reached_ds), 0) AS BIGINT) AS exits_ds,
                              CAST(coalesce(sum(visits) FILTER (WHERE NOT reached_ds AND exit_page = 'non_eligible'),
                                            0) AS BIGINT) AS exits_ineligible,
                              CAST(coalesce(sum(visits) FILTER (WHERE NOT reached_ds AND exit_page <> 'non_eligible'),
                                            0) AS BIGINT) AS lost
                       FROM v GROUP BY 1, 2),
             stats AS (
        SELECT cur, page_key, p.label, p.role,
               coalesce(w.visits, 0) AS visits, coalesce(w.pageviews, 0) AS pageviews,
               coalesce(e.entries, 0) AS entries, coalesce(x.exits, 0) AS exits,
               x.exits / nullif(w.visits, 0) AS exit_rate,
               w.seconds / nullif(w.timed, 0) AS avg_time_s,
               coalesce(w.ds_after, 0) AS ds_after, w.ds_after / nullif(w.visits, 0) AS ds_after_rate,
               coalesce(x.exits_ds, 0) AS exits_ds, coalesce(x.exits_ineligible, 0) AS exits_ineligible,
               coalesce(x.lost, 0) AS lost, coalesce(x.lost, 0) / nullif(w.visits, 0) AS lost_rate
        FROM ref_pages p CROSS JOIN (VALUES (true), (false)) t(cur)
        LEFT JOIN viewed w USING (cur, page_key) LEFT JOIN entries e USING (cur, page_key)
        LEFT JOIN exits x USING (cur, page_key)
        WHERE p.role NOT IN ('depart', 'document'))
    """


def _summary_sql(where: str) -> str:
    """The CTEs computing ``journey_summaries``' figures per period (``summary``, ``cur`` true for the period of
    ``f``) from ``v`` (``_page_stats_sql``), ``ineligible_daily`` and ``matomo_daily``."""
    lost = "NOT reached_ds AND p.role NOT IN ('non_eligible', 'depart', 'document')"
    return f"""
             c AS (SELECT cur, {_visits_with("TRUE")} AS visits, {_visits_with("depth >= 1")} AS journey_visits,
                          {_visits_with("depth >= 3")} AS departures, {_visits_with(lost)} AS lost
                   FROM (SELECT cur, depth, exit_page, reached_ds, visits AS n FROM v) s
                   LEFT JOIN ref_pages p ON p.page_key = s.exit_page GROUP BY cur),
             i AS (SELECT v.visit_date >= $cur_du AS cur, CAST(sum(v.visits) AS BIGINT) AS ineligible
                   FROM ineligible_daily v WHERE {where} GROUP BY 1),
             d AS (SELECT day >= $cur_du AS cur, count(*) AS days, sum(nb_visits) AS visits FROM matomo_daily
                   WHERE raw_status = 'purged' AND day BETWEEN $du AND $au GROUP BY 1),
             summary AS (
        SELECT t.cur, coalesce(c.visits, 0) AS visits, coalesce(c.journey_visits, 0) AS journey_visits,
               coalesce(c.departures, 0) AS departures, c.departures / nullif(c.journey_visits, 0) AS departure_rate,
               coalesce(c.lost, 0) AS lost, c.lost / nullif(c.visits, 0) AS lost_share,
               coalesce(i.ineligible, 0) AS ineligible, coalesce(d.days, 0) AS purged_days,
               CAST(coalesce(d.visits, 0) AS BIGINT) AS purged_visits
        FROM (VALUES (true), (false)) t(cur) LEFT JOIN c USING (cur) LEFT JOIN i USING (cur) LEFT JOIN d USING (cur))
    """


_SUMMARY_COLUMNS = ("visits", "journey_visits", "departures", "departure_rate", "lost", "lost_share", "ineligible",
                    "purged_days", "purged_visits")


def _as_queried(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of a wider query) with the dtypes its own query would have: DuckDB's ``.df()`` gives an
    integer column pandas' nullable ``Int64`` only when it holds a NULL, ``int64`` otherwise."""
    ints = [c for c, kind in frame.dtypes.items() if kind == "Int64" and not frame[c].hasnans]
    return frame.astype(dict.fromkeys(ints, "int64")) if ints else frame


_PAGE_TABLE_COLUMNS = ["page_key", "label", "role", "visits", "pageviews", "entries", "exits", "exit_rate",
                       "avg_time_s", "ds_after", "ds_after_rate", "exits_ds", "exits_ineligible", "lost", "lost_rate"]
_PRIORITY_COLUMNS = ["rank", "page_key", "label", "role", "grp", "visits", "lost", "lost_rate", "baseline",
                     "loss_index", "score", "prev_visits", "prev_lost", "prev_lost_rate", "prev_score", "prev_rank",
                     "score_change", "lost_rate_change"]


def _page_scores(f: Filters, min_visits: int) -> pd.DataFrame:
    """The pages of the period of ``f`` in one count: the columns of ``page_table`` and of ``priority``, both
    periods' figures (``_page_stats_sql``) scored in the same query; ``priority_order`` the row's place in
    ``priority`` (NULL for a page of no group); on every row, ``journey_summaries``' figures of the period
    (``now_*``) and of the previous one (``before_*``). Most visited first."""
    where, params = visit_where(replace(f, start=f.previous().start))
    groups = " ".join(f"WHEN '{role}' THEN '{group}'" for role, group in BASELINE_GROUPS.items())
    summary = ", ".join(f"n.{column} AS now_{column}, b.{column} AS before_{column}" for column in _SUMMARY_COLUMNS)
    return db.query(
        f"""
        WITH {_page_stats_sql(where)}, {_summary_sql(where)},
             totals AS (SELECT {summary} FROM summary n, summary b WHERE n.cur AND NOT b.cur),
             s AS (SELECT *, CASE role {groups} END AS grp FROM stats),
             b AS (SELECT *, CASE WHEN grp IS NOT NULL THEN sum(lost) OVER g / nullif(sum(visits) OVER g, 0)
                             END AS baseline
                   FROM s WINDOW g AS (PARTITION BY cur, grp)),
             scored AS (SELECT *, lost_rate / nullif(baseline, 0) AS loss_index,
                               CASE WHEN visits >= $min_visits THEN lost * coalesce(lost_rate / nullif(baseline, 0), 0)
                               END AS score
                        FROM b),
             ranked AS (SELECT *, CASE WHEN grp IS NOT NULL AND score > 0 THEN row_number() OVER (
                                      PARTITION BY cur, grp IS NULL ORDER BY score DESC NULLS LAST, visits DESC,
                                      page_key)
                                  END AS rank
                        FROM scored)
        SELECT c.*, p.visits AS prev_visits, p.lost AS prev_lost, p.lost_rate AS prev_lost_rate,
               p.score AS prev_score, p.rank AS prev_rank, c.score / nullif(p.score, 0) - 1 AS score_change,
               c.lost_rate - p.lost_rate AS lost_rate_change,
               CASE WHEN c.grp IS NOT NULL THEN row_number() OVER (
                   PARTITION BY c.grp IS NULL ORDER BY c.rank NULLS LAST, c.visits DESC, c.page_key) END
                   AS priority_order, totals.*
        FROM ranked c LEFT JOIN ranked p ON p.page_key = c.page_key AND NOT p.cur CROSS JOIN totals
        WHERE c.cur
        ORDER BY c.visits DESC, c.page_key
        """,
        params | {"cur_du": f.start, "min_visits": min_visits},
    )


def page_table(f: Filters) -> pd.DataFrame:
    """One row per WIF page key (``ref_pages``, departures and downloads excepted), most visited first.

    Columns and units:
    ``visits`` visits that viewed the page at least once; ``pageviews`` views (a reload counts twice);
    ``entries`` / ``exits`` visits that started / ended on it; ``exit_rate`` = exits / visits;
    ``avg_time_s`` mean seconds on the page over the views followed by another action of the visit (the time on
    the last action of a visit is unknown to Matomo: NULL when no view was followed by anything);
    ``ds_after`` visits that clicked through to DS after their first view of the page, ``ds_after_rate`` =
    ds_after / visits; ``exits_ds`` exits of visits that had reached DS (successful departures);
    ``exits_ineligible`` exits on the "département non couvert" page without DS; ``lost`` the other exits
    (visites perdues), ``lost_rate`` = lost / visits. Rates in 0..1, NULL when visits = 0; pages without visit
    are listed with zeros. Counted with ``priority`` (``_page_scores``, one query for both).
    """
    return _page_scores(f, MIN_VISITS)[_PAGE_TABLE_COLUMNS]


def priority(f: Filters, min_visits: int = MIN_VISITS) -> pd.DataFrame:
    """Pages à améliorer en priorité, ranked by the score defined in ``SCORE_DEFINITION``.

    For each page of a role in ``BASELINE_GROUPS`` (the "département non couvert" page has no loss by
    definition and is not ranked): ``lost_rate`` = lost / visits; ``baseline`` = the pooled loss rate of the
    pages of its group (Σ lost / Σ visits over those pages, same period and filters); ``loss_index`` =
    lost_rate / baseline (1 = as lossy as a comparable page); ``score`` = lost × loss_index, in visits, NULL
    when the page has fewer than ``min_visits`` visits.

    Columns ``[rank, page_key, label, role, grp, visits, lost, lost_rate, baseline, loss_index, score,
    prev_visits, prev_lost, prev_lost_rate, prev_score, prev_rank, score_change, lost_rate_change]``: ``prev_*``
    the same figures over ``f.previous()``; ``score_change`` = score / prev_score − 1 (NULL without a previous
    score), ``lost_rate_change`` in points of 0..1. Pages with a positive score are ranked (``rank`` 1, 2… by
    decreasing score, then visits); the others (too few visits, no lost visit) follow with ``rank`` NULL.
    Counted with ``page_table`` (``_page_scores``, one query for both: ``metrics.db``'s cache answers the second).
    """
    scores = _page_scores(f, min_visits)
    ranked = scores[scores.priority_order.notna()].sort_values("priority_order")
    return _as_queried(ranked[_PRIORITY_COLUMNS].reset_index(drop=True))


def _path_counts_sql(where: str) -> str:
    """Visits matching ``where`` (on alias ``v``) per path (``visit_paths_daily``, counted by the ETL per day,
    department and audience from ``visit_paths``: the page keys viewed, consecutive repeats merged, up to the
    first DS departure ``depart_ds``, else ended by ``sortie``), the path cut after ``$max_steps`` pages and ended
    by ``suite`` when longer. Visits are summed per ``path_id`` (integers) before the few distinct paths are read
    from ``paths`` and cut."""
    return f"""
        SELECT CASE WHEN len(d.path) > $max_steps + 1 THEN list_append(d.path[1:$max_steps], 'suite')
                    ELSE d.path END AS path, c.visits
        FROM (SELECT v.path_id, sum(v.visits) AS visits FROM visit_paths_daily v WHERE {where} GROUP BY 1) c
        JOIN paths d USING (path_id)
    """


def _ranked_paths_sql(where: str) -> str:
    """Paths with their visits and rank; those beyond ``$limit`` become ``[entry page, 'autres']``."""
    return f"""
        WITH p AS ({_path_counts_sql(where)}),
             counted AS (SELECT path, CAST(sum(visits) AS BIGINT) AS visits FROM p GROUP BY path),
             ranked AS (SELECT path, visits, row_number() OVER (ORDER BY visits DESC, path) AS rank FROM counted)
        SELECT CASE WHEN rank <= $limit THEN path ELSE [path[1], 'autres'] END AS path,
               min(rank) AS rank, sum(visits) AS visits, rank > $limit AS other
        FROM ranked GROUP BY 1, 4
    """


NODE_LABELS = ("(SELECT page_key AS node, label FROM ref_pages "
               "UNION ALL SELECT unnest($end_keys), unnest($end_labels))")


def _path_params(limit: int) -> dict:
    return {"limit": limit, "max_steps": MAX_PATH_STEPS, "end_keys": list(END_NODES),
            "end_labels": list(END_NODES.values())}


def _labelled_paths(f: Filters, limit: int) -> pd.DataFrame:
    """The rows of ``paths(f, limit)`` with ``labels``, the French label of each node of ``path`` (NULL for a node
    without label)."""
    where, params = visit_where(f)
    return db.query(
        f"""
        WITH r AS ({_ranked_paths_sql(where)}),
             names AS (SELECT map(list(node), list(label)) AS m FROM {NODE_LABELS}),
             l AS (SELECT r.*, list_transform(r.path, lambda node: names.m[node]) AS labels FROM r, names)
        SELECT row_number() OVER (ORDER BY other, visits DESC, rank) AS rank, path,
               array_to_string(labels, ' → ') AS path_label, CAST(visits AS BIGINT) AS visits,
               visits / sum(visits) OVER () AS share, path[-1] = 'depart_ds' AS reached_ds, other, labels
        FROM l
        ORDER BY rank
        """,
        params | _path_params(limit),
    )


def paths(f: Filters, limit: int = 10) -> pd.DataFrame:
    """The most frequent paths through the site, the rest grouped per entry page as "Autres parcours".

    A path is the sequence of pages a visit viewed (consecutive repeats merged, ``MAX_PATH_STEPS`` pages at
    most) until its first click to DS (``depart_ds``), else ended by "Sortie du site". Columns
    ``[rank, path, path_label, visits, share, reached_ds, other]``: ``path`` the list of node keys,
    ``path_label`` its French labels joined by " → ", ``share`` of the visits with a path (0..1),
    ``reached_ds`` whether the path ends with a DS departure, ``other`` true for the grouped rows (listed after
    the ``limit`` most frequent paths, most visits first).
    """
    return _labelled_paths(f, limit).drop(columns="labels")


def transitions(f: Filters, limit: int = 10) -> pd.DataFrame:
    """Links of the Sankey diagram of ``paths(f, limit)``: visits moving from one step of a path to the next.

    Columns ``[step, source, source_label, target, target_label, visits]``: ``step`` the position of the
    source node in the path (1 = entry page), ``source``/``target`` node keys (page keys, ``depart_ds``,
    ``sortie``, ``suite``, ``autres``). A node is identified by (step, key) so that loops do not make cycles.
    Most visits first within each step. Unit: visits. The links are summed from the rows of ``paths(f, limit)``
    with their node labels (answered by ``metrics.db``'s cache when the page asked for them), not from the visits
    again; a link to or from a node without label is left out.
    """
    kept = _labelled_paths(f, limit)
    links = [(step, source, source_label, target, target_label, visits)
             for path, labels, visits in zip(kept.path, kept.labels, kept.visits.tolist(), strict=True)
             for step, (source, source_label, target, target_label)
             in enumerate(zip(path, labels, path[1:], labels[1:], strict=False), 1)
             if source_label is not None and target_label is not None]
    names = ("step", "source", "source_label", "target", "target_label", "visits")
    kinds = ("INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT")
    columns = zip(*links, strict=True) if links else ([],) * len(names)
    rows, params = db.bound_rows({name: (kind, list(values))
                                  for name, kind, values in zip(names, kinds, columns, strict=True)})
    return db.query(f"SELECT step, source, source_label, target, target_label, CAST(sum(visits) AS BIGINT) AS visits "
                    f"FROM ({rows}) GROUP BY ALL ORDER BY step, visits DESC, source, target", params)


def ineligibility_summary(f: Filters) -> pd.DataFrame:
    """Visits that landed on the "département non couvert" page: one row ``[visits, ineligible, share]``.

    ``visits``: visits of the period (raw log, counted from ``visits_daily``); ``ineligible``: those with at least
    one view of the page (``ineligible_daily``, derived from the actions by the ETL); ``share`` = ineligible /
    visits in 0..1 (NULL without visits).
    """
    where, params = visit_where(f)
    return db.query(
        f"""
        SELECT visits, ineligible, ineligible / nullif(visits, 0) AS share
        FROM (SELECT CAST(coalesce(sum(v.visits), 0) AS BIGINT) AS visits FROM visits_daily v WHERE {where}),
             (SELECT CAST(coalesce(sum(v.visits), 0) AS BIGINT) AS ineligible FROM ineligible_daily v WHERE {where})
        """,
        params,
    )


def ineligibility_by_departement(f: Filters) -> pd.DataFrame:
    """Where demand exists before rollout: visits on the "département non couvert" page per department asked for.

    Columns ``[departement, name, visits, share, before_opening, first_deposit, label, after_opening]``:
    ``visits`` visits of the period that viewed the page for that department (the department carried by the
    page's URL; NULL when the URL carries none, e.g. the 2018 static site: "Non renseigné"); ``share`` of all such
    visits (0..1); ``first_deposit`` the first dossier ever deposited in the department (whole history, all
    filters but the department ignored: the department's opening), NULL if it never opened; ``before_opening``
    the visits before that date (all of them when it never opened), ``after_opening`` the others; ``label`` "code
    – name" ("Non renseigné" without department). Most visits first. The (visit, department) pairs come
    from ``ineligible_views``, derived from the actions by the ETL; the openings from ``_openings``, bound as
    parameters.
    """
    where, params = visit_where(f)
    openings = _openings()
    opened, opened_params = db.bound_rows({"departement": ("VARCHAR", openings.departement.tolist()),
                                           "first_deposit": ("DATE", openings.first_deposit.dt.date.tolist())})
    return db.query(
        f"""
        WITH n AS (SELECT v.visit_key, v.page_departement AS departement, v.visit_date
                   FROM ineligible_views v WHERE {where}),
             opened AS ({opened})
        SELECT n.departement, coalesce(r.name, n.departement, 'Non renseigné') AS name, count(*) AS visits,
               count(*) / sum(count(*)) OVER () AS share,
               count(*) FILTER (WHERE o.first_deposit IS NULL OR n.visit_date < o.first_deposit) AS before_opening,
               o.first_deposit,
               CASE WHEN n.departement IS NULL THEN 'Non renseigné'
                    ELSE n.departement || ' – ' || coalesce(r.name, n.departement) END AS label,
               visits - before_opening AS after_opening
        FROM n LEFT JOIN opened o USING (departement) LEFT JOIN ref_departements r ON r.code = n.departement
        GROUP BY n.departement, r.name, o.first_deposit
        ORDER BY visits DESC, n.departement NULLS LAST
        """,
        params | opened_params,
    )


def _openings() -> pd.DataFrame:
    """The first dossier ever deposited per department (``[departement, first_deposit]``, a DATE; departments
    with a dossier only): the same for every filter, so counted once per published warehouse (``metrics.db``'s
    cache)."""
    return db.query("SELECT departement, CAST(min(depose_at) AS DATE) AS first_deposit FROM dossiers "
                    "WHERE departement IS NOT NULL GROUP BY 1")
