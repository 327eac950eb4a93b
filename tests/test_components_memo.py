"""Remembered page answers: same JSON as Dash sends, per warehouse file, bounded in entries and bytes."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import orjson
import pandas as pd
import pytest
from dash import html
from plotly.io.json import to_json_plotly

from components import charts, memo
from components.figure import figure_values
from components.kpi import kpi_card
from metrics import db
from tests.factories import dossier, make_warehouse

COUNT = "SELECT count(*) FROM dossiers"


@pytest.fixture
def published(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=[dossier(1, depose_at="2025-01-02 10:00")]))
    yield tmp_path
    db.use_database(None)


def counting(cache: memo.AnswerCache, outputs=("a.children", "b.children")):
    """A remembered callback answering the dossier count, and the list of its real runs."""
    runs = []

    def update(data, unit):
        runs.append((data, unit))
        return html.P(f"{db.scalar(COUNT)} {unit}"), str(db.scalar(COUNT))

    return memo.remembered(outputs, update, cache), runs


def test_a_repeated_answer_is_not_computed_again(published):
    answer, runs = counting(memo.AnswerCache())
    store = {"start": "2025-01-01", "end": "2025-01-31", "departements": ["75"]}
    first = answer(store, "jours")
    assert answer({"departements": ["75"], "end": "2025-01-31", "start": "2025-01-01"}, "jours") == first
    assert len(runs) == 1                                    # key order of the store does not matter
    assert answer(store, "semaines") != first and len(runs) == 2


def test_answers_are_the_json_dash_sends(published):
    frame = pd.DataFrame({"mois": pd.to_datetime(["2025-01-01", "2025-02-01"]), "n": [3, 4], "k": ["a", "b"]})
    fig = charts.bar(frame, "k", "n")
    answer = memo.remembered(("g.figure", "p.children"), lambda: (fig, html.P("texte", className="x")),
                             memo.AnswerCache())
    graph, paragraph = answer()
    assert graph == json.loads(to_json_plotly(fig))
    assert paragraph == {"type": "P", "namespace": "dash_html_components", "props": {"children": "texte",
                                                                                     "className": "x"}}
    assert json.loads(memo.to_json_text([{"n": 1}, "é"])) == [{"n": 1}, "é"]


def test_a_published_warehouse_is_never_answered_from_the_previous_one(published):
    cache = memo.AnswerCache()
    answer, runs = counting(cache)
    assert answer({}, "j")[1] == "1"
    make_warehouse(published, dossiers=[dossier(i, depose_at="2025-01-02 10:00") for i in (1, 2)])
    assert answer({}, "j")[1] == "2"                        # the file changed: computed again
    assert len(runs) == 2 and len(cache) == 1               # and the previous file's answer dropped


def test_a_missing_warehouse_is_left_to_the_callback(tmp_path):
    db.use_database(tmp_path / "absent.duckdb")
    try:
        answer = memo.remembered(("a.children",), lambda: "sans entrepôt", memo.AnswerCache())
        assert answer() == "sans entrepôt" and answer() == "sans entrepôt"
    finally:
        db.use_database(None)


def test_the_cache_keeps_the_most_recent_answers_within_its_bounds():
    ident = ("f", 1, 1, 1)
    by_count = memo.AnswerCache(max_entries=2, max_bytes=10_000)
    for key in "abc":
        by_count.put(ident, (key,), b"x" * 10)
    assert by_count.get(ident, ("a",)) is None and by_count.get(ident, ("c",)) == b"x" * 10
    by_bytes = memo.AnswerCache(max_entries=100, max_bytes=25)
    by_bytes.put(ident, ("a",), b"1" * 10)
    by_bytes.put(ident, ("b",), b"2" * 10)
    assert by_bytes.get(ident, ("a",)) == b"1" * 10          # "a" used: "b" is now the least recent
    by_bytes.put(ident, ("c",), b"3" * 10)
    assert by_bytes.get(ident, ("b",)) is None and by_bytes.get(ident, ("a",)) is not None
    assert by_bytes.size == 20 and len(by_bytes) == 2
    by_bytes.put(ident, ("huge",), b"4" * 26)                # larger than the whole cache: not kept
    assert by_bytes.get(ident, ("huge",)) is None and len(by_bytes) == 2
    assert by_bytes.get(("g", 2, 2, 2), ("a",)) is None and len(by_bytes) == 0


def as_data(text) -> bytes:
    """JSON text → its data written again: same values, same types (1 vs 1.0) and key order, escapes aside."""
    return orjson.dumps(orjson.loads(text))


def test_answers_with_components_are_the_data_plotly_writes(tmp_path):
    frame = pd.DataFrame({"mois": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
                          "dossiers": [3, 4, 0], "taux": [0.5, np.nan, 1 / 3], "k": ["a/b", "<c>", "é"]})
    figure = charts.bar(frame, "k", "dossiers")               # a figure as a plain dict, numpy arrays in it
    cards = [kpi_card("Dossiers", "3", delta="+5 %", id="k-1"), kpi_card("Taux", "50 %", help="aide")]
    rows = [html.Tr([html.Th(html.A(f"n° {n}", href=f"https://ds.example/dossiers/{n}", rel="noopener"),
                             scope="row"), html.Td(str(day))])
            for n, day in zip([12, 13, 14], frame.mois, strict=True)]
    db.use_database(make_warehouse(tmp_path))     # the source notes read the warehouse's date
    try:
        values = [
            (cards, "période", *figure_values(figure, frame, "Démarches Simplifiées")),
            (rows, "3 alertes."),
            [html.Div([html.P(["a", html.Span(np.int64(7))]), None]), {"x": np.array([1.5, np.nan, 2.0])}],
            [html.P("dates"), date(2025, 1, 2), datetime(2025, 1, 2, 3, 4, 5), pd.Timestamp("2025-01-02 03:04:05"),
             pd.Timestamp("2025-01-02", tz="Europe/Paris"), pd.NaT, float("nan"), np.float64("nan"), (1, 2.0)],
            [html.P("séries"), frame.dossiers, frame.k, frame.mois, np.array(["a", None], dtype=object),
             np.arange(6.0)[::2], {1: "clé entière"}],
            html.Div(html.Pre(figure_values(figure, frame.iloc[:0], "source")[2:4])),
        ]
        for value in values:
            assert as_data(memo.to_json_text(value)) == as_data(to_json_plotly(value))
    finally:
        db.use_database(None)


def test_plain_answers_are_written_as_orjson_writes_them():
    value = [{"n": 1, "x": np.array([0.5, np.nan])}, "é/<b>", (date(2025, 1, 2), None)]
    assert memo.to_json_text(value) == orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    assert as_data(memo.to_json_text(value)) == as_data(to_json_plotly(value))
