"""Remembered page answers: same JSON as Dash sends, per warehouse file, bounded in entries and bytes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from dash import html
from plotly.io.json import to_json_plotly

from components import charts, memo
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
