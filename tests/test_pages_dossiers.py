"""Dossier pages in a real browser: each opened with a non-default URL filter, a figure's table and a headline
indicator equal to SQL written here (independently of the metrics layer); screenshots in tests/artifacts/.

Also the building blocks of those pages that need no browser: the France map and the specialised figures.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest
from playwright.sync_api import expect

from components import dossier_figures, theme
from components import format as fmt
from components import map as france
from tests.browser import assert_every_figure_filled, open_app, screenshot, settle, sql, table
from tests.factories import dossier, make_warehouse

STATES = ("accepte", "refuse", "sans_suite", "en_instruction", "en_construction")
CONTRACTS = ("apprentissage", "professionnalisation", "cdd", "doctorat", "interne")
NATIONALITIES = ("MA", "DZ", "TN", "SN", "CN", None)


def dossier_rows(seed: int = 11) -> list[dict]:
    """600 deterministic dossiers over 2024–2025 in 75, 69 and 13, with every field the pages use."""
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, 9)
    rows = []
    for number in range(1, 601):
        deposit = start + timedelta(days=rnd.randrange(0, 731), minutes=rnd.randrange(0, 480))
        instruction = deposit + timedelta(days=rnd.randrange(0, 4), hours=2)
        decision = instruction + timedelta(days=rnd.randrange(0, 20), hours=3)
        state = rnd.choices(STATES, weights=(70, 12, 8, 6, 4))[0]
        apt_start = deposit.date() + timedelta(days=rnd.randrange(5, 30))
        length = rnd.choice((59, 89, 90, 91, 180, 364, 400, None))
        values = {
            "contract_category": rnd.choice(CONTRACTS), "nationality": rnd.choice(NATIONALITIES),
            "demande_type": rnd.choice(("premiere", "premiere", "renouvellement", None)),
            "apt_start": str(apt_start), "apt_end": str(apt_start + timedelta(days=length)) if length else None,
            "en_instruction_at": None if state == "en_construction" else str(instruction),
            "traite_at": str(decision) if state in ("accepte", "refuse", "sans_suite") else None,
        }
        if number % 9 == 0:
            values["departement"] = "13"
        rows.append(dossier(number, demarche=rnd.choice((1, 1, 2, 3)), state=state, depose_at=str(deposit), **values))
    return rows


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return make_warehouse(tmp_path_factory.mktemp("dossier-pages"), dossiers=dossier_rows())


@pytest.fixture(scope="module")
def server(app_server, warehouse):
    return app_server(warehouse)


def headers(page, fig_id: str) -> list[str]:
    return page.eval_on_selector_all(f"#{fig_id}-thead th", "cells => cells.map(c => c.textContent)")


@pytest.mark.browser
def test_demarches_monthly_states_and_departments(page, server, warehouse):
    open_app(page, server.url("/demarches?du=2025-01-01&au=2025-06-30&dep=75"))
    expected = sql(warehouse, """
        SELECT date_trunc('month', depose_at) AS m,
               count(*) FILTER (WHERE state = 'en_construction'), count(*) FILTER (WHERE state = 'en_instruction'),
               count(*) FILTER (WHERE state = 'accepte'), count(*) FILTER (WHERE state = 'refuse'),
               count(*) FILTER (WHERE state = 'sans_suite'), count(*)
        FROM dossiers WHERE departement = '75' AND depose_at >= '2025-01-01' AND depose_at < '2025-07-01'
        GROUP BY 1 ORDER BY 1""")
    assert len(expected) == 6 and sum(row[-1] for row in expected) > 40          # a meaningful case
    rows = table(page, "demarches-temps")
    assert [r[0] for r in rows] == ["janvier 2025", "février 2025", "mars 2025", "avril 2025", "mai 2025",
                                    "juin 2025"]
    assert [r[1] for r in rows] == ["oui"] * 6
    assert [r[2:] for r in rows] == [[fmt.fmt_int(v) for v in row[1:]] for row in expected]
    total = sum(row[-1] for row in expected)
    assert page.inner_text("#demarches-kpi-deposes-value") == fmt.fmt_int(total)
    (previous,), = sql(warehouse, """SELECT count(*) FROM dossiers WHERE departement = '75'
                                     AND depose_at >= '2024-07-04' AND depose_at < '2025-01-01'""")
    assert page.inner_text("#demarches-kpi-deposes-previous") == fmt.fmt_int(previous)
    assert table(page, "demarches-carte")[0][:4] == ["75 – Paris", "Île-de-France", fmt.fmt_int(total),
                                                     fmt.fmt_int(previous)]
    page.click("#demarches-grain label:has-text('Semaine')")
    expect(page.locator("#demarches-temps-tbody tr").first).to_contain_text("semaine du 30/12/2024")
    settle(page)
    assert headers(page, "demarches-temps")[0] == "Semaine"
    assert_every_figure_filled(page, server)
    screenshot(page, "dossiers-demarches")


@pytest.mark.browser
def test_delais_calendar_days_by_month(page, server, warehouse):
    open_app(page, server.url("/delais?du=2025-01-01&au=2025-12-31&public=etudiant"))
    page.click("#delais-unite label:has-text('Jours calendaires')")
    expected = sql(warehouse, """
        SELECT date_trunc('month', traite_at) AS m, count(*),
               quantile_cont(date_diff('day', CAST(depose_at AS DATE), CAST(traite_at AS DATE)), 0.5)
        FROM dossiers WHERE audience = 'etudiant' AND state IN ('accepte', 'refuse', 'sans_suite')
          AND traite_at >= '2025-01-01' AND traite_at < '2026-01-01' AND traite_at >= depose_at
        GROUP BY 1 ORDER BY 1""")
    (median,), = sql(warehouse, """
        SELECT quantile_cont(date_diff('day', CAST(depose_at AS DATE), CAST(traite_at AS DATE)), 0.5)
        FROM dossiers WHERE audience = 'etudiant' AND state IN ('accepte', 'refuse', 'sans_suite')
          AND traite_at >= '2025-01-01' AND traite_at < '2026-01-01' AND traite_at >= depose_at""")
    expect(page.locator("#delais-kpi-median-value")).to_have_text(fmt.fmt_days(median))
    settle(page)
    rows = table(page, "delais-mois")
    assert len(rows) == len(expected) == 12
    assert [r[1] for r in rows] == [fmt.fmt_int(n) for _, n, _ in expected]
    shown = [m for _, n, m in expected if n >= 5]
    cell = fmt.fmt_int if all(m == int(m) for m in shown) else (lambda v: fmt.fmt_number(v, 1))  # one format a column
    assert [r[2] for r in rows] == [cell(m) if n >= 5 else fmt.MISSING for _, n, m in expected]
    assert_every_figure_filled(page, server)
    screenshot(page, "dossiers-delais")


@pytest.mark.browser
def test_contrats_apt_lengths_for_two_contracts(page, server, warehouse):
    open_app(page, server.url("/contrats?du=2025-01-01&au=2025-12-31&contrat=apprentissage,cdd"))
    lengths = sql(warehouse, """
        WITH l AS (SELECT CASE WHEN apt_end >= apt_start THEN date_diff('day', apt_start, apt_end) + 1 END AS days
                   FROM dossiers WHERE contract_category IN ('apprentissage', 'cdd')
                     AND depose_at >= '2025-01-01' AND depose_at < '2026-01-01')
        SELECT count(*) FILTER (WHERE days <= 30), count(*) FILTER (WHERE days BETWEEN 31 AND 90),
               count(*) FILTER (WHERE days BETWEEN 91 AND 182), count(*) FILTER (WHERE days BETWEEN 183 AND 365),
               count(*) FILTER (WHERE days > 365), count(*) FILTER (WHERE days IS NULL), count(*) FROM l""")[0]
    assert lengths[2] > 5 and lengths[1] > 5                                     # 90 and 91 days both present
    rows = table(page, "contrats-apt")
    assert [r[1] for r in rows] == [fmt.fmt_int(v) for v in lengths[:6]]
    assert page.inner_text("#contrats-kpi-deposes-value") == fmt.fmt_int(lengths[6])
    long_share = (lengths[2] + lengths[3] + lengths[4]) / (lengths[6] - lengths[5])
    assert page.inner_text("#contrats-kpi-longues-value") == fmt.fmt_pct(long_share)
    assert [r[0] for r in table(page, "contrats-issue")] == ["Contrat d'apprentissage", "CDD"]
    months = sql(warehouse, """
        SELECT DISTINCT date_trunc('month', depose_at) AS m FROM dossiers
        WHERE contract_category IN ('apprentissage', 'cdd') AND depose_at >= '2025-01-01' AND depose_at < '2026-01-01'
        ORDER BY m""")
    assert len(months) == 12 and [r[0] for r in table(page, "contrats-mois")] == [    # in time, not alphabetically
        fmt.fmt_month(m) for (m,) in months]
    assert_every_figure_filled(page, server)
    screenshot(page, "dossiers-contrats")


@pytest.mark.browser
def test_decisions_rates_by_contract_with_suppression(page, server, warehouse):
    open_app(page, server.url("/decisions?du=2025-01-01&au=2025-03-31&dep=69,13"))
    expected = sql(warehouse, """
        SELECT c.label, count(*), count(*) FILTER (WHERE d.state = 'refuse')
        FROM dossiers d JOIN ref_contract_categories c ON c.code = d.contract_category
        WHERE d.departement IN ('69', '13') AND d.state IN ('accepte', 'refuse', 'sans_suite')
          AND d.traite_at >= '2025-01-01' AND d.traite_at < '2025-04-01'
        GROUP BY c.label, c.sort_order ORDER BY c.sort_order""")
    assert any(n < 5 for _, n, _ in expected) and any(n >= 5 for _, n, _ in expected)   # both cases shown
    rows = table(page, "decisions-contrats")
    assert [r[:2] for r in rows] == [[label, fmt.fmt_int(n)] for label, n, _ in expected]
    column = headers(page, "decisions-contrats").index("Taux de refus (%)")
    assert [r[column] for r in rows] == [fmt.fmt_number(100 * k / n, 1) if n >= 5 else fmt.MISSING
                                         for _, n, k in expected]
    decided, refused = (sum(x) for x in zip(*[(n, k) for _, n, k in expected], strict=True))
    assert page.inner_text("#decisions-kpi-refus-value") == fmt.fmt_pct(refused / decided)
    assert table(page, "decisions-departements")[0][1] in ("69 – Rhône", "13 – Bouches-du-Rhône")
    assert_every_figure_filled(page, server)
    screenshot(page, "dossiers-decisions")


@pytest.mark.browser
def test_pages_handle_an_empty_selection(page, server):
    open_app(page, server.url("/delais?du=2024-02-01&au=2024-02-01&dep=69&contrat=interne"))
    assert page.inner_text("#delais-kpi-median-value") == fmt.MISSING
    assert table(page, "delais-departements") == []
    assert page.inner_text("#delais-period").startswith("Période du 1er février 2024 au 1er février 2024")


# ---------------------------------------------------------------- building blocks (no browser)
TINY_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
  <path id="2a" aria-label="Corse-du-Sud" d="m 10,10 10,0 0,10 -10,0 z m 30,0 5,0 0,5 z"/>
  <path id="75" aria-label="Paris" d="m 50,50 0.1,0 4,0 0,4 -4,0 z"/>
</svg>"""


def test_svg_paths_become_rings_with_relative_moves_after_close():
    rings = france.parse_path("m 10,10 10,0 0,10 -10,0 z m 30,0 5,0 0,5 z")
    assert rings == [[(10, 10), (20, 10), (20, 20), (10, 20)], [(40, 10), (45, 10), (45, 15)]]
    assert france.thin([(0, 0), (0.1, 0), (1, 0), (1, 0.2), (2, 0)], 0.5) == [(0, 0), (1, 0), (2, 0)]
    shapes = france.svg_shapes(TINY_SVG)
    assert list(shapes) == ["2A", "75"] and shapes["2A"].name == "Corse-du-Sud"
    assert shapes["2A"].x == [10, 20, 20, 10, 10, None, 40, 45, 45, 40, None]       # closed rings, None between
    assert shapes["2A"].y[:5] == [-10, -10, -20, -20, -10]                          # y points up
    assert len([v for v in shapes["75"].x if v is not None]) == 5                   # the 0.1 step is dropped


def test_inset_enlarges_its_departments_into_the_corner():
    shapes = france.svg_shapes(TINY_SVG)
    (paris,) = france.inset(shapes, codes=("75",), scale=5, corner=(0.0, 0.0))
    assert min(v for v in paris.x if v is not None) == 0 and max(v for v in paris.x if v is not None) == 20.5
    assert max(v for v in paris.y if v is not None) == 0 and min(v for v in paris.y if v is not None) == -20


def test_installed_outline_has_every_metropolitan_department():
    shapes, inset = france.departement_shapes()
    assert len(shapes) == 96 and {"01", "2A", "2B", "75", "95"} <= set(shapes)
    assert shapes["75"].name == "Ville de Paris" and [s.code for s in inset] == list(france.INSET_CODES)


def test_choropleth_colours_known_departments_and_greys_the_others(tmp_path, monkeypatch):
    svg = tmp_path / "outline.svg"
    svg.write_text(TINY_SVG, encoding="utf-8")
    monkeypatch.setenv("WIF_GEO_DEPARTEMENTS", str(svg))
    fig = go.Figure(france.choropleth(pd.DataFrame({"code": ["75", "971"], "n": [12, 3]}), "code", "n"))
    by_name = {t.name: t for t in fig.data if t.fill == "toself"}
    assert by_name["2A"].fillcolor == france.NO_DATA and by_name["2A"].text == "2A – Corse-du-Sud : aucune donnée"
    assert by_name["75"].fillcolor == "rgb(0, 0, 145)" and by_name["75"].text == "75 – Paris : 12"
    assert fig.data[-1].marker.cmax == 12                                            # the colour bar
    monkeypatch.setenv("WIF_GEO_DEPARTEMENTS", str(tmp_path / "absent.svg"))
    with pytest.raises(france.MapUnavailable):
        france.choropleth(pd.DataFrame({"code": ["75"], "n": [1]}), "code", "n")


def test_horizontal_bars_keep_the_frame_order_top_to_bottom():
    frame = pd.DataFrame({"label": ["b", "a", "b", "a"], "kind": ["x", "x", "Non renseigné", "Non renseigné"],
                          "n": [1, 2, 3, 4]})
    fig = go.Figure(dossier_figures.hbars(frame, "label", "n", "kind", axis_title="Dossiers", grey=("Non renseigné",)))
    assert list(fig.layout.yaxis.categoryarray) == ["b", "a"] and fig.layout.yaxis.autorange == "reversed"
    assert [t.marker.color for t in fig.data] == [theme.BLUE_FRANCE, theme.OTHER_COLOR]
    rates = pd.DataFrame({"label": ["A", "B"], "r": [0.2, None], "lo": [0.1, None], "hi": [0.4, None]})
    bars = go.Figure(dossier_figures.rate_bars(rates, "label", "r", "lo", "hi", name="Taux", reference=0.25))
    assert list(bars.data[0].x) == pytest.approx([20, float("nan")], nan_ok=True)
    assert list(bars.data[1].y) == ["B"] and bars.data[1].text == "moins de 5 décisions"


def test_month_labels_are_french():
    months = pd.Series(pd.to_datetime(["2025-01-01", "2025-08-01"]))
    assert list(dossier_figures.month_labels(months)) == ["janvier 2025", "août 2025"]
