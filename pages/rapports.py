"""Rapports: the monthly report of a departmental unit (or of every unit, one printed page each), on screen,
printable (assets/print.css) and downloadable as XLSX and CSV (the files of ``python -m etl report``)."""

from datetime import datetime
from html import escape

import dash
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from components import format as fmt
from etl import report
from metrics import meta, reports

dash.register_page(__name__, path="/rapports", name="Rapports", title="Rapports — WIF statistiques", order=8)

ALL = ""   # value of the "every department" choice
VALUE_FORMATS = {"dossiers": fmt.fmt_int, "taux": fmt.fmt_pct, "jours ouvrés": fmt.fmt_days,
                 "jours calendaires": fmt.fmt_days}
DELTA_MODES = {"dossiers": "relative", "taux": "points", "jours ouvrés": "days", "jours calendaires": "days"}


def default_month(months: list, data_end) -> str | None:
    """The last month the data cover entirely (the current one when the data end on its last day)."""
    if not months:
        return None
    complete = [m for m in months if reports.month_filters(m).end <= data_end]
    return f"{(complete or months)[0]:%Y-%m}"


def layout(dep: str | None = None, **_query):
    """``dep`` (the global filter's department, when a single one is chosen) preselects that department. The
    choices are read from the warehouse by ``fill_choices``, not here (no IO while Dash builds its layouts)."""
    return html.Div(id="page-rapports", children=[
        dcc.Store(id="rapports-init", data={"dep": dep}),
        html.Div(className="wif-no-print", children=[
            html.H1("Rapports", className="fr-mt-4w fr-mb-1w"),
            html.P("Rapport mensuel d'activité des unités départementales, par mois de décision, comparé au mois "
                   "précédent et au même mois de l'année précédente.", className="fr-text--lead fr-mb-1w"),
            html.P("Format fixe : les filtres de période, de public et de type de contrat ne s'y appliquent pas. "
                   "Les mêmes fichiers sont produits chaque mois par « python -m etl report ».",
                   className="fr-text--sm wif-period fr-mb-3w"),
        ]),
        html.Div(className="fr-grid-row fr-grid-row--gutters wif-report-controls wif-no-print", children=[
            html.Div(className="fr-col-12 fr-col-md-3", children=[
                html.Label("Mois", htmlFor="rapports-mois", className="fr-label"),
                dcc.Dropdown(id="rapports-mois", clearable=False, searchable=False, className="wif-dropdown"),
            ]),
            html.Div(className="fr-col-12 fr-col-md-5", children=[
                html.Label("Département", htmlFor="rapports-departement", className="fr-label"),
                dcc.Dropdown(id="rapports-departement", clearable=False, className="wif-dropdown"),
            ]),
            html.Div(className="fr-col-12 fr-col-md-4 wif-report-actions", children=html.Ul(
                className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left", children=[
                    html.Li(html.Button("XLSX", id="rapports-xlsx-button", type="button",
                                        className="fr-btn fr-btn--secondary fr-icon-download-line",
                                        title="Télécharger le rapport (classeur XLSX)")),
                    html.Li(html.Button("CSV", id="rapports-csv-button", type="button",
                                        className="fr-btn fr-btn--secondary fr-icon-download-line",
                                        title="Télécharger le rapport (CSV, séparateur point-virgule)")),
                    html.Li(html.Button("Imprimer", id="rapports-print", type="button",
                                        className="fr-btn fr-btn--tertiary fr-icon-printer-line",
                                        title="Imprimer le rapport (une page par département)")),
                ])),
        ]),
        dcc.Download(id="rapports-download"),
        dcc.Store(id="rapports-printed"),
        dcc.Loading(html.Div(id="rapports-contenu"), type="dot", color="#000091", delay_show=300),
    ])


@callback(Output("rapports-mois", "options"), Output("rapports-mois", "value"),
          Output("rapports-departement", "options"), Output("rapports-departement", "value"),
          Input("rapports-init", "data"))
def fill_choices(init):
    """Months with data (the last complete one chosen) and departments (the URL's one chosen, else all)."""
    months = reports.available_months()
    departements = meta.departement_options()
    dep = (init or {}).get("dep")
    return ([{"label": fmt.fmt_month(m).capitalize(), "value": f"{m:%Y-%m}"} for m in months],
            default_month(months, meta.freshness().data_end),
            [{"label": "Tous les départements (un rapport par département)", "value": ALL}]
            + [{"label": f"{c} – {n}", "value": c} for c, n in zip(departements.code, departements.name, strict=True)],
            dep if dep in set(departements.code) else ALL)


def _table(caption: str, head: list[str], rows: list[list[str]], numeric_from: int) -> dcc.Markdown:
    """An accessible DSFR table (caption, column headers, first cell of each row as its header), written as
    escaped HTML in one component: a report for every department holds thousands of cells, which as Dash
    components would keep the browser busy for minutes."""
    def cell(text: str, index: int, scope: str | None = None) -> str:
        numeric = ' class="wif-num"' if index >= numeric_from else ""
        if scope:
            return f'<th scope="{scope}"{numeric}>{escape(text)}</th>'
        return f"<td{numeric}>{escape(text)}</td>"

    header = "".join(cell(text, i, "col") for i, text in enumerate(head))
    body = "".join("<tr>" + "".join(cell(text, i, "row" if i == 0 else None) for i, text in enumerate(row))
                   + "</tr>" for row in rows)
    table = (f'<div class="fr-table fr-table--bordered fr-table--no-scroll fr-table--no-caption wif-table">'
             f'<div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content">'
             f'<table><caption>{escape(caption)}'
             f"</caption><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div></div></div></div>")
    return dcc.Markdown(table, dangerously_allow_html=True, className="wif-report__table")


def _summary_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """French-formatted summary lines: value of each month in the indicator's unit, evolutions signed."""
    month_columns = list(table.columns[2:5])
    rows = []
    for line in table.itertuples(index=False):
        values = line[2:5]
        shown = VALUE_FORMATS[line.Unité]
        mode = DELTA_MODES[line.Unité]
        rows.append([line.Indicateur, line.Unité, *[shown(v) for v in values],
                     fmt.fmt_delta(values[0], values[1], mode), fmt.fmt_delta(values[0], values[2], mode)])
    return ["Indicateur", "Unité", *month_columns, "Évolution sur un mois", "Évolution sur un an"], rows


def _nationality_rows(table: pd.DataFrame) -> list[list[str]]:
    return [[str(r.Rang), r.Nationalité, fmt.fmt_int(r.Dossiers), fmt.fmt_pct(r[-1])]
            for r in table.itertuples(index=False)]


def report_block(scope: str, month: str, sections: list[report.Section], lines: list[str]) -> html.Article:
    """The report of one scope (a department or all of them): header, summary, four nationality tables."""
    summary, *ranked = sections
    head, rows = _summary_rows(summary.table)
    blocks = []
    for section in ranked:
        title = reports.CATEGORIES[section.key]
        content = (_table(f"{title} — {scope}", ["Rang", "Nationalité", "Dossiers", "Part"],
                          _nationality_rows(section.table), 2)
                   if len(section.table) else html.P("Aucun dossier ce mois-ci.", className="fr-text--sm"))
        blocks.append(html.Div([html.H4(title, className="fr-h6 fr-mb-1w"), content],
                               className="fr-col-12 fr-col-lg-6"))
    return html.Article(className="wif-report fr-mt-4w", **{"aria-label": f"Rapport {scope}"}, children=[
        html.H2(f"{scope} — {fmt.fmt_month(reports.parse_month(month))}", className="fr-h3 wif-report__title"),
        html.Ul([html.Li(text) for text in lines[2:]], className="fr-text--xs wif-report__header"),
        html.H3("Synthèse", className="fr-h5"),
        _table(f"Synthèse — {scope}", head, rows, 2),
        html.H3("Les 10 nationalités les plus fréquentes par décision", className="fr-h5 fr-mt-3w"),
        html.Div(blocks, className="fr-grid-row fr-grid-row--gutters"),
    ])


def _split(sections: list[report.Section], scopes: list[str]) -> dict[str, list[report.Section]]:
    """The sections of a report for all departments, cut into one list per department (in ``scopes`` order)."""
    if "Département" not in sections[0].table:
        return {scopes[0]: sections}
    return {scope: [report.Section(s.key, s.sheet, s.title,
                                   s.table[s.table["Département"] == scope].drop(columns="Département")
                                   .reset_index(drop=True), s.units)
                    for s in sections]
            for scope in scopes}


@callback(Output("rapports-contenu", "children"), Input("rapports-mois", "value"),
          Input("rapports-departement", "value"))
def update_report(month, departement):
    if departement is None:           # choices not filled yet
        raise PreventUpdate
    if not month:
        return html.P("Aucune donnée : pas de rapport à afficher.")
    departement = departement or None
    sections = report.report_sections(month, departement)
    options = meta.departement_options()
    names = dict(zip(options.code, options.name, strict=True))
    codes = report.report_scopes(month, departement)
    labels = {report.scope_label(code, names): code for code in codes}
    generated = datetime.now().replace(microsecond=0)
    blocks = [report_block(label, month, parts, report.header_lines(
                  month, None if labels[label] == reports.NATIONAL else labels[label], sections[0], generated))
              for label, parts in _split(sections, list(labels)).items()]
    end = reports.month_filters(month).end
    data_end = meta.freshness().data_end
    notes = []
    if data_end and end > data_end:
        notes.append(html.Div(className="fr-alert fr-alert--warning fr-alert--sm fr-mt-2w", children=html.P(
            f"Mois incomplet : les données s'arrêtent le {fmt.fmt_date(data_end)}.")))
    if departement is None:
        notes.append(html.P(f"{fmt.fmt_int(len(blocks) - 1)} départements ; l'impression place chaque "
                            "département sur sa propre page.", className="fr-text--sm fr-mt-2w wif-no-print"))
    return [*notes, *blocks]


@callback(Output("rapports-download", "data"), Input("rapports-xlsx-button", "n_clicks"),
          Input("rapports-csv-button", "n_clicks"), State("rapports-mois", "value"),
          State("rapports-departement", "value"), prevent_initial_call=True)
def download(_xlsx, _csv, month, departement):
    departement = departement or None
    stem = report.file_stem(month, departement)
    if dash.ctx.triggered_id == "rapports-csv-button":
        return dcc.send_string(report.csv_text(month, departement), f"{stem}.csv", type="text/csv")
    return dcc.send_bytes(report.workbook_bytes(month, departement), f"{stem}.xlsx")


clientside_callback(
    "function(clicks) { if (clicks) { window.print(); } return clicks || null; }",
    Output("rapports-printed", "data"), Input("rapports-print", "n_clicks"), prevent_initial_call=True,
)
