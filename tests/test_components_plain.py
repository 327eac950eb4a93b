"""Figures as plain dicts: every builder gives what Plotly itself makes of it, and what the browser receives.

For each builder, on small frames covering its options, ``go.Figure(d).to_plotly_json()`` must equal ``d``:
Plotly's validation accepts the dict and changes nothing (shorthands expanded, template included). Arrays are
compared by value (Plotly encodes numeric arrays as ``{"dtype", "bdata"}``). The dict must also go through
orjson as the answer memo writes it, dates as ISO texts and missing values as ``null``.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import date

import numpy as np
import orjson
import pandas as pd
import plotly.graph_objects as go
import pytest

from components import audience_figures as af
from components import charts, dossier_figures, memo, plain, theme
from components import map as france
from tests.test_pages_dossiers import TINY_SVG

MONTHS = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"])


def normal(value):
    """``value`` with arrays as lists (Plotly's base64 arrays decoded), NaN as None, tuples as lists, dates as ISO
    texts (as JSON holds them)."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return normal(array)
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return normal(value.tolist())
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return normal(value.item())
    if isinstance(value, date):
        return value.isoformat()
    return value


def _days(n):
    return pd.DataFrame({"Mois": MONTHS[:n], "Délai": [5.25, None, 4.5][:n], "p90": [9.0, 12.5, 11.0][:n]})


GROUPS = pd.DataFrame({"Mois": list(MONTHS) * 2, "Contrat": ["CDD"] * 3 + ["CDI"] * 3, "n": [1, 2, 3, 4, 5, 6],
                       "part": [0.1, 0.2, 0.3, 0.9, 0.8, 0.7]})
SHARES = pd.DataFrame({"Contrat": ["CDD", "Apprentissage", "Autre"], "Part": [0.5, 0.3, 0.2], "n": [5, 3, 2]})
RATES = pd.DataFrame({"label": ["A", "B", "C"], "key": MONTHS, "r": [0.2, None, 0.5], "lo": [0.1, None, 0.3],
                      "hi": [0.4, None, 0.7], "median": [4.0, None, 6.5], "p90": [9.0, 8.0, None]})
FUNNEL = pd.DataFrame({"departement": ["75", "13", "69"],
                       "label": ["75 – Paris", "13 – Bouches-du-Rhône", "69 – Rhône"],
                       "rate": [0.1, 0.3, None], "national_rate": [0.2] * 3, "position": ["below", "inside", None],
                       "decided": [120, 40, 3]})
LIMITS = pd.DataFrame({"n": [5, 50, 500], "low95": [0.0, 0.1, 0.17], "high95": [0.6, 0.3, 0.23],
                       "low998": [0.0, 0.05, 0.15], "high998": [0.8, 0.4, 0.25]})
LINKS = pd.DataFrame({"step": [1, 1, 2], "source": ["accueil", "accueil", "etudiant"],
                      "source_label": ["Accueil", "Accueil", "Étudiant"], "target": ["etudiant", "sortie", "depart_ds"],
                      "target_label": ["Étudiant", "Sortie", "Départ"], "visits": [5, 3, 2]})
GRID = pd.DataFrame({"day": [d for d in ("lundi", "mardi") for _ in range(24)], "visits": range(48)})
MINUTES = pd.DataFrame({"minute": range(13), "overflow": [False] * 12 + [True], "departures": range(1, 14),
                        "cumulative_share": np.linspace(0.05, 1, 13)})
PRIORITY = pd.DataFrame({"rank": [1, 2, None], "label": ["Accueil", "Étudiant", "Autre"], "score": [30.5, 12.0, 1.0],
                         "prev_score": [20.0, None, 1.0]})
PAGES = pd.DataFrame({"label": ["Accueil", "Étudiant", "Vide"], "exits": [5, 3, 0], "lost": [3, 1, 0],
                      "exits_ineligible": [1, 0, 0], "exits_ds": [1, 2, 0]})
ROLLOUT = pd.DataFrame({"departement": ["75", "13"], "name": ["Paris", "Bouches-du-Rhône"],
                        "first_deposit": pd.to_datetime(["2024-03-01", "2024-06-15"]), "dossiers": [10, 4]})
EMPTY = pd.DataFrame({"label": pd.Series([], dtype=object), "n": pd.Series([], dtype=float)})


def _plain_helpers():
    fig = charts.bar(GROUPS, "Mois", "n", "Contrat", stacked=True, y_title="Dossiers")
    plain.traces(fig, marker={"opacity": [1.0, 1.0, 0.45]})
    dossier_figures.month_axis(fig, 3, title={"text": None})
    plain.axis(fig, "y", range=[0, 100])
    plain.span(fig, "vline", 1.5, line=dict(color=theme.RED_MARIANNE, dash="dash", width=1.5), text="seuil",
               position="top left", note={"bgcolor": "white"})
    plain.span(fig, "hline", 2.5, line=dict(width=1), text="ligne", position="top left")
    return plain.annotate(fig, text="note", showarrow=False, xref="paper", yref="paper", x=0, y=1.08)


def _line_shape():
    return plain.traces(charts.line(_days(3), "Mois", "Délai", markers=True), line={"shape": "hv"})


BUILDERS = {
    "line": lambda: charts.line(_days(3), "Mois", "Délai", value="days", y_title="Délai", x_title="Mois"),
    "line wide": lambda: charts.line(_days(3), "Mois", {"Délai": "Médiane", "p90": "9 sur 10"}, value="days",
                                     legend_title="statistique", markers=True),
    "line groups pct": lambda: charts.line(GROUPS, "Mois", "part", "Contrat", value="pct"),
    "line float shape": _line_shape,
    "bar": lambda: charts.bar(SHARES, "Contrat", "n", x_title="Contrat", y_title="Dossiers"),
    "bar horizontal pct": lambda: charts.bar(SHARES, "Contrat", "Part", value="pct", horizontal=True),
    "bar stacked groups": lambda: charts.stacked_bar(GROUPS, "Mois", "n", "Contrat"),
    "bar wide float": lambda: charts.bar(_days(3), "Mois", {"Délai": "a", "p90": "b"}, value="float"),
    "donut": lambda: charts.donut(SHARES, "Contrat", "n"),
    "donut zero": lambda: charts.donut(SHARES.assign(n=0), "Contrat", "n"),
    "histogram": lambda: charts.histogram(_days(3), "p90", bin_size=2, value="days", x_title="Délai"),
    "histogram auto": lambda: charts.histogram(_days(3), "p90"),
    "empty": lambda: charts.empty_figure("Rien."),
    "helpers": _plain_helpers,
    "rate over time": lambda: dossier_figures.rate_over_time(RATES, "key", "r", "lo", "hi", name="Taux",
                                                             reference=0.3),
    "rate over time bare": lambda: dossier_figures.rate_over_time(RATES, "key", "r", "lo", "hi", name="Taux"),
    "rate bars suppressed": lambda: dossier_figures.rate_bars(RATES, "label", "r", "lo", "hi", name="Taux",
                                                              reference=0.25),
    "rate bars": lambda: dossier_figures.rate_bars(RATES.dropna(subset=["r"]), "label", "r", "lo", "hi", name="T"),
    "duration bars": lambda: dossier_figures.duration_bars(RATES, "label", axis_title="Délai (jours)"),
    "hbars": lambda: dossier_figures.hbars(SHARES, "Contrat", "n", axis_title="Dossiers"),
    "hbars pct": lambda: dossier_figures.hbars(SHARES, "Contrat", "Part", axis_title="Part", pct=True),
    "hbars groups grey": lambda: dossier_figures.hbars(GROUPS.assign(Mois=GROUPS.Mois.astype(str)), "Mois", "n",
                                                       "Contrat", axis_title="Dossiers", grey=("CDI",)),
    "hbars wide": lambda: dossier_figures.hbars(RATES, "label", {"median": "Médiane", "p90": "9 sur 10"},
                                                axis_title="Délai"),
    "hbars empty": lambda: dossier_figures.hbars(EMPTY, "label", "n", axis_title="Dossiers"),
    "funnel plot": lambda: dossier_figures.funnel_plot(FUNNEL, LIMITS, name="Taux de refus"),
    "funnel plot empty": lambda: dossier_figures.funnel_plot(FUNNEL.assign(rate=None), LIMITS, name="Taux"),
    "rollout": lambda: dossier_figures.rollout_timeline(ROLLOUT, date(2024, 1, 1), date(2024, 12, 31)),
    "wif funnel": lambda: af.funnel_figure(pd.DataFrame({"label": ["A", "B"], "source": ["site", "ds"],
                                                         "count": [100, 40], "conversion": [None, 0.4]})),
    "sankey": lambda: af.sankey_figure(LINKS),
    "heatmap": lambda: af.heatmap_figure(GRID),
    "minutes": lambda: af.minutes_histogram(MINUTES),
    "scores": lambda: af.score_bars(PRIORITY),
    "exits": lambda: af.exits_bars(PAGES),
    "exits empty": lambda: af.exits_bars(PAGES.assign(exits=0)),
}


@pytest.fixture
def outline(tmp_path, monkeypatch):
    svg = tmp_path / "outline.svg"
    svg.write_text(TINY_SVG, encoding="utf-8")
    monkeypatch.setenv("WIF_GEO_DEPARTEMENTS", str(svg))


def _built(name):
    if name == "map":
        return france.choropleth(pd.DataFrame({"code": ["75", "2A"], "n": [12, None]}), "code", "n")
    return BUILDERS[name]()


@pytest.mark.parametrize("name", [*BUILDERS, "map"])
def test_plotly_accepts_each_figure_dict_unchanged(name, outline):
    fig = _built(name)
    assert set(fig) == {"data", "layout"} and fig["layout"]["template"] == plain.TEMPLATE
    assert normal(go.Figure(fig).to_plotly_json()) == normal(fig)


@pytest.mark.parametrize("name", [*BUILDERS, "map"])
def test_each_figure_dict_is_written_by_orjson_with_dates_and_gaps(name, outline):
    fig = _built(name)
    text = orjson.dumps(fig, option=memo._OPTIONS)           # no fallback to Plotly's slower encoder
    assert json.loads(text) == normal(fig)
    assert memo.to_json_text(fig) == text


def test_columns_become_numbers_iso_dates_or_plain_lists():
    assert plain.values(pd.Series([1.5, None])).tolist() == pytest.approx([1.5, float("nan")], nan_ok=True)
    assert plain.values(pd.Series([1, None], dtype="Int64")).dtype == float
    assert plain.values(pd.Series(pd.to_datetime(["2025-03-01", None]))) == ["2025-03-01T00:00:00", None]
    assert plain.values(pd.Series(["a", None, float("nan")])) == ["a", None, None]
    assert plain.values(pd.Series([pd.Timestamp("2025-03-01 10:30"), date(2025, 3, 2)], dtype=object)) == [
        "2025-03-01T10:30:00", date(2025, 3, 2)]
    dated = charts.line(_days(2), "Mois", "Délai")
    assert json.loads(memo.to_json_text(dated))["data"][0]["x"] == ["2025-01-01T00:00:00", "2025-02-01T00:00:00"]
    assert json.loads(memo.to_json_text(dated))["data"][0]["y"] == [5.25, None]


def test_updates_nest_like_plotly_and_none_removes():
    fig = charts.bar(SHARES, "Contrat", "n", x_title="Contrat")
    assert fig["layout"]["xaxis"]["title"] == {"text": "Contrat"}
    plain.axis(fig, "x", title={"text": None}, tickformat="%b")
    assert "title" not in fig["layout"]["xaxis"] and fig["layout"]["xaxis"]["tickformat"] == "%b"
    expected = go.Figure(charts.bar(SHARES, "Contrat", "n", x_title="Contrat")).update_xaxes(title_text=None,
                                                                                              tickformat="%b")
    axis = expected.layout.xaxis.to_plotly_json()
    assert axis.pop("title") == {} and axis == fig["layout"]["xaxis"]      # Plotly keeps an empty title object
