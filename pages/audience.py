"""Audience: visits of the WIF site with the previous period, over time, sources, devices, regions, hours, publics."""


import dash
import pandas as pd
from dash import Input, Output, dcc, html

from components import charts, dossier_figures, plain
from components import format as fmt
from components.audience_figures import SOURCE, Indicator, compared_cards, decimal, heatmap_figure, source_notices
from components.dossier_figures import filters_of, table_of
from components.figure import figure_block, figure_outputs, figure_values
from components.memo import cached_callback
from metrics import audience

dash.register_page(__name__, path="/audience", name="Audience", title="Audience — WIF statistiques", order=5)

TIME, SOURCES, REFERRERS, DEVICES = "audience-temps", "audience-sources", "audience-referents", "audience-appareils"
BROWSERS, SYSTEMS, REGIONS = "audience-navigateurs", "audience-systemes", "audience-regions"
HOURS, PUBLICS = "audience-horaires", "audience-publics"
MOUNT = Input("audience-grain", "id")
INDICATORS = [
    Indicator("visites", "Visites", "visits", fmt.fmt_int, "relative",
              lambda now: ("Visites du site Work in France (Matomo)"
                           + (f", dont {fmt.fmt_int(now.report_visits)} comptées d'après les rapports quotidiens "
                              "(journal détaillé purgé)." if now.report_visits else "."))),
    Indicator("pages", "Pages vues", "pageviews", fmt.fmt_int, "relative",
              "Pages affichées ; un rechargement compte deux fois. Les clics vers Démarches Simplifiées et les "
              "téléchargements n'en sont pas."),
    Indicator("pages-par-visite", "Pages vues par visite", "pages_per_visit", decimal, "relative",
              "Pages vues divisées par le nombre de visites."),
    Indicator("duree", "Durée moyenne d'une visite", "avg_duration_s", fmt.fmt_duration_s, "relative",
              "De la première à la dernière action de la visite ; une visite d'une seule action dure 0 s "
              "(Matomo ne sait pas quand le visiteur quitte sa dernière page)."),
    Indicator("rebond", "Taux de rebond", "bounce_rate", fmt.fmt_pct, "points",
              "Part des visites d'une seule action : une page vue, sans autre page, clic ni téléchargement."),
]


def layout(**_query):
    return html.Div(id="page-audience", children=[
        *dossier_figures.page_header("Audience", "Fréquentation du site Work in France : visites, provenance, "
                                     "appareils, régions et horaires.", "audience"),
        html.Div(id="audience-notices"),
        dcc.Loading(html.Div(id="audience-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        dossier_figures.segmented("audience-grain", "Pas de temps", dossier_figures.GRAIN_LABELS, "month"),
        figure_block(TIME, "Visites du site",
                     "Clé de lecture : chaque barre compte les visites de la période de temps ; la partie claire, "
                     "s'il y en a, vient des rapports quotidiens de Matomo pour les jours dont le journal détaillé "
                     "est purgé. Les barres pâles sont des périodes incomplètes."),
        html.Div(className="fr-grid-row fr-grid-row--gutters", children=[
            html.Div(figure_block(SOURCES, "Provenance des visites",
                                  "Clé de lecture : part des visites arrivées directement (adresse tapée, favori, "
                                  "courriel), depuis un moteur de recherche, un autre site ou un réseau social."),
                     className="fr-col-12 fr-col-lg-6"),
            html.Div(figure_block(REFERRERS, "Principaux sites et moteurs d'origine",
                                  "Clé de lecture : visites venues de chaque moteur de recherche, réseau social ou "
                                  "site (nom d'hôte seulement) ; les accès directs ne sont pas comptés ici."),
                     className="fr-col-12 fr-col-lg-6"),
            html.Div(figure_block(DEVICES, "Appareils",
                                  "Clé de lecture : part des visites faites depuis un ordinateur, un smartphone ou "
                                  "une tablette."), className="fr-col-12 fr-col-lg-6"),
            html.Div(figure_block(PUBLICS, "Étudiants et employeurs",
                                  "Clé de lecture : visites selon le public choisi sur le site ; « Non renseigné » : "
                                  "visites sans ce choix (départ depuis l'accueil, pages d'information)."),
                     className="fr-col-12 fr-col-lg-6"),
            html.Div(figure_block(BROWSERS, "Navigateurs",
                                  "Clé de lecture : visites par navigateur ; les moins fréquents sont regroupés "
                                  "dans « Autres »."), className="fr-col-12 fr-col-lg-6"),
            html.Div(figure_block(SYSTEMS, "Systèmes d'exploitation",
                                  "Clé de lecture : visites par système d'exploitation de l'appareil."),
                     className="fr-col-12 fr-col-lg-6"),
        ]),
        figure_block(REGIONS, "Régions des visiteurs",
                     "Clé de lecture : visites par région de France d'après la localisation de Matomo (approximative, "
                     "déduite de l'adresse réseau) ; les visites depuis l'étranger sont regroupées."),
        figure_block(HOURS, "Jours et heures des visites",
                     "Clé de lecture : plus la case est foncée, plus il y a eu de visites commencées ce jour de la "
                     "semaine à cette heure (heure de Paris)."),
    ])


@cached_callback(*figure_outputs(TIME), Input("filters", "data"), Input("audience-grain", "value"))
def update_time(data, grain):
    f = filters_of(data)
    frame = audience.visits_over_time(f, grain)
    series = {"raw_visits": "Journal des visites", "report_visits": "Rapports quotidiens (journal purgé)"}
    if not frame.report_visits.any():
        del series["report_visits"]
    fig = (charts.stacked_bar(frame, "periode", series, legend_title="origine", y_title="Visites") if frame.visits.any()
           else charts.empty_figure())
    plain.traces(fig, marker={"opacity": [1.0 if complete else 0.45 for complete in frame.complete]})
    if grain == "month":
        dossier_figures.month_axis(fig, len(frame))
    plain.axis(fig, "x", title={"text": None}, **({} if grain == "month" else {"tickformat": "%d/%m/%Y"}))
    table = frame.assign(periode=dossier_figures.period_labels(frame.periode, grain)).rename(columns={
        "periode": dossier_figures.GRAIN_LABELS[grain], "complete": "Période complète", "visits": "Visites",
        "raw_visits": "Dont journal des visites", "report_visits": "Dont rapports quotidiens",
        "purged_days": "Jours au journal purgé"})
    return figure_values(fig, table, f"{SOURCE} et rapports quotidiens (VisitsSummary)")


def _breakdown_table(frame, heading: str):
    return table_of(frame, {heading: "label", "Visites": "visits", "Part (%)": frame.share.to_numpy() * 100,
                            "Taux de rebond (%)": frame.bounce_rate.to_numpy() * 100,
                            "Part ayant cliqué vers DS (%)": frame.ds_rate.to_numpy() * 100})


def _breakdown(frame, heading: str, donut: bool) -> tuple:
    if frame.empty:
        fig = charts.empty_figure()
    elif donut:
        fig = charts.donut(frame, "label", "visits")
    else:
        fig = dossier_figures.hbars(frame, "label", "visits", axis_title="Visites")
    return figure_values(fig, _breakdown_table(frame, heading), SOURCE)


# figure id → (dimension of metrics.audience.breakdown, table heading, drawn as a donut)
BREAKDOWNS = {SOURCES: ("referrer_type", "Provenance", True), REFERRERS: ("referrer", "Origine", False),
              DEVICES: ("device", "Appareil", True), PUBLICS: ("audience", "Public", True),
              BROWSERS: ("browser", "Navigateur", False), SYSTEMS: ("os", "Système d'exploitation", False),
              REGIONS: ("region", "Région", False)}


def _hours(f) -> tuple:
    grid = audience.weekday_hour(f)
    cells = grid.visits.to_numpy().reshape(len(audience.WEEKDAYS), 24)     # weekday_hour: every cell, in order
    table = pd.DataFrame({"Jour": list(audience.WEEKDAYS), **{f"{h} h": cells[:, h] for h in range(24)}})
    return figure_values(heatmap_figure(grid), table, SOURCE)


def _indicators(f) -> tuple:
    """Headline cards, period sentence and source notices, the period and the previous one from one query."""
    both = audience.summary_with_previous(f)
    cards, period = compared_cards("audience", f, both.iloc[0], both.iloc[1], INDICATORS)
    now = both.iloc[0]
    return cards, period, source_notices(f, int(now.purged_days), int(now.purged_visits), totals=True)


# Everything but the time series (its own grain input) in one request per filter set: indicators, the breakdowns (one
# query, metrics.audience.breakdowns) and the hours.
@cached_callback(Output("audience-kpis", "children"), Output("audience-period", "children"),
                 Output("audience-notices", "children"),
                 *(output for fig_id in (*BREAKDOWNS, HOURS) for output in figure_outputs(fig_id)),
                 Input("filters", "data"), MOUNT)
def update_page(data, _mount):
    f = filters_of(data)
    frames = audience.breakdowns(f)
    figures = [_breakdown(frames[by], heading, donut) for by, heading, donut in BREAKDOWNS.values()]
    return tuple(value for values in (_indicators(f), *figures, _hours(f)) for value in values)
