"""The captioned figure: a DSFR card with graph, reading key, source line, table alternative and CSV download.

A page lays the block out and fills it from one callback::

    figure_block("delais-mois", "Délai médian de traitement par mois", "Clé de lecture : …")

    @callback(*figure_outputs("delais-mois"), Input("filters", "data"), Input("delais-unite", "value"))
    def update(data, unit):
        table = delays.by_month(Filters.from_store(data), unit)
        return figure_values(charts.line(table, "Mois", "Délai médian"), table, "Démarches Simplifiées")

The table alternative (an accessible ``<table>`` with caption and header scopes) and the CSV come from the
same frame, so what is drawn, shown and downloaded always agree. The CSV is French-spreadsheet friendly:
UTF-8 with a byte order mark, ``;`` as separator, decimal comma, ISO dates; it is named after the figure.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import numpy as np
import pandas as pd
from dash import MATCH, Input, Output, State, clientside_callback, dcc, html

from components import format as fmt
from components import theme  # noqa: F401  (registers the DSFR Plotly template as the default)

MAX_TABLE_ROWS = 500
GRAPH_CONFIG = {
    "displaylogo": False,
    "locale": "fr",
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _ids(fig_id: str) -> dict[str, object]:
    return {
        "graph": f"{fig_id}-graph",
        "source": f"{fig_id}-source",
        "thead": f"{fig_id}-thead",
        "tbody": f"{fig_id}-tbody",
        "note": f"{fig_id}-table-note",
        "csv": {"type": "wif-csv-data", "fig": fig_id},
    }


def slugify(text: str) -> str:
    """File-name form of a title: ``Délai médian par mois`` → ``delai-median-par-mois``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "donnees"


def figure_block(fig_id: str, title: str, reading_key: str) -> html.Section:
    """DSFR card holding the figure ``fig_id``; fill it with ``figure_outputs`` / ``figure_values``."""
    ids = _ids(fig_id)
    return html.Section(
        id=fig_id, className="fr-card fr-card--no-arrow wif-figure", **{"aria-labelledby": f"{fig_id}-title"},
        children=html.Div(className="wif-figure__body", children=[
            html.H2(title, id=f"{fig_id}-title", className="wif-figure__title"),
            html.P(reading_key, id=f"{fig_id}-reading", className="fr-text--sm wif-figure__reading"),
            dcc.Loading(
                dcc.Graph(id=ids["graph"], config=GRAPH_CONFIG, className="wif-figure__graph"),
                type="dot", color=theme.BLUE_FRANCE, delay_show=300,
            ),
            html.P(id=ids["source"], className="fr-text--xs wif-figure__source"),
            html.Div(className="wif-figure__actions", children=[
                html.Details(className="wif-figure__data", children=[
                    html.Summary("Voir les données", className="fr-link"),
                    html.Div(className="fr-table fr-table--bordered fr-table--no-scroll wif-table", children=[
                        html.Div(className="fr-table__wrapper", children=html.Div(
                            className="fr-table__container", children=html.Div(
                                className="fr-table__content", children=html.Table([
                                    html.Caption(title),
                                    html.Thead(id=ids["thead"]),
                                    html.Tbody(id=ids["tbody"]),
                                ]))))]),
                    html.P(id=ids["note"], className="fr-text--xs"),
                ]),
                html.Button(
                    "Télécharger (CSV)", id={"type": "wif-csv-button", "fig": fig_id}, type="button",
                    className="fr-btn fr-btn--tertiary fr-btn--sm fr-btn--icon-left fr-icon-download-line",
                    title=f"Télécharger les données de « {title} » (CSV, séparateur point-virgule)",
                ),
            ]),
            dcc.Download(id={"type": "wif-csv-download", "fig": fig_id}),
            dcc.Store(id=ids["csv"]),
            dcc.Store(id={"type": "wif-csv-name", "fig": fig_id}, data=f"{slugify(title)}.csv"),
        ]),
    )


def figure_outputs(fig_id: str) -> list[Output]:
    """Outputs of the figure ``fig_id``, in the order of ``figure_values``."""
    ids = _ids(fig_id)
    return [Output(ids["graph"], "figure"), Output(ids["source"], "children"), Output(ids["thead"], "children"),
            Output(ids["tbody"], "children"), Output(ids["note"], "children"), Output(ids["csv"], "data")]


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _cell(tag: str, text: str, **props) -> dict:
    """A table cell in the form Dash serialises ``html.<tag>(text, **props)`` to. Body rows are built this way:
    a table of 500 rows holds thousands of cells, and Dash's per-component checks and serialisation cost more
    than the whole query behind the figure."""
    return {"type": tag, "namespace": "dash_html_components", "props": {"children": text, **props}}


_PROP_ORDER: dict[str, dict[str, int]] = {}


def element(tag: str, children, **props) -> dict:
    """``html.<tag>(children, **props).to_plotly_json()`` built without the component (see ``_cell``): the same
    dict, properties in the component's order. Unknown properties (``data-*`` and ``aria-*`` included) raise
    KeyError."""
    order = _PROP_ORDER.get(tag)
    if order is None:
        order = _PROP_ORDER[tag] = {name: i for i, name in enumerate(getattr(html, tag)()._prop_names)}
    props["children"] = children
    return {"props": dict(sorted(props.items(), key=lambda item: order[item[0]])), "type": tag,
            "namespace": "dash_html_components"}


def table_rows(table: pd.DataFrame) -> tuple[dict, list[dict]]:
    """Header row and body rows of the accessible table: the first column heads its row (``scope="row"``).

    Rows are serialised ``html.Tr`` (see ``_cell``); cells are formatted a column at a time."""
    return _rows(list(table.items()))


def _rows(columns: list[tuple[object, pd.Series]]) -> tuple[dict, list[dict]]:
    """``table_rows`` of a table's (name, column) pairs: a column is taken out of its frame once, for the
    rows and the CSV (with text column names, each ``DataFrame.items`` step costs more than formatting a column)."""
    cells = [fmt.column_cells(series, MAX_TABLE_ROWS) for _, series in columns]
    kinds = [{"className": "wif-num"} if _is_numeric(series) else {} for _, series in columns]
    head = _cell("Tr", [_cell("Th", str(c), scope="col", **kind) for (c, _), kind in zip(columns, kinds, strict=True)])
    kinds = kinds[1:]
    body = [_cell("Tr", [_cell("Th", row[0], scope="row"),
                         *(_cell("Td", text, **kind) for text, kind in zip(row[1:], kinds, strict=True))])
            for row in zip(*cells, strict=True)]
    return head, body


def _csv_column(series: pd.Series) -> list | None:
    """The CSV fields of a column as ``DataFrame.to_csv(decimal=",")`` writes them (booleans ``oui``/``non``,
    dates ISO, missing values empty), or None for a column kind left to pandas (categories, time zones…)."""
    dtype = series.dtype
    if isinstance(dtype, pd.PeriodDtype):
        return ["" if v is pd.NaT else str(v) for v in series.tolist()]
    if pd.api.types.is_string_dtype(dtype):
        return ["" if fmt.is_missing(v) else v for v in series.tolist()]
    if not isinstance(dtype, np.dtype):                  # nullable extension columns: NA written empty
        if pd.api.types.is_bool_dtype(dtype):
            return ["" if v is pd.NA else "oui" if v else "non" for v in series.tolist()]
        if pd.api.types.is_integer_dtype(dtype):
            return ["" if v is pd.NA else v for v in series.tolist()]
        return None
    if dtype.kind == "b":
        return ["oui" if v else "non" for v in series.tolist()]
    if dtype.kind in "iu":
        return series.tolist()
    if dtype.kind == "f":
        return ["" if v != v else str(v).replace(".", ",", 1) for v in series.to_numpy()]
    if dtype.kind == "M":
        values = series.to_numpy()
        texts = np.datetime_as_string(values, unit="D" if fmt.all_midnight(values) else "m").tolist()
        return ["" if t == "NaT" else t.replace("T", " ") for t in texts]
    return None


def to_csv(table: pd.DataFrame) -> str:
    """CSV text for French spreadsheets: ``;`` separator, decimal comma, ISO dates, ``oui``/``non`` for
    yes/no columns (as in the table alternative), leading BOM.

    Written with the csv module (as pandas does) from column-wise formatted fields; frames with other column
    kinds (categories, time zones, nullable floats) go through ``DataFrame.to_csv``, with the same output."""
    return _csv(table, list(table.items()))


def _csv(table: pd.DataFrame, columns: list[tuple[object, pd.Series]]) -> str:
    """``to_csv`` of ``table`` from its (name, column) pairs."""
    fields = [_csv_column(series) for _, series in columns]
    if not fields or any(f is None for f in fields):
        return "\ufeff" + _pandas_csv(table)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(c) for c, _ in columns])
    writer.writerows(zip(*fields, strict=True))
    return "\ufeff" + out.getvalue()


def _pandas_csv(table: pd.DataFrame) -> str:
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map({True: "oui", False: "non"})
        elif pd.api.types.is_datetime64_any_dtype(out[column]):
            values = out[column].dropna()
            midnight = values.empty or bool((values == values.dt.normalize()).all())
            out[column] = out[column].dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
    return out.to_csv(sep=";", decimal=",", index=False, lineterminator="\r\n")


def source_line(source: str) -> str:
    """``Source : <source>. Données au <dernier jour>.`` (the data date is read from the warehouse)."""
    from metrics.meta import freshness  # lazy: no warehouse access at import time

    end = freshness().data_end
    return f"Source : {source}. Données au {fmt.fmt_date(end)}." if end else f"Source : {source}."


def figure_values(fig, table: pd.DataFrame, source: str) -> tuple:
    """Values for ``figure_outputs``: the figure, its source line, the table alternative and the CSV."""
    columns = list(table.items())
    head, body = _rows(columns)
    hidden = len(table) - MAX_TABLE_ROWS
    note = (f"Les {fmt.fmt_int(hidden)} lignes suivantes figurent dans le fichier CSV." if hidden > 0
            else f"{fmt.fmt_int(len(table))} ligne{'s' if len(table) > 1 else ''}.")
    return fig, source_line(source), head, body, note, _csv(table, columns)


# One generic download for every figure: the CSV text is already in the figure's store.
clientside_callback(
    """
    function(clicks, csv, filename) {
        if (!clicks || !csv) { return window.dash_clientside.no_update; }
        return {content: csv, filename: filename, type: "text/csv;charset=utf-8", base64: false};
    }
    """,
    Output({"type": "wif-csv-download", "fig": MATCH}, "data"),
    Input({"type": "wif-csv-button", "fig": MATCH}, "n_clicks"),
    State({"type": "wif-csv-data", "fig": MATCH}, "data"),
    State({"type": "wif-csv-name", "fig": MATCH}, "data"),
    prevent_initial_call=True,
)
