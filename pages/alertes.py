"""Alertes: dossiers en souffrance and data anomalies, counted per department and listed by dossier number."""

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from components import charts
from components import format as fmt
from components.dossier_figures import SOURCE, filters_of, hbars, segmented
from components.figure import element, figure_block, figure_outputs, figure_values, to_csv
from components.kpi import kpi_card
from components.memo import cached_callback
from metrics import alerts, meta

dash.register_page(__name__, path="/alertes", name="Alertes", title="Alertes — WIF statistiques", order=9)

ALL = "toutes"
COUNTS = "alertes-departements"
LIST_LIMIT = alerts.LIST_TOP   # rows read with the counts: one query per filter set
LIST_COLUMNS = ("Dossier", "Alerte", "Département", "État", "Déposé le", "Décidé le", "Dernière modification",
                "Détail")


def _definitions(settings: alerts.AlertSettings) -> html.Div:
    labels = settings.labels()
    texts = {
        "sans_modification": "dossier en construction ou en instruction dont la dernière modification remonte à "
                             f"plus de {settings.stale_days} jours à la date des données.",
        "apt_longue": f"date de fin de l'APT au-delà de {settings.apt_max_months} mois après sa date de début "
                      "(dossiers en cours ou acceptés).",
        "apt_dates": "date de début ou de fin de l'APT absente, illisible, ou fin avant le début (dossiers en cours "
                     "ou acceptés).",
        "modifie_apres_decision": f"dossier décidé puis modifié plus de {settings.grace_hours} heures après la "
                                  "décision (message ou pièce reçus après coup).",
    }
    return html.Div(className="fr-callout fr-mb-4w", id="alertes-definitions", children=[
        html.H2("Ce qui déclenche une alerte", className="fr-callout__title fr-h6"),
        html.Ul([html.Li([html.Strong(labels[code]), f" : {texts[code]}"]) for code in alerts.ALERTS],
                className="fr-text--sm"),
        html.P("Sont examinés les dossiers en cours, quelle que soit la période, et les dossiers décidés pendant la "
               "période ; les filtres département, public et type de contrat s'appliquent ; les dossiers archivés "
               "sont exclus. Seuils réglables par les variables d'environnement WIF_ALERT_STALE_DAYS, "
               "WIF_ALERT_APT_MAX_MONTHS et WIF_ALERT_GRACE_HOURS.", className="fr-text--xs fr-mb-0"),
    ])


def layout(**_query):
    settings = alerts.AlertSettings.from_env()
    return html.Div(id="page-alertes", children=[
        html.H1("Alertes", className="fr-mt-4w fr-mb-1w"),
        html.P("Dossiers en souffrance et anomalies à vérifier dans l'interface instructeur de Démarches "
               "Simplifiées.", className="fr-text--lead fr-mb-1w"),
        html.P(id="alertes-period", className="fr-text--sm wif-period fr-mb-3w"),
        _definitions(settings),
        dcc.Loading(html.Div(id="alertes-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        figure_block(COUNTS, "Alertes par département",
                     "Clé de lecture : nombre de dossiers concernés par chaque type d'alerte dans chaque département "
                     "(un dossier peut relever de plusieurs alertes)."),
        html.H2("Dossiers à examiner", className="fr-h3 fr-mt-6w", id="alertes-list-title"),
        segmented("alertes-type", "Type d'alerte", {ALL: "Toutes", **settings.labels()}, ALL),
        html.P(id="alertes-list-note", className="fr-text--sm", **{"aria-live": "polite"}),
        html.Div(className="fr-table fr-table--bordered wif-table", children=html.Div(
            className="fr-table__wrapper", children=html.Div(className="fr-table__container", children=html.Div(
                className="fr-table__content", children=html.Table(id="alertes-list", children=[
                    html.Caption("Dossiers en alerte"),
                    html.Thead(html.Tr([html.Th(c, scope="col") for c in LIST_COLUMNS])),
                    html.Tbody(id="alertes-list-body"),
                ]))))),
        html.Button("Télécharger la liste (CSV)", id="alertes-csv-button", type="button",
                    className="fr-btn fr-btn--secondary fr-btn--icon-left fr-icon-download-line fr-mt-2w",
                    title="Télécharger toutes les alertes de la sélection (CSV, séparateur point-virgule)"),
        dcc.Download(id="alertes-csv"),
    ])


@cached_callback(Output("alertes-kpis", "children"), Output("alertes-period", "children"), *figure_outputs(COUNTS),
                 Input("filters", "data"), Input("alertes-list-title", "id"))
def update_summary(data, _mount):
    f = filters_of(data)
    settings = alerts.AlertSettings.from_env()
    labels = settings.labels()
    total = alerts.alert_summary(f, settings).iloc[0]
    cards = [kpi_card("Dossiers en alerte", fmt.fmt_int(total.dossiers), id="alertes-kpi-dossiers",
                      help="Dossiers distincts concernés par au moins une alerte.")]
    cards += [kpi_card(labels[code], fmt.fmt_int(total[code]), id=f"alertes-kpi-{code}") for code in alerts.ALERTS]
    data_end = meta.freshness().data_end
    period = (f"Situation au {fmt.fmt_date(data_end)} (date des données) ; dossiers décidés "
              f"{fmt.fmt_period(f.start, f.end)}.")
    counts = alerts.alert_counts(f, settings)
    fig = (hbars(counts, "label", {code: labels[code] for code in alerts.ALERTS}, axis_title="Dossiers") if len(counts)
           else charts.empty_figure("Aucune alerte pour cette sélection."))
    table = counts.rename(columns={"label": "Département", **labels, "dossiers": "Dossiers en alerte"})
    return (cards, period, *figure_values(fig, table.drop(columns="departement"),
                                          f"{SOURCE}, situation au {fmt.fmt_date(data_end)}"))


def _detail(row) -> str:
    """One-line French explanation of an alert row."""
    if row.alert == "sans_modification":
        return f"{fmt.fmt_int(row.days)} jours sans modification"
    if row.alert == "apt_longue":
        return f"APT de {fmt.fmt_int(row.days)} jours ({fmt.fmt_date_short(row.apt_start)} – " \
               f"{fmt.fmt_date_short(row.apt_end)})"
    if row.alert == "apt_dates":
        if fmt.is_missing(row.apt_start) or fmt.is_missing(row.apt_end):
            return "date de début ou de fin absente"
        return f"fin ({fmt.fmt_date_short(row.apt_end)}) avant le début ({fmt.fmt_date_short(row.apt_start)})"
    return f"modifié {fmt.fmt_int(row.days)} jour(s) après la décision"


def _selected(f, kind: str, limit: int | None = None) -> pd.DataFrame:
    return alerts.alert_list(f, kind=None if kind == ALL else kind, limit=limit)


@cached_callback(Output("alertes-list-body", "children"), Output("alertes-list-note", "children"),
                 Input("filters", "data"), Input("alertes-type", "value"))
def update_list(data, kind):
    f = filters_of(data)
    frame = _selected(f, kind, LIST_LIMIT)
    # Plain dicts, as Dash serialises html.Tr/Th/A/Td: 200 rows are 1 800 elements, the components' own checks
    # and serialisation cost more than the query behind them.
    rows = [element("Tr", [
        element("Th", element("A", f"n° {row.dossier_number}", href=row.url, target="_blank", rel="noopener",
                              title=f"Ouvrir le dossier n° {row.dossier_number} dans Démarches Simplifiées — "
                                    "nouvelle fenêtre"), scope="row"),
        element("Td", row.alert_label), element("Td", row.departement_label), element("Td", row.state_label),
        element("Td", fmt.fmt_date_short(row.depose_at)), element("Td", fmt.fmt_date_short(row.traite_at)),
        element("Td", fmt.fmt_date_short(row.modified_at)), element("Td", _detail(row)),
    ]) for row in frame.itertuples(index=False)]
    if frame.empty:
        return [], "Aucun dossier en alerte pour cette sélection."
    counts = alerts.alert_summary(f).iloc[0]
    total = int(sum(counts[code] for code in alerts.ALERTS) if kind == ALL else counts[kind])
    note = f"{fmt.fmt_int(total)} alerte{'s' if total > 1 else ''}"
    if total > LIST_LIMIT:
        note += f" ; les {LIST_LIMIT} premières sont affichées, toutes figurent dans le fichier CSV"
    return rows, note + "."


@callback(Output("alertes-csv", "data"), Input("alertes-csv-button", "n_clicks"),
          State("filters", "data"), State("alertes-type", "value"), prevent_initial_call=True)
def download(_clicks, data, kind):
    frame = _selected(filters_of(data), kind)
    table = pd.DataFrame({
        "Alerte": frame.alert_label, "Département": frame.departement_label, "Démarche": frame.demarche_number,
        "Dossier": frame.dossier_number, "État": frame.state_label, "Déposé le": frame.depose_at,
        "Décidé le": frame.traite_at, "Dernière modification": frame.modified_at,
        "Début APT": frame.apt_start, "Fin APT": frame.apt_end, "Jours": frame.days, "Lien": frame.url,
    })
    end = meta.freshness().data_end
    return dcc.send_string(to_csv(table), f"alertes-wif-{end:%Y-%m-%d}.csv", type="text/csv")
