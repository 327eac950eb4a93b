"""Impact: the figures a startup d'État reports to its incubator, each downloadable as a PNG image (kaleido),
and the whole page's data as one CSV."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, callback, dcc, html

from components import charts, plain, theme
from components import format as fmt
from components.dossier_figures import SOURCE, filters_of, month_axis, month_labels, rate_over_time, segmented
from components.figure import figure_block, figure_outputs, figure_values, slugify, to_csv
from components.kpi import kpi_card
from components.memo import cached_callback
from metrics import decisions, delays, impact, time_to_apply
from metrics.filters import Filters

dash.register_page(__name__, path="/impact", name="Impact", title="Impact — WIF statistiques", order=10)

PERIODS = {"lancement": "Depuis le lancement", "periode": "Période sélectionnée"}
MATOMO = "Matomo (journal détaillé des visites)"
PROMISE_MIN = time_to_apply.TEN_MINUTES_S / 60
PNG_WIDTH = 1200
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


class Frames:
    """The metric frames of one answer under the filters ``f``, each asked for once, when first needed: the
    figures and the indicators share them (a figure's PNG asks for its own alone)."""

    def __init__(self, f: Filters):
        self.f = f

    @cached_property
    def deposits(self) -> pd.DataFrame:
        return impact.cumulative_deposits(self.f)

    @cached_property
    def departements(self) -> pd.DataFrame:
        return impact.departements_covered(self.f)

    @cached_property
    def processing(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return delays.processing_figures(self.f, "month", "working", "decision")

    @cached_property
    def time_by_month(self) -> pd.DataFrame:
        return time_to_apply.time_by(self.f, "month")

    @cached_property
    def rates(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return decisions.rates_with_total(self.f, "month")


@dataclass(frozen=True)
class ImpactFigure:
    """A figure of the page: its builder returns the figure (a plain dict), its data table and its source line."""

    fig_id: str
    title: str
    reading_key: str
    build: Callable[[Frames], tuple[dict, pd.DataFrame, str]]


def _cumulative(data: Frames):
    frame = data.deposits
    fig = charts.line(frame, "month", "cumulative", y_title="Dossiers déposés (cumul)")
    table = pd.DataFrame({"Mois": month_labels(frame.month), "Dossiers déposés dans le mois": frame.deposes,
                          "Cumul depuis le lancement": frame.cumulative})
    return month_axis(fig, len(frame), title={"text": None}), table, SOURCE


def _departements(data: Frames):
    frame = data.departements
    fig = charts.line(frame, "month", "covered", y_title="Départements couverts")
    plain.traces(fig, line={"shape": "hv"})
    table = pd.DataFrame({"Mois": month_labels(frame.month), "Départements couverts": frame.covered,
                          "Nouveaux départements": frame.new, "Arrivées": frame.new_names.fillna("")})
    return month_axis(fig, len(frame), title={"text": None}), table, f"{SOURCE}, premier dossier déposé"


def _reach_ds(data: Frames):
    frame = impact.reach_ds_by_month(data.f)
    fig = charts.line(frame, "month", "share", value="pct", markers=True, y_title="Part des visiteurs")
    table = pd.DataFrame({"Mois": month_labels(frame.month), "Visiteurs entrés dans le parcours": frame.started,
                          "Partis vers Démarches Simplifiées": frame.reached_ds, "Part (%)": frame.share * 100})
    return month_axis(fig, len(frame), title={"text": None}), table, MATOMO


def _processing(data: Frames):
    frame = data.processing[1]
    fig = (charts.line(frame, "key", {"median": "Médiane", "p90": "9 dossiers sur 10"}, legend_title="statistique",
                       value="days", y_title="Délai (jours ouvrés)")
           if len(frame) else charts.empty_figure())
    table = pd.DataFrame({"Mois": month_labels(frame.key), "Dossiers décidés": frame.n,
                          "Délai médian (j ouvrés)": frame["median"], "9 dossiers sur 10 (j ouvrés)": frame.p90})
    return month_axis(fig, len(frame), title={"text": None}), table, f"{SOURCE}, mois de décision"


def _time_to_apply(data: Frames):
    frame = data.time_by_month
    minutes = frame.assign(median_min=frame.median_s / 60)
    fig = charts.line(minutes, "key", "median_min", value="float", markers=True, y_title="Temps médian (minutes)")
    plain.span(fig, "hline", PROMISE_MIN, line=dict(color=theme.RED_MARIANNE, dash="dash", width=1.5),
               text="promesse : moins de 10 minutes", position="top left")
    table = pd.DataFrame({"Mois": month_labels(frame.key), "Départs vers Démarches Simplifiées": frame.departures,
                          "Temps médian (min)": minutes.median_min,
                          "Part en moins de 10 min (%)": frame.share_under_10 * 100})
    return month_axis(fig, len(frame), title={"text": None}), table, MATOMO


def _refusals(data: Frames):
    total, frame = data.rates
    overall = total.refusal_rate.iloc[0]
    fig = rate_over_time(frame, "key", "refusal_rate", "refusal_low", "refusal_high", name="Taux de refus",
                         reference=overall)
    table = pd.DataFrame({"Mois": month_labels(frame.key), "Dossiers décidés": frame.decided,
                          "Refusés": frame.refuses, "Taux de refus (%)": frame.refusal_rate * 100,
                          "Borne basse (%)": frame.refusal_low * 100, "Borne haute (%)": frame.refusal_high * 100})
    return month_axis(fig, len(frame)), table, f"{SOURCE}, mois de décision"


FIGURES = (
    ImpactFigure("impact-cumul", "Dossiers déposés depuis le lancement",
                 "Clé de lecture : nombre total de dossiers déposés depuis le premier dossier, à la fin de chaque "
                 "mois.", _cumulative),
    ImpactFigure("impact-departements", "Départements couverts",
                 "Clé de lecture : nombre de départements ayant reçu au moins un dossier à la fin de chaque mois "
                 "(le tableau nomme les nouveaux venus).", _departements),
    ImpactFigure("impact-parcours", "Part des visiteurs qui rejoignent Démarches Simplifiées",
                 "Clé de lecture : parmi les visites entrées dans le parcours (accueil ou page étudiant / employeur), "
                 "part de celles qui ont cliqué vers le formulaire Démarches Simplifiées.", _reach_ds),
    ImpactFigure("impact-delai", "Délai de traitement des dossiers",
                 "Clé de lecture : délai médian et délai dans lequel 9 dossiers sur 10 sont traités, en jours "
                 "ouvrés du dépôt à la décision, par mois de décision (non calculé sous 5 dossiers).", _processing),
    ImpactFigure("impact-temps", "Temps pour postuler face à la promesse de 10 minutes",
                 "Clé de lecture : temps médian entre l'arrivée sur le site et le clic vers le formulaire Démarches "
                 "Simplifiées ; la ligne rouge marque les 10 minutes promises.", _time_to_apply),
    ImpactFigure("impact-refus", "Taux de refus",
                 "Clé de lecture : refus parmi les dossiers décidés dans le mois, avec son intervalle de confiance "
                 "à 95 % ; la ligne pointillée donne le taux de toute la période.", _refusals),
)
BY_ID = {figure.fig_id: figure for figure in FIGURES}


def _scope(data: dict, period: str) -> Filters:
    f = filters_of(data)
    return impact.since_launch(f) if period == "lancement" else f


def _block(figure: ImpactFigure) -> html.Div:
    return html.Div(className="wif-impact-figure", children=[
        figure_block(figure.fig_id, figure.title, figure.reading_key),
        html.Button("Télécharger l'image (PNG)", id={"type": "impact-png", "fig": figure.fig_id}, type="button",
                    className="fr-btn fr-btn--tertiary fr-btn--sm fr-btn--icon-left fr-icon-image-line",
                    title=f"Télécharger « {figure.title} » en image PNG"),
        dcc.Loading(dcc.Download(id={"type": "impact-png-download", "fig": figure.fig_id}), type="dot",
                    color="#000091"),
    ])


def layout(**_query):
    return html.Div(id="page-impact", children=[
        html.H1("Impact", className="fr-mt-4w fr-mb-1w"),
        html.P("Les chiffres d'impact du service : volumes, couverture du territoire, parcours, délais et "
               "décisions.", className="fr-text--lead fr-mb-1w"),
        html.P(id="impact-period", className="fr-text--sm wif-period fr-mb-3w"),
        segmented("impact-periode", "Période", PERIODS, "lancement"),
        dcc.Loading(html.Div(id="impact-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        *[_block(figure) for figure in FIGURES],
        html.Button("Télécharger toutes les données de la page (CSV)", id="impact-csv-button", type="button",
                    className="fr-btn fr-btn--secondary fr-btn--icon-left fr-icon-download-line fr-mt-4w"),
        dcc.Download(id="impact-csv"),
    ])


def _kpis(data: Frames, period: str) -> list:
    cumul, covered = data.deposits, data.departements
    reach = impact.reach_ds(data.f).iloc[0]
    timing = time_to_apply.time_summary(data.f, ("month",)).iloc[0]
    processing = data.processing[0].iloc[0]
    rates = data.rates[0].iloc[0]
    return [
        kpi_card("Dossiers déposés depuis le lancement", fmt.fmt_int(cumul.cumulative.iloc[-1]), id="impact-kpi-cumul",
                 help=None if period == "lancement" else f"Dont {fmt.fmt_int(cumul.deposes.sum())} sur la période."),
        kpi_card("Départements couverts", fmt.fmt_int(covered.covered.iloc[-1]), id="impact-kpi-departements",
                 help=None if period == "lancement" else f"Dont {fmt.fmt_int(covered.new.sum())} arrivés sur la "
                                                         "période."),
        kpi_card("Visiteurs partis vers Démarches Simplifiées", fmt.fmt_pct(reach.share), id="impact-kpi-parcours",
                 help=f"{fmt.fmt_int(reach.reached_ds)} visites sur {fmt.fmt_int(reach.started)} entrées dans le "
                      "parcours."),
        kpi_card("Temps médian pour postuler", fmt.fmt_duration_s(timing.median_s), id="impact-kpi-temps",
                 help=f"{fmt.fmt_pct(timing.share_under_10)} des départs vers le formulaire en moins de 10 minutes."),
        kpi_card("Délai médian de traitement", fmt.fmt_days(processing["median"]), id="impact-kpi-delai",
                 help=f"En jours ouvrés, pour {fmt.fmt_int(processing.n)} dossiers décidés."),
        kpi_card("Taux de refus", fmt.fmt_pct(rates.refusal_rate), id="impact-kpi-refus",
                 help=f"{fmt.fmt_int(rates.refuses)} refus sur {fmt.fmt_int(rates.decided)} décisions."),
    ]


# One callback for the whole page: every output follows the same two inputs, and one answer spares a request per
# figure (the figures share their frames with the indicators: ``Frames``).
@cached_callback(Output("impact-kpis", "children"), Output("impact-period", "children"),
                 *[output for figure in FIGURES for output in figure_outputs(figure.fig_id)],
                 Input("filters", "data"), Input("impact-periode", "value"))
def update_page(data, period):
    frames = Frames(_scope(data, period))
    figures = [figure_values(*figure.build(frames)) for figure in FIGURES]
    return (_kpis(frames, period), f"Période {fmt.fmt_period(frames.f.start, frames.f.end)}.",
            *[value for values in figures for value in values])


_png_lock = threading.Lock()


def png_bytes(fig: go.Figure) -> bytes:
    """The figure as a PNG image rendered by kaleido in the local Chromium (started once, kept running).

    MathJax is disabled: kaleido would fetch it from a CDN, which a closed network turns into a long timeout.
    """
    import kaleido  # lazy: starts nothing at import time

    with _png_lock:
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        height = fig.layout.height or charts.GRAPH_HEIGHT
        return kaleido.calc_fig_sync(fig, opts={"format": "png", "width": PNG_WIDTH, "height": height, "scale": 2})


def french_month_ticks(fig: go.Figure) -> go.Figure:
    """Month ticks written in French on a date x axis (the browser's Plotly locale does not reach kaleido)."""
    xs = pd.to_datetime(pd.Series([x for trace in fig.data for x in (trace.x if trace.x is not None else ())]),
                        errors="coerce")
    if xs.empty or xs.isna().any():
        return fig
    months = pd.date_range(xs.min().to_period("M").to_timestamp(), xs.max(), freq="MS")
    ticks = months[::1 if len(months) <= 13 else 3]
    return fig.update_xaxes(tickmode="array", tickvals=list(ticks),
                            ticktext=[f"{SHORT_MONTHS[t.month - 1]} {t.year}" for t in ticks])


@callback(Output({"type": "impact-png-download", "fig": MATCH}, "data"),
          Input({"type": "impact-png", "fig": MATCH}, "n_clicks"),
          State({"type": "impact-png", "fig": MATCH}, "id"), State("filters", "data"),
          State("impact-periode", "value"), prevent_initial_call=True)
def download_png(_clicks, ident, data, period):
    figure = BY_ID[ident["fig"]]
    fig, _, source = figure.build(Frames(_scope(data, period)))
    fig = french_month_ticks(go.Figure(fig)).update_layout(title=dict(text=figure.title, x=0.02),
                                                           margin=dict(t=70, b=100))
    fig.add_annotation(text=f"Source : {source}", showarrow=False, xref="paper", yref="paper", x=0, y=-0.3,
                       xanchor="left", font=dict(size=11, color=theme.TEXT_MENTION))
    return dcc.send_bytes(png_bytes(fig), f"{slugify(figure.title)}.png")


def page_data(f: Filters) -> pd.DataFrame:
    """Every table of the page in one frame: ``Figure`` then the union of the tables' columns (a table's rows
    are empty in the columns it does not have)."""
    frames = Frames(f)
    tables = [figure.build(frames)[1].assign(Figure=figure.title) for figure in FIGURES]
    frame = pd.concat(tables, ignore_index=True).round(2).convert_dtypes()   # whole-number columns as integers
    return frame[["Figure", *[c for c in frame.columns if c != "Figure"]]]


@callback(Output("impact-csv", "data"), Input("impact-csv-button", "n_clicks"),
          State("filters", "data"), State("impact-periode", "value"), prevent_initial_call=True)
def download_csv(_clicks, data, period):
    f = _scope(data, period)
    return dcc.send_string(to_csv(page_data(f)), f"impact-wif-{f.start:%Y-%m-%d}-{f.end:%Y-%m-%d}.csv",
                           type="text/csv")

