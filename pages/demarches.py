"""Démarches: dossiers déposés over time and by current state, by department (map), and the rollout."""

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from components import charts, dossier_figures, plain
from components import format as fmt
from components import map as france
from components.dossier_figures import SOURCE, Card, compared_cards, filters_of, table_of
from components.figure import figure_block, figure_outputs, figure_values
from components.memo import cached_callback
from metrics import delays, dossiers
from metrics.filters import Filters

dash.register_page(__name__, path="/demarches", name="Démarches", title="Démarches — WIF statistiques", order=1)

SORTS = {"dossiers": "Dossiers déposés", "evolution": "Évolution", "code": "Numéro de département",
         "name": "Nom de département"}
TIME, STATES, MAP, ROLLOUT = "demarches-temps", "demarches-etats", "demarches-carte", "demarches-deploiement"


def layout(**_query):
    return html.Div(id="page-demarches", children=[
        *dossier_figures.page_header("Démarches", "Dossiers déposés sur Démarches Simplifiées : volumes, état "
                                     "actuel et départements.", "demarches"),
        dcc.Loading(html.Div(id="demarches-kpis", className="wif-kpis fr-mb-4w"), type="dot",
                    color="#000091", delay_show=300),
        dossier_figures.segmented("demarches-grain", "Pas de temps", dossier_figures.GRAIN_LABELS, "month"),
        figure_block(TIME, "Dossiers déposés selon leur état actuel",
                     "Clé de lecture : chaque barre compte les dossiers déposés sur la période de temps, colorés "
                     "selon leur état aujourd'hui ; les barres pâles sont des périodes incomplètes."),
        figure_block(STATES, "État actuel des dossiers déposés pendant la période",
                     "Clé de lecture : part des dossiers déposés pendant la période qui sont, à la date des "
                     "données, en construction, en instruction, acceptés, refusés ou classés sans suite."),
        html.Div(className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom", children=[
            html.Div(className="fr-col-12 fr-col-md-6", children=html.Div(className="fr-select-group", children=[
                html.Label("Trier le tableau par", htmlFor="demarches-tri", className="fr-label"),
                dcc.Dropdown(id="demarches-tri", options=[{"label": v, "value": k} for k, v in SORTS.items()],
                             value="dossiers", clearable=False, searchable=False, className="wif-dropdown"),
            ])),
        ]),
        figure_block(MAP, "Dossiers déposés par département",
                     "Clé de lecture : plus le bleu est foncé, plus le département a reçu de dossiers pendant la "
                     "période ; en blanc, aucun dossier. Paris et la petite couronne sont agrandis en haut à "
                     "gauche ; le tableau compare chaque département à la période précédente."),
        figure_block(ROLLOUT, "Déploiement du service dans les départements",
                     "Clé de lecture : chaque point est le premier dossier déposé dans le département, tout "
                     "l'historique confondu ; la bande bleue marque la période sélectionnée."),
    ])


CARDS = [
    Card("deposes", "Dossiers déposés", "deposes", "count",
         "Dossiers déposés pendant la période, quel que soit leur état aujourd'hui."),
    Card("decides", "Dossiers décidés", "decides", "count",
         "Acceptés, refusés ou classés sans suite pendant la période, quelle que soit leur date de dépôt."),
    Card("attente", "Dossiers en attente", "open", "count",
         "Dossiers déposés et pas encore décidés le dernier jour de la période."),
    Card("departements", "Départements actifs", "departements", "number",
         "Départements ayant reçu au moins un dossier pendant la période."),
]


@cached_callback(Output("demarches-kpis", "children"), Output("demarches-period", "children"),
                 *figure_outputs(STATES), *figure_outputs(ROLLOUT),
                 Input("filters", "data"), Input("demarches-grain", "id"), State("demarches-grain", "value"))
def update_overview(data, _mount, grain):
    """Indicators, current states and rollout (the figures that do not depend on a control of the page), from the
    query that also answers the other callbacks (``dossiers.volume_figures``, cached) and the backlog's."""
    f = filters_of(data)
    figures = dossiers.volume_figures(f, grain, ("now", "before", "states", "rollout"))
    backlog = delays.backlog_figures(f)
    now, before = (pd.concat([figures[part], backlog[i][["open"]]], axis=1).iloc[0]
                   for i, part in enumerate(("now", "before")))
    return (*compared_cards("demarches", f, now, before, CARDS), *_states(f, figures["states"]),
            *_rollout(f, figures["rollout"]))


@cached_callback(*figure_outputs(TIME), Input("filters", "data"), Input("demarches-grain", "value"))
def update_time(data, grain):
    f = filters_of(data)
    frame = dossiers.volume_figures(f, grain, ("time",))["time"]
    fig = charts.stacked_bar(frame, "periode", dict(dossiers.STATES), legend_title="état", y_title="Dossiers déposés")
    opacity = [1.0 if complete else 0.45 for complete in frame.complete]
    plain.traces(fig, marker={"opacity": opacity})
    if grain == "month":
        dossier_figures.month_axis(fig, len(frame))
    plain.axis(fig, "x", title={"text": None}, **({} if grain == "month" else {"tickformat": "%d/%m/%Y"}))
    table = frame.assign(periode=dossier_figures.period_labels(frame.periode, grain)).rename(
        columns={"periode": dossier_figures.GRAIN_LABELS[grain], "complete": "Période complète", "total": "Total",
                 **dossiers.STATES})
    return figure_values(fig, table, f"{SOURCE}, dossiers par date de dépôt et état actuel")


def _states(f: Filters, mix) -> tuple:
    fig = charts.donut(mix, "label", "dossiers") if mix.dossiers.sum() else charts.empty_figure()
    table = table_of(mix, {"État": "label", "Dossiers": "dossiers", "Part (%)": mix.share * 100})
    return figure_values(fig, table, f"{SOURCE}, état à la date des données")


def _sorted(frame, key: str):
    if key in ("code", "name"):
        return frame.sort_values(["departement" if key == "code" else "name"], na_position="last")
    column = "dossiers" if key == "dossiers" else "evolution"
    return frame.sort_values([column, "departement"], ascending=[False, True], na_position="last")


@cached_callback(*figure_outputs(MAP), Input("filters", "data"), Input("demarches-tri", "value"),
                 State("demarches-grain", "value"))
def update_map(data, sort, grain):
    f = filters_of(data)
    by_dep = dossiers.volume_figures(f, grain, ("departements",))["departements"]
    by_dep["hover"] = (by_dep.departement.fillna("?") + " – " + by_dep.name + " : " + by_dep.dossiers.map(fmt.fmt_int)
                       + " dossiers (période précédente : " + by_dep.previous.map(fmt.fmt_int) + ")")
    try:
        fig = france.choropleth(by_dep[by_dep.dossiers > 0], "departement", "dossiers", text="hover")
    except france.MapUnavailable as exc:
        fig = charts.empty_figure(f"Carte indisponible : {exc}.")
    shown = _sorted(by_dep, sort)
    table = table_of(shown, {"Département": shown.departement.fillna("—") + " – " + shown.name, "Région": "region",
                             "Dossiers déposés": "dossiers", "Période précédente": "previous",
                             "Évolution (%)": shown.evolution * 100, "Part (%)": shown.share * 100})
    return figure_values(fig, table, f"{SOURCE} ; {france.ATTRIBUTION}")


def _rollout(f: Filters, rollout) -> tuple:
    fig = dossier_figures.rollout_timeline(rollout, f.start, f.end)
    table = table_of(rollout, {"Département": rollout.departement + " – " + rollout.name,
                               "Premier dossier": "first_deposit", "Dossiers depuis": "dossiers",
                               "Dossiers de la période": "in_period"})
    return figure_values(fig, table, f"{SOURCE}, premier dossier déposé par département")
