"""Délais: processing time from deposit to decision (totals, stages, distribution, breakdowns) and backlog."""

import dash
from dash import Input, Output, dcc, html

from components import charts, dossier_figures, plain
from components import format as fmt
from components.dossier_figures import SOURCE, SUPPRESSED, Card, compared_cards, filters_of, month_labels, table_of
from components.figure import figure_block, figure_outputs, figure_values
from components.memo import cached_callback
from metrics import delays

dash.register_page(__name__, path="/delais", name="Délais", title="Délais — WIF statistiques", order=2)

UNIT_CHOICES = {"working": "Jours ouvrés", "calendar": "Jours calendaires"}
COHORT_CHOICES = {"decision": "Mois de décision", "depot": "Mois de dépôt"}
MONTHLY, STAGES, HISTOGRAM = "delais-mois", "delais-etapes", "delais-distribution"
BY_DEP, BY_CONTRACT, BACKLOG = "delais-departements", "delais-contrats", "delais-attente"
STAT_COLUMNS = {"n": "Dossiers décidés", "median": "Médiane (j)", "p90": "9 dossiers sur 10 (j)",
                "mean_winsorized": "Moyenne écrêtée (j)"}
HIST_CAP = 30
BREAKDOWNS = ("month", "departement", "contract")   # delays.processing_by of this page (delays.cohort_figures)


def _definitions() -> html.Div:
    return html.Div(className="fr-callout fr-mb-4w", id="delais-definitions", children=[
        html.H2("Définitions", className="fr-callout__title fr-h6"),
        html.Ul([html.Li([html.Strong(term), f" : {text}"]) for term, text in delays.DEFINITIONS],
                className="fr-text--sm fr-mb-0"),
    ])


def layout(**_query):
    return html.Div(id="page-delais", children=[
        *dossier_figures.page_header("Délais", "Durée des démarches, du dépôt du dossier à la décision de l'unité "
                                     "départementale.", "delais"),
        html.Div(className="fr-grid-row fr-grid-row--gutters", children=[
            html.Div(dossier_figures.segmented("delais-unite", "Délais exprimés en", UNIT_CHOICES, "working"),
                     className="fr-col-auto"),
            html.Div(dossier_figures.segmented("delais-cohorte", "Dossiers regroupés par", COHORT_CHOICES,
                                               "decision"), className="fr-col-auto"),
        ]),
        dcc.Loading(html.Div(id="delais-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        _definitions(),
        figure_block(MONTHLY, "Délai de traitement par mois",
                     "Clé de lecture : pour les dossiers décidés (ou déposés) dans le mois, la moitié a été traitée "
                     "en moins que la médiane et 9 sur 10 en moins que le 90e centile. " + SUPPRESSED),
        figure_block(STAGES, "Construction et instruction : durée moyenne par mois",
                     "Clé de lecture : la hauteur de la barre est la durée moyenne du dépôt à la décision, "
                     "partagée entre le temps passé en construction et en instruction. " + SUPPRESSED),
        figure_block(HISTOGRAM, "Répartition des délais de traitement",
                     f"Clé de lecture : nombre de dossiers décidés selon leur délai en jours ; la dernière barre "
                     f"regroupe les délais de {HIST_CAP} jours ou plus."),
        figure_block(BY_DEP, "Délai de traitement par département",
                     "Clé de lecture : délai médian de chaque département (barre) et délai dans lequel 9 dossiers "
                     "sur 10 sont traités (losange). " + SUPPRESSED),
        figure_block(BY_CONTRACT, "Délai de traitement par type de contrat",
                     "Clé de lecture : délai médian par type de contrat (barre) et 90e centile (losange). "
                     + SUPPRESSED),
        html.H2("Dossiers en attente", className="fr-h3 fr-mt-6w", id="delais-backlog-title"),
        html.P("Dossiers déposés et pas encore décidés au dernier jour de la période, selon leur ancienneté en jours "
               "ouvrés depuis le dépôt (indépendamment du choix d'unité ci-dessus).", className="fr-text--sm"),
        dcc.Loading(html.Div(id="delais-backlog-kpis", className="wif-kpis fr-mb-4w"), type="dot",
                    color="#000091", delay_show=300),
        figure_block(BACKLOG, "Ancienneté des dossiers en attente",
                     "Clé de lecture : dossiers en attente à la fin de la période selon le nombre de jours ouvrés "
                     "écoulés depuis leur dépôt et leur étape (construction ou instruction)."),
    ])


def _unit_text(unit: str) -> str:
    return delays.UNITS[unit]


def _scope(cohort: str) -> str:
    return "dossiers décidés pendant la période" if cohort == "decision" else "dossiers déposés pendant la période"


def _cards(unit: str, cohort: str) -> list[Card]:
    return [
        Card("median", "Délai médian", "median", "days",
             f"En {_unit_text(unit)}, du dépôt à la décision, pour les {_scope(cohort)} et décidés."),
        Card("p90", "9 dossiers sur 10 traités en", "p90", "days",
             "90e centile des délais : le « temps de traitement usuel » de Démarches Simplifiées."),
        Card("moyenne", "Moyenne écrêtée", "mean_winsorized", "days",
             "Moyenne après avoir ramené les 5 % de délais extrêmes de chaque côté aux bornes."),
        Card("n", "Dossiers pris en compte", "n", "count",
             f"Nombre de {_scope(cohort)}, acceptés, refusés ou classés sans suite."),
    ]


def _stat_table(frame, first: str, first_label: str):
    return table_of(frame, {first_label: first, **{new: old for old, new in STAT_COLUMNS.items()}})


@cached_callback(Output("delais-kpis", "children"), Output("delais-period", "children"),
                 *figure_outputs(MONTHLY), *figure_outputs(STAGES), *figure_outputs(HISTOGRAM),
                 *figure_outputs(BY_DEP), *figure_outputs(BY_CONTRACT),
                 Input("filters", "data"), Input("delais-unite", "value"), Input("delais-cohorte", "value"))
def update_cohort(data, unit, cohort):
    """Every figure of the cohort (indicators, months, stages, distribution, departments, contracts) and the
    previous period's summary: one query (``delays.cohort_figures``)."""
    f = filters_of(data)
    figures = delays.cohort_figures(f, unit, cohort, BREAKDOWNS, HIST_CAP, previous=True)
    source = f"{SOURCE}, délais en {_unit_text(unit)}"
    kpis = compared_cards("delais", f, figures["summary"].iloc[0], figures["previous"].iloc[0], _cards(unit, cohort))
    return (*kpis, *_monthly(figures["month"], unit, cohort, source), *_stages(figures["stages"], unit),
            *_histogram(figures["histogram"], unit, source),
            *_breakdown(figures["departement"], unit, "Département", source),
            *_breakdown(figures["contract"], unit, "Type de contrat", source))


def _monthly(months, unit: str, cohort: str, source: str) -> tuple:
    fig = (charts.line(months, "key", {"median": "Médiane", "p90": "9 dossiers sur 10",
                                       "mean_winsorized": "Moyenne écrêtée"}, legend_title="statistique",
                       value="days", markers=True,
                       y_title=f"Délai ({_unit_text(unit)})", x_title=delays.COHORT_LABELS[cohort].capitalize())
           if len(months) else charts.empty_figure())
    dossier_figures.month_axis(fig, len(months))
    table = _stat_table(months.assign(key=month_labels(months.key)), "key", "Mois")
    return figure_values(fig, table, source)


def _stages(stages, unit: str) -> tuple:
    fig = (charts.stacked_bar(stages, "month", {"construction_mean": "Construction", "instruction_mean": "Instruction"},
                              legend_title="étape", value="days",
                              y_title=f"Durée moyenne ({_unit_text(unit)})") if len(stages) else charts.empty_figure())
    dossier_figures.month_axis(fig, len(stages), title={"text": None})
    table = stages.assign(month=month_labels(stages.month)).rename(columns={
        "month": "Mois", "n": "Dossiers", "construction_mean": "Construction, moyenne (j)",
        "instruction_mean": "Instruction, moyenne (j)", "construction_median": "Construction, médiane (j)",
        "instruction_median": "Instruction, médiane (j)"})
    return figure_values(fig, table, f"{SOURCE}, dossiers ayant une date de passage en instruction cohérente")


def _histogram(hist, unit: str, source: str) -> tuple:
    hist["délai"] = hist.days.astype(str).where(~hist.overflow, f"{HIST_CAP} et plus")
    fig = (charts.bar(hist, "délai", "dossiers", x_title=f"Délai ({_unit_text(unit)})", y_title="Dossiers décidés")
           if hist.dossiers.sum() else charts.empty_figure())
    plain.axis(fig, "x", type="category")
    table = table_of(hist, {"Délai (j)": "délai", "Dossiers": "dossiers", "Part (%)": hist.share * 100})
    return figure_values(fig, table, source)


def _breakdown(frame, unit: str, heading: str, source: str) -> tuple:
    fig = dossier_figures.duration_bars(frame, "label", axis_title=f"Délai ({_unit_text(unit)})")
    return figure_values(fig, _stat_table(frame, "label", heading), source)


@cached_callback(Output("delais-backlog-kpis", "children"), *figure_outputs(BACKLOG),
                 Input("filters", "data"), Input("delais-backlog-title", "id"))
def update_backlog(data, _mount):
    f = filters_of(data)
    cards = [Card("attente", "Dossiers en attente", "open", "count",
                  lambda now: f"Dont {fmt.fmt_int(now.en_instruction)} en instruction ; ancienneté médiane "
                              f"{fmt.fmt_days(now.median_age, 0)} ouvrés.")]
    cards += [Card(f"plus-{t}", f"Depuis plus de {t} jours ouvrés", f"over_{t}", "count",
                   f"Dossiers en attente déposés il y a plus de {t} jours ouvrés.") for t in delays.BACKLOG_THRESHOLDS]
    now, before, ages = delays.backlog_figures(f)
    kpis, _ = compared_cards("delais", f, now.iloc[0], before.iloc[0], cards)
    fig = (charts.stacked_bar(ages, "bracket", "dossiers", "stage_label", x_title="Ancienneté (jours ouvrés)",
                              y_title="Dossiers en attente") if ages.dossiers.sum() else charts.empty_figure())
    table = (ages.pivot(index="bracket", columns="stage_label", values="dossiers")
             .reindex(list(delays.BACKLOG_BRACKETS))[list(delays.STAGE_LABELS.values())].reset_index()
             .rename(columns={"bracket": "Ancienneté (jours ouvrés)"}).rename_axis(columns=None))
    return (kpis, *figure_values(fig, table, f"{SOURCE}, état des dossiers le {fmt.fmt_date(f.end)}"))
