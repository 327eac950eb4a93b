"""Captioned figure: block structure, outputs, accessible table, French CSV."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from dash import html
from plotly.io.json import to_json_plotly

from components import charts, dossier_figures, figure
from metrics import db
from tests.factories import dossier, make_warehouse

G = "\u202f"


def walk(component):
    """Every component of a Dash tree."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def ids(component) -> list:
    return [c.id for c in walk(component) if getattr(c, "id", None) is not None]


TABLE = pd.DataFrame({
    "Mois": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    "Dossiers déposés": [1234, 56],
    "Délai médian (j)": [5.25, 4.5],
})


def test_block_holds_every_output_and_a_captioned_table():
    block = figure.figure_block("delais-mois", "Délai médian par mois", "Clé de lecture : en janvier, …")
    block_ids = ids(block)
    for output in figure.figure_outputs("delais-mois"):
        assert output.component_id in block_ids
    assert {"type": "wif-csv-button", "fig": "delais-mois"} in block_ids
    assert {"type": "wif-csv-download", "fig": "delais-mois"} in block_ids
    table = next(c for c in walk(block) if isinstance(c, html.Table))
    assert isinstance(table.children[0], html.Caption) and table.children[0].children == "Délai médian par mois"
    name = next(c for c in walk(block) if getattr(c, "id", None) == {"type": "wif-csv-name", "fig": "delais-mois"})
    assert name.data == "delai-median-par-mois.csv"
    assert any(getattr(c, "children", None) == "Voir les données" for c in walk(block))


def test_table_rows_are_accessible_and_french():
    head, body = figure.table_rows(TABLE)
    cells = head["props"]["children"]                          # rows: html.Tr as Dash serialises it
    assert [th["props"]["scope"] for th in cells] == ["col", "col", "col"]
    assert [th["props"]["children"] for th in cells] == ["Mois", "Dossiers déposés", "Délai médian (j)"]
    same_head = html.Tr([html.Th("Mois", scope="col"), html.Th("Dossiers déposés", scope="col", className="wif-num"),
                         html.Th("Délai médian (j)", scope="col", className="wif-num")])
    assert json.loads(to_json_plotly(head)) == json.loads(to_json_plotly(same_head))
    first = body[0]["props"]["children"]
    assert body[0]["type"] == "Tr" and body[0]["namespace"] == "dash_html_components"
    assert first[0] == {"type": "Th", "namespace": "dash_html_components",
                        "props": {"children": "01/01/2025", "scope": "row"}}
    assert [td["type"] for td in first[1:]] == ["Td", "Td"]
    assert [td["props"]["children"] for td in first[1:]] == [f"1{G}234", "5,2"]
    assert first[1]["props"]["className"] == "wif-num"
    same_row = html.Tr([html.Th("01/01/2025", scope="row"), html.Td(f"1{G}234", className="wif-num"),
                        html.Td("5,2", className="wif-num")])
    assert json.loads(to_json_plotly(body[0])) == json.loads(to_json_plotly(same_row))   # same for the browser


def test_elements_are_the_dicts_of_their_components():
    link = {"href": "https://ds.example/dossiers/1", "title": "Ouvrir", "target": "_blank", "rel": "noopener"}
    built = figure.element("Tr", [figure.element("Th", figure.element("A", "n° 1", **link), scope="row"),
                                  figure.element("Td", "5 jours", className="wif-num"), figure.element("Td", None)])
    component = html.Tr([html.Th(html.A("n° 1", **link), scope="row"), html.Td("5 jours", className="wif-num"),
                         html.Td(None)])
    assert to_json_plotly(built) == to_json_plotly(component)       # same text: keys in the same order
    assert list(built["props"]["children"][0]["props"]["children"]["props"]) == ["children", "href", "rel",
                                                                                "target", "title"]
    with pytest.raises(KeyError):
        figure.element("Td", "x", colour="red")


def test_csv_is_for_french_spreadsheets():
    text = figure.to_csv(TABLE)
    assert text.startswith("\ufeff")
    lines = text[1:].split("\r\n")
    assert lines[0] == "Mois;Dossiers déposés;Délai médian (j)"
    assert lines[1] == "2025-01-01;1234;5,25"
    assert lines[2] == "2025-02-01;56;4,5"
    flagged = figure.to_csv(TABLE.assign(Complet=[True, False]))[1:].split("\r\n")
    assert [line.rsplit(";", 1)[1] for line in flagged[1:3]] == ["oui", "non"]     # as in the table alternative


def test_values_fill_outputs_in_order_with_source_date(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=[dossier(1, depose_at="2025-03-04 10:00")]))
    try:
        fig = charts.line(TABLE, "Mois", "Dossiers déposés")
        values = figure.figure_values(fig, TABLE, "Démarches Simplifiées")
    finally:
        db.use_database(None)
    assert len(values) == len(figure.figure_outputs("x"))
    assert values[0] is fig
    assert values[1] == "Source : Démarches Simplifiées. Données au 4 mars 2025."
    assert len(values[3]) == 2 and values[4] == "2 lignes."
    assert values[5] == figure.to_csv(TABLE)


def test_long_tables_are_cut_but_the_csv_is_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(figure, "MAX_TABLE_ROWS", 3)
    big = pd.DataFrame({"Département": [f"{i:02d}" for i in range(1, 11)], "n": range(10)})
    db.use_database(make_warehouse(tmp_path))
    try:
        _, _, _, body, note, csv = figure.figure_values(charts.bar(big, "Département", "n"), big, "DS")
    finally:
        db.use_database(None)
    assert len(body) == 3
    assert note == "Les 7 lignes suivantes figurent dans le fichier CSV."
    assert csv.count("\r\n") == 11


def test_slugify():
    assert figure.slugify("Délai médian : « jours ouvrés »") == "delai-median-jours-ouvres"
    assert figure.slugify("???") == "donnees"


CSV_FRAMES = {
    "mixed": pd.DataFrame({
        "n": [1, -20, 300], "x": [5.25, float("nan"), -1e-05], "big": [1e16, 0.1 + 0.2, 3.0],
        "oui": [True, False, True], "jour": pd.to_datetime(["2025-01-01", None, "2025-03-02"]),
        "moment": pd.to_datetime(["2025-01-01 10:30", "2025-01-02 00:00", None]),
        "texte": ['a;b', 'dit "non"', None], "ligne": ["x\ny", "", "z"],
        "objets": pd.Series([date(2025, 3, 4), None, 5], dtype=object),
        "chaîne": pd.Series(["é", None, "c"], dtype="str"), "string": pd.Series(["é", None, "c"], dtype="string"),
        "mois": pd.to_datetime(["2025-01-01", None, "2025-03-01"]).to_period("M"),
        "entier": pd.Series([1, None, -3], dtype="Int64"), "oui/non": pd.Series([True, None, False], dtype="boolean")}),
    "one column with gaps": pd.DataFrame({"v": [1.5, float("nan")]}),
    "no rows": pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)}),
}


@pytest.mark.parametrize("name", CSV_FRAMES)
def test_csv_is_written_as_pandas_writes_it(name, monkeypatch):
    frame = CSV_FRAMES[name]
    expected = figure._pandas_csv(frame)

    def refused(_table):
        raise AssertionError("pandas path taken")

    monkeypatch.setattr(figure, "_pandas_csv", refused)
    assert figure.to_csv(frame) == "\ufeff" + expected


def test_csv_of_other_column_kinds_goes_through_pandas():
    frame = pd.DataFrame({"x": pd.Series([1.5, None], dtype="Float64"), "c": pd.Categorical(["a", None])})
    assert figure.to_csv(frame) == "\ufeff" + figure._pandas_csv(frame) == "\ufeffx;c\r\n1,5;a\r\n;\r\n"


def test_table_of_is_percent_rename_and_selection_in_one_step(tmp_path):
    frame = pd.DataFrame({"key": ["b", "a", "c"], "label": ["Bé", "A", None], "n": [3, 1, 2],
                          "share": [0.5, float("nan"), 1 / 3], "low": pd.array([0.25, None, 0.1], dtype="Float64")},
                         index=[2, 0, 1])   # a sorted frame: its index is not 0..n-1
    old = dossier_figures.percent(frame, {"share": "Part (%)", "low": "Borne basse (%)"})
    old["Clé"] = old.key.map({"a": "A", "b": "B"})
    old = old.rename(columns={"label": "Libellé", "n": "Dossiers"})[
        ["Libellé", "Clé", "Dossiers", "Part (%)", "Borne basse (%)"]]
    new = dossier_figures.table_of(frame, {"Libellé": "label", "Clé": frame.key.map({"a": "A", "b": "B"}),
                                           "Dossiers": "n", "Part (%)": frame.share * 100,
                                           "Borne basse (%)": frame.low * 100})
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert new.loc[1, "Part (%)"] == (1 / 3) * 100 and pd.isna(new.loc[0, "Borne basse (%)"])
    db.use_database(make_warehouse(tmp_path))     # the source note reads the warehouse's date
    try:
        assert figure.figure_values({}, new, "s")[1:] == figure.figure_values({}, old, "s")[1:]
    finally:
        db.use_database(None)
