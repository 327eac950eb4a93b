"""Audience, Parcours and Temps de démarche in a real browser, opened with URL filters: headline values, the
funnel and the priority list equal SQL written here (independently of the metrics layer); screenshots in
tests/artifacts/.

Also the figure builders of those pages that need no browser (funnel, Sankey, heatmap, priority sentences).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest
from playwright.sync_api import expect

from components import audience_figures as af
from components import format as fmt
from metrics import journey
from tests.browser import assert_every_figure_filled, open_app, screenshot, settle, sql, table
from tests.factories import dossier, make_warehouse
from tests.test_metrics_audience import journey_visit, step

PURGED = {"2025-03-10": 25, "2025-03-11": 30}     # days whose raw log is purged: daily visits only
INFO_PAGES = ("faq", "faq", "cgu", "verification")


def _steps(rnd: random.Random, kind: str, who: dict) -> list[tuple]:
    checklist = who["audience"]
    gap = rnd.randrange(10, 120)
    if kind == "bounce":
        return [step(0, "accueil")]
    if kind == "checklist":
        tail = [step(gap + 40, "faq")] if rnd.random() < 0.2 else []
        return [step(0, "accueil"), step(gap, checklist, **who), *tail]
    if kind == "depart":
        total = 30 + int(rnd.lognormvariate(math.log(300), 0.9))
        return [step(0, "accueil"), step(total // 3, checklist, **who), step(total, "depart_ds", **who)]
    if kind == "fail":
        return [step(0, "accueil"), step(gap, "non_eligible", departement=rnd.choice(("33", "59", "13")))]
    return [step(0, rnd.choice(INFO_PAGES)), *([step(gap, "accueil")] if rnd.random() < 0.3 else [])]


def audience_rows(seed: int = 5) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Deterministic visits (with actions), matching daily totals plus purged days, and dossiers, 2024–2025."""
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, 8)
    visits, actions = [], []
    for key in range(1, 1601):
        began = start + timedelta(days=rnd.randrange(0, 731), minutes=rnd.randrange(0, 720))
        if str(began.date()) in PURGED:
            began += timedelta(days=2)
        who = {"departement": rnd.choice(("75", "75", "75", "69")),
               "audience": rnd.choice(("etudiant", "employeur"))}
        kind = rnd.choices(("bounce", "checklist", "depart", "fail", "info"), weights=(25, 25, 30, 8, 12))[0]
        row, acts = journey_visit(key, str(began), _steps(rnd, kind, who),
                                  device_type=rnd.choice(("desktop", "desktop", "smartphone", "tablet")))
        visits.append(row)
        actions.extend(acts)
    per_day = Counter(v["visit_date"] for v in visits)
    daily = [{"site_id": 1, "day": day, "nb_visits": n, "nb_actions": n, "bounce_count": 0, "sum_visit_length": 0}
             for day, n in sorted(per_day.items())]
    daily += [{"site_id": 1, "day": day, "nb_visits": n, "nb_actions": 2 * n, "bounce_count": n // 3,
               "sum_visit_length": 90 * n} for day, n in PURGED.items()]
    dossiers = []
    for number in range(1, 401):
        deposit = start + timedelta(days=rnd.randrange(0, 731), minutes=rnd.randrange(0, 480))
        state = rnd.choice(("accepte", "accepte", "refuse", "en_instruction", "en_construction"))
        decided = {"traite_at": str(deposit + timedelta(days=6))} if state in ("accepte", "refuse") else {}
        dossiers.append(dossier(number, demarche=rnd.choice((1, 2, 3)), state=state, depose_at=str(deposit),
                                **decided))
    return visits, actions, daily, dossiers


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    visits, actions, daily, dossiers = audience_rows()
    return make_warehouse(tmp_path_factory.mktemp("audience-pages"), visits=visits, actions=actions, daily=daily,
                          dossiers=dossiers)


@pytest.fixture(scope="module")
def server(app_server, warehouse):
    return app_server(warehouse)


@pytest.mark.browser
def test_parcours_funnel_and_priority_list_for_paris(page, server, warehouse):
    open_app(page, server.url("/parcours?du=2025-01-01&au=2025-12-31&dep=75"))
    period = "v.visit_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' AND v.departement = '75'"
    (home, checklist, departed), = sql(warehouse, f"""
        WITH s AS (SELECT v.visit_key, v.reached_ds,
                          bool_or(a.page_key IN ('etudiant', 'employeur')) AS list,
                          bool_or(a.page_key = 'accueil') AS home
                   FROM visits v JOIN actions a USING (visit_key) WHERE {period} GROUP BY ALL)
        SELECT count(*) FILTER (WHERE home OR list OR reached_ds), count(*) FILTER (WHERE list OR reached_ds),
               count(*) FILTER (WHERE reached_ds) FROM s""")
    (deposited, instructed, decided), = sql(warehouse, """
        SELECT count(*), count(*) FILTER (WHERE state <> 'en_construction'),
               count(*) FILTER (WHERE state IN ('accepte', 'refuse', 'sans_suite'))
        FROM dossiers WHERE departement = '75' AND depose_at >= '2025-01-01' AND depose_at < '2026-01-01'""")
    assert departed > 50 and deposited > 50                                            # a meaningful case
    rows = table(page, "parcours-entonnoir")
    assert [r[2] for r in rows] == [fmt.fmt_int(n) for n in (home, checklist, departed, deposited, instructed,
                                                             decided)]
    assert rows[1][3] == fmt.fmt_number(100 * checklist / home, 1)
    assert page.inner_text("#parcours-kpi-departs-value") == fmt.fmt_int(departed)

    assert "purgé" in page.inner_text("#parcours-notices")                       # purged March days not counted
    assert journey.SCORE_DEFINITION in page.inner_text("#parcours-definition")

    # The priority list over every department, against the score recomputed from the raw tables here:
    # lost visits × (loss rate / loss rate of the group), pages of at least 30 visits with a lost visit.
    open_app(page, server.url("/parcours?du=2025-01-01&au=2025-12-31"))
    period = "v.visit_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'"
    scored = sql(warehouse, f"""
        WITH viewed AS (SELECT a.page_key, count(DISTINCT v.visit_key) AS visits
                        FROM visits v JOIN actions a USING (visit_key)
                        WHERE {period} AND a.action_type = 'action' GROUP BY 1),
             lost AS (SELECT v.exit_page AS page_key, count(*) AS lost FROM visits v
                      WHERE {period} AND NOT v.reached_ds AND v.exit_page <> 'non_eligible' GROUP BY 1),
             pages AS (SELECT p.label, CASE WHEN p.role IN ('entree', 'checklist') THEN 'j' ELSE 'i' END AS grp,
                              w.visits, coalesce(l.lost, 0) AS lost
                       FROM viewed w JOIN ref_pages p USING (page_key) LEFT JOIN lost l USING (page_key)
                       WHERE p.role <> 'non_eligible'),
             g AS (SELECT *, sum(lost) OVER (PARTITION BY grp) / sum(visits) OVER (PARTITION BY grp) AS base
                   FROM pages)
        SELECT label, lost, visits, lost * (lost / visits) / base AS score FROM g WHERE visits >= 30 AND lost > 0
        ORDER BY score DESC""")
    assert len(scored) >= 4
    shown = page.eval_on_selector_all(".wif-priority > li strong", "els => els.map(e => e.textContent)")
    assert shown == [label for label, *_ in scored[:5]]
    first = page.inner_text("#parcours-priorite-1 p")
    label, lost, visits, score = scored[0]
    assert first.startswith(f"{fmt.fmt_int(lost)} visites perdues sur {fmt.fmt_int(visits)} visites de la page")
    assert f"Score {fmt.fmt_int(score)}" in first and "période précédente" in first
    assert [r[1] for r in table(page, "parcours-priorite")[:len(shown)]] == shown

    page.click("#parcours-by label:has-text('Appareil')")
    expect(page.locator("#parcours-ventilation-thead th").first).to_have_text("Appareil")
    settle(page)
    assert_every_figure_filled(page, server)
    screenshot(page, "audience-parcours")


@pytest.mark.browser
def test_audience_totals_include_purged_days_and_say_so(page, server, warehouse):
    open_app(page, server.url("/audience?du=2025-01-01&au=2025-06-30&contrat=cdd"))
    (raw, pageviews), = sql(warehouse, """SELECT count(*), sum(nb_pageviews) FROM visits
                                          WHERE visit_date BETWEEN '2025-01-01' AND '2025-06-30'""")
    purged = sum(PURGED.values())
    assert page.inner_text("#audience-kpi-visites-value") == fmt.fmt_int(raw + purged)
    assert page.inner_text("#audience-kpi-pages-value") == fmt.fmt_int(pageviews + 2 * purged)
    notices = page.inner_text("#audience-notices")
    assert "type de contrat" in notices and "2 jours" in notices and fmt.fmt_int(purged) in notices
    devices = dict(sql(warehouse, """SELECT device_type, count(*) FROM visits
                                     WHERE visit_date BETWEEN '2025-01-01' AND '2025-06-30' GROUP BY 1"""))
    rows = {r[0]: r[1] for r in table(page, "audience-appareils")}
    assert rows == {"Ordinateur": fmt.fmt_int(devices["desktop"]), "Smartphone": fmt.fmt_int(devices["smartphone"]),
                    "Tablette": fmt.fmt_int(devices["tablet"])}
    assert_every_figure_filled(page, server)
    screenshot(page, "audience-audience")
    # With a department filter the purged days cannot be split: left out, and said so.
    open_app(page, server.url("/audience?du=2025-01-01&au=2025-06-30&dep=69"))
    (rhone,), = sql(warehouse, """SELECT count(*) FROM visits WHERE departement = '69'
                                  AND visit_date BETWEEN '2025-01-01' AND '2025-06-30'""")
    assert page.inner_text("#audience-kpi-visites-value") == fmt.fmt_int(rhone)
    assert "ne figurent pas" in page.inner_text("#audience-notices")


@pytest.mark.browser
def test_temps_de_demarche_for_students(page, server, warehouse):
    open_app(page, server.url("/temps-de-demarche?du=2025-01-01&au=2025-12-31&public=etudiant"))
    (n, median, under), = sql(warehouse, """
        SELECT count(*), quantile_cont(seconds_to_ds, 0.5), count(*) FILTER (WHERE seconds_to_ds < 600)
        FROM visits WHERE reached_ds AND seconds_to_ds >= 0 AND audience = 'etudiant'
          AND visit_date BETWEEN '2025-01-01' AND '2025-12-31'""")
    assert n > 50
    assert page.inner_text("#temps-kpi-departs-value") == fmt.fmt_int(n)
    assert page.inner_text("#temps-kpi-median-value") == fmt.fmt_duration_s(median)
    assert page.inner_text("#temps-kpi-moins-10-value") == fmt.fmt_pct(under / n)
    rows = table(page, "temps-distribution")
    assert sum(int(r[1].replace(fmt.GROUP, "")) for r in rows) == n
    assert "remplir le formulaire" in page.inner_text("#temps-mesure")
    page.click("#temps-indicateur label:has-text('Temps médian')")
    settle(page)
    assert [r[0] for r in table(page, "temps-publics")] == ["Étudiants"]
    assert_every_figure_filled(page, server)
    screenshot(page, "audience-temps-de-demarche")


# ---------------------------------------------------------------- building blocks (no browser)
def test_funnel_figure_colours_the_two_sources_and_labels_conversions():
    funnel = pd.DataFrame({"label": ["A", "B", "C"], "source": ["site", "site", "ds"], "count": [100, 40, 50],
                           "conversion": [None, 0.4, 1.25]})
    fig = go.Figure(af.funnel_figure(funnel))
    assert list(fig.data[0].marker.color) == [af.theme.BLUE_FRANCE, af.theme.BLUE_FRANCE, af.DS_COLOR]
    assert list(fig.data[0].text) == ["100", "40 (40,0\u00a0% de l'étape précédente)",
                                      "50 (125,0\u00a0% de l'étape précédente)"]


def test_sankey_merges_the_ends_and_keeps_one_page_node_per_step():
    links = pd.DataFrame({"step": [1, 1, 2, 2], "source": ["accueil", "accueil", "etudiant", "accueil"],
                          "source_label": ["Accueil", "Accueil", "Étudiant", "Accueil"],
                          "target": ["etudiant", "sortie", "sortie", "depart_ds"],
                          "target_label": ["Étudiant", "Sortie", "Sortie", "Départ"], "visits": [5, 3, 2, 1]})
    sankey = go.Figure(af.sankey_figure(links)).data[0]
    assert list(sankey.node.label) == ["Accueil", "Étudiant", "Accueil", "Sortie", "Départ"]   # accueil at 1 and 2
    assert list(sankey.link.source) == [0, 0, 1, 2] and list(sankey.link.target) == [1, 3, 3, 4]


def test_heatmap_has_monday_on_top_and_the_hours_as_columns():
    grid = pd.DataFrame({"weekday": [d for d in range(1, 8) for _ in range(24)],
                         "day": [n for n in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
                                 for _ in range(24)], "hour": list(range(24)) * 7, "visits": range(168)})
    heat = go.Figure(af.heatmap_figure(grid)).data[0]
    assert list(heat.y) == ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]
    assert heat.z[0][23] == 23 and heat.z[6][0] == 144


def test_priority_reason_explains_rate_volume_and_trend():
    row = pd.Series({"grp": "parcours", "visits": 6900, "lost": 4059, "lost_rate": 0.5883, "baseline": 0.3909,
                     "loss_index": 1.5, "score": 6109.0, "prev_score": 4103.0, "prev_rank": 2, "prev_lost_rate": 0.565})
    text = af.priority_reason(row)
    assert text.startswith("4\u202f059 visites perdues sur 6\u202f900 visites de la page (58,8\u00a0%).")
    assert "1,50 fois celui de l'ensemble des pages du parcours (39,1\u00a0%)" in text
    assert "Score 6\u202f109 ; +48,9\u00a0% par rapport à la période précédente (score 4\u202f103, rang 2)" in text
    assert "c'est le nombre de visites perdues qui la classe ici" in af.priority_reason(row.copy().set_axis(
        row.index).where(row.index != "loss_index", 0.81))
    assert "pas de score comparable sur la période précédente" in af.priority_reason(
        row.where(row.index != "prev_score", float("nan")))
