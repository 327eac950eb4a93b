"""KPI card, DSFR Plotly template and chart builders."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from dash import html

from components import charts, kpi, theme
from tests.test_components_figure import walk

G, U = "\u202f", "\u00a0"


def test_kpi_card_shows_value_change_and_previous_value():
    card = kpi.kpi_card("Dossiers déposés", f"1{G}234", delta=f"+12,3{U}%", previous=f"1{G}099", help="Aide", id="k")
    texts = {c.id: c.children for c in walk(card) if getattr(c, "id", None)}
    assert texts["k-value"] == f"1{G}234" and texts["k-delta"] == f"+12,3{U}%" and texts["k-previous"] == f"1{G}099"
    delta = next(c for c in walk(card) if getattr(c, "id", None) == "k-delta")
    assert "wif-kpi__delta--up" in delta.className
    bare = kpi.kpi_card("Visites", "—")
    assert [c.children for c in walk(bare) if isinstance(c, html.P)] == ["Visites", "—"]


def test_theme_is_the_default_template_with_marianne_and_french_separators():
    assert pio.templates.default == theme.TEMPLATE_NAME
    layout = pio.templates[theme.TEMPLATE_NAME].layout
    assert layout.font.family.startswith("Marianne")
    assert layout.separators == ",\u202f"
    assert list(layout.colorway)[0] == theme.BLUE_FRANCE


def test_chart_builders_keep_row_order_and_french_units():
    frame = pd.DataFrame({"Contrat": ["CDD", "Apprentissage", "Autre"], "Part": [0.5, 0.3, 0.2]})
    fig = go.Figure(charts.bar(frame, "Contrat", "Part", value="pct", horizontal=True))
    assert list(fig.data[0].y) == ["CDD", "Apprentissage", "Autre"]
    assert list(fig.data[0].x) == pytest.approx([50, 30, 20])          # ratios drawn as percentages
    assert fig.layout.xaxis.ticksuffix == f"{U}%"
    assert fig.layout.template.layout.font.family.startswith("Marianne")
    days = go.Figure(charts.line(pd.DataFrame({"Mois": ["janv.", "févr."], "Délai": [5.2, 4.8]}), "Mois", "Délai",
                                 value="days"))
    assert days.layout.yaxis.ticksuffix == f"{U}j" and days.layout.yaxis.hoverformat == ",.1f"
    donut = go.Figure(charts.donut(pd.DataFrame({"État": ["accepté", "refusé"], "n": [3, 1]}), "État", "n"))
    assert list(donut.data[0].customdata) == pytest.approx([75, 25])
    with pytest.raises(ValueError):
        charts.line(frame, "Contrat", "Part", value="euros")
    assert go.Figure(charts.empty_figure()).layout.annotations[0].text == "Aucune donnée pour cette sélection."
