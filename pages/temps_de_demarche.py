"""Temps de démarche: time from the first page of a visit to its click towards the Démarches Simplifiées form."""


import dash
from dash import Input, Output, dcc, html

from components import audience_figures as af
from components import charts, dossier_figures, plain
from components import format as fmt
from components.audience_figures import SOURCE, Indicator
from components.dossier_figures import filters_of, table_of
from components.figure import figure_block, figure_outputs, figure_values
from components.memo import cached_callback
from metrics import time_to_apply
from metrics.filters import Filters

dash.register_page(__name__, path="/temps-de-demarche", name="Temps de démarche",
                   title="Temps de démarche — WIF statistiques", order=7)

MEASURES = {"share_under_10": "Part en moins de 10 minutes", "median_s": "Temps médian"}
DIST, BY_DEVICE, BY_AUDIENCE, MONTHLY = "temps-distribution", "temps-appareils", "temps-publics", "temps-mois"
SUPPRESSED = "« — » : moins de 5 départs, valeur non calculée."
INDICATORS = [
    Indicator("median", "Temps médian", "median_s", fmt.fmt_duration_s, "relative",
              "La moitié des visites parties vers Démarches Simplifiées l'ont fait plus vite."),
    Indicator("moins-10", "Départs en moins de 10 minutes", "share_under_10", fmt.fmt_pct, "points",
              lambda now: f"{fmt.fmt_int(now.under_10)} départs sur {fmt.fmt_int(now.departures)} en moins de "
                          "dix minutes après la première page de la visite."),
    Indicator("p90", "9 départs sur 10 en moins de", "p90_s", fmt.fmt_duration_s, "relative",
              "90e centile du temps entre la première page et le départ vers Démarches Simplifiées."),
    Indicator("departs", "Départs vers Démarches Simplifiées", "departures", fmt.fmt_int, "relative",
              "Visites ayant cliqué sur « Je finalise ma demande sur Démarches Simplifiées »."),
]


def _scope_note() -> html.Div:
    return html.Div(className="fr-callout fr-mb-4w", id="temps-mesure", children=[
        html.H2("Ce que mesure cette page", className="fr-callout__title fr-h6"),
        html.P("Work in France promettait une demande « en moins de dix minutes ». Matomo permet de mesurer la part "
               "de ce temps passée sur le site Work in France : de la première page vue pendant la visite au clic sur "
               "« Je finalise ma demande sur Démarches Simplifiées ».", className="fr-text--sm"),
        html.P("Ce qu'elle ne mesure pas :", className="fr-text--sm fr-mb-1v"),
        html.Ul(className="fr-text--sm fr-mb-0", children=[
            html.Li("le temps passé à remplir le formulaire sur Démarches Simplifiées, un autre site que Matomo ne "
                    "suit pas, ni la date de dépôt du dossier qui en résulte (aucune donnée ne relie une visite à "
                    "un dossier) ;"),
            html.Li("une démarche étalée sur plusieurs visites : chaque visite est mesurée depuis sa propre première "
                    "page (Matomo clôt une visite après 30 minutes d'inactivité) ;"),
            html.Li("les visites qui ne sont pas parties vers Démarches Simplifiées."),
        ]),
    ])


def layout(**_query):
    return html.Div(id="page-temps", children=[
        *dossier_figures.page_header("Temps de démarche", "Le temps que mettent les visiteurs pour arriver au "
                                     "formulaire de demande sur Démarches Simplifiées.", "temps"),
        html.Div(id="temps-notices"),
        dcc.Loading(html.Div(id="temps-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        _scope_note(),
        figure_block(DIST, "Répartition du temps jusqu'au départ vers Démarches Simplifiées",
                     "Clé de lecture : nombre de visites parties vers Démarches Simplifiées selon le nombre de "
                     "minutes écoulées depuis leur première page ; en bleu, les départs en moins de dix minutes. La "
                     "dernière barre regroupe les départs après 30 minutes ou plus."),
        dossier_figures.segmented("temps-indicateur", "Indicateur", MEASURES, "share_under_10"),
        html.Div(className="fr-grid-row fr-grid-row--gutters", children=[
            html.Div(figure_block(BY_DEVICE, "Selon l'appareil",
                                  "Clé de lecture : indicateur choisi pour les départs faits depuis chaque type "
                                  "d'appareil. " + SUPPRESSED), className="fr-col-12 fr-col-lg-6"),
            html.Div(figure_block(BY_AUDIENCE, "Selon le public",
                                  "Clé de lecture : indicateur choisi pour les visites d'étudiants et "
                                  "d'employeurs. " + SUPPRESSED), className="fr-col-12 fr-col-lg-6"),
        ]),
        figure_block(MONTHLY, "Évolution par mois",
                     "Clé de lecture : indicateur choisi pour les départs de chaque mois ; un mois sans point compte "
                     "moins de 5 départs."),
    ])


def _summary(f: Filters):
    """``time_summary`` of ``f`` from the query of its breakdowns (one scan for the whole page)."""
    return lambda g: time_to_apply.time_summary(g, time_to_apply.BY if g == f else ())


def _distribution(f: Filters) -> tuple:
    dist = time_to_apply.time_distribution(f)
    cap = int(dist.minute.max())
    minutes = [f"{cap} et plus" if o else f"{m} à {m + 1}" for m, o in zip(dist.minute, dist.overflow, strict=True)]
    table = table_of(dist, {"Minutes": minutes, "Départs": "departures", "Part (%)": dist.share * 100,
                            "Part cumulée (%)": dist.cumulative_share * 100})
    return figure_values(af.minutes_histogram(dist), table, SOURCE)


def _by_table(frame, heading: str):
    return table_of(frame, {heading: "label", "Départs": "departures", "Temps médian (min)": frame.median_s / 60,
                            "9 sur 10 en moins de (min)": frame.p90_s / 60,
                            "En moins de 10 minutes (%)": frame.share_under_10 * 100})


def _measure_values(frame, measure: str):
    """The chosen measure in display units: share as a ratio, median in minutes."""
    return frame[measure] if measure == "share_under_10" else frame[measure] / 60


def _bars(f: Filters, by: str, heading: str, measure: str) -> tuple:
    frame = time_to_apply.time_by(f, by, time_to_apply.BY)
    shown = frame.assign(value=_measure_values(frame, measure))
    fig = dossier_figures.hbars(shown, "label", "value", pct=measure == "share_under_10",
                                axis_title=MEASURES[measure] + ("" if measure == "share_under_10" else " (minutes)"))
    return figure_values(fig, _by_table(frame, heading), SOURCE)


def _monthly(f: Filters, measure: str) -> tuple:
    months = time_to_apply.time_by(f, "month", time_to_apply.BY)
    shown = months.assign(value=_measure_values(months, measure))
    if shown.value.notna().any():
        fig = charts.line(shown, "key", "value", value="pct" if measure == "share_under_10" else "float",
                          markers=True, y_title=MEASURES[measure] + ("" if measure == "share_under_10" else " (min)"))
        if measure == "share_under_10":
            plain.axis(fig, "y", range=[0, 100])
        dossier_figures.month_axis(fig, len(months), title={"text": None})
    else:
        fig = charts.empty_figure()
    table = _by_table(months.assign(label=dossier_figures.month_labels(months.key)), "Mois")
    return figure_values(fig, table, SOURCE)


# One callback for the page: the indicators and the three breakdowns come from one query (``time_to_apply.BY``);
# a change of indicator answers the unchanged parts from metrics.db's cache.
@cached_callback(Output("temps-kpis", "children"), Output("temps-period", "children"),
                 Output("temps-notices", "children"),
                 *[output for fig_id in (DIST, BY_DEVICE, BY_AUDIENCE, MONTHLY) for output in figure_outputs(fig_id)],
                 Input("filters", "data"), Input("temps-indicateur", "value"))
def update_page(data, measure):
    f = filters_of(data)
    return (*af.indicator_panel("temps", f, _summary(f), INDICATORS, totals=False), *_distribution(f),
            *_bars(f, "device", "Appareil", measure), *_bars(f, "audience", "Public", measure),
            *_monthly(f, measure))
