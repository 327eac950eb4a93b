"""Contrats: contract categories over time and by department, renewals, APT length, outcome, delay, nationalities."""

import dash
import numpy as np
import pandas as pd
from dash import Input, Output, State, dcc, html

from components import charts, dossier_figures, plain, theme
from components.dossier_figures import (
    SOURCE,
    SUPPRESSED,
    Card,
    compared_cards,
    filters_of,
    month_labels,
    table_of,
)
from components.figure import figure_block, figure_outputs, figure_values
from components.memo import cached_callback
from metrics import contracts, decisions, delays
from metrics.stats import NOT_GIVEN

dash.register_page(__name__, path="/contrats", name="Contrats", title="Contrats — WIF statistiques", order=3)

MEASURES = {"count": "Nombre de dossiers", "share": "Part des dossiers"}
MIX, BY_DEP, DEMANDE = "contrats-mois", "contrats-departements", "contrats-demande"
APT, APT_CONTRACT, OUTCOME = "contrats-apt", "contrats-apt-contrat", "contrats-issue"
DELAY, NATIONALITIES = "contrats-delai", "contrats-nationalites"
TOP_NATIONALITIES = 10
OUTCOME_LABELS = {"acceptes": "Acceptés", "refuses": "Refusés", "sans_suite": "Classés sans suite"}
DELAY_HEADINGS = {"label": "Type de contrat", "n": "Dossiers décidés", "median": "Médiane (j)",
                  "p90": "9 dossiers sur 10 (j)", "mean_winsorized": "Moyenne écrêtée (j)"}


def layout(**_query):
    return html.Div(id="page-contrats", children=[
        *dossier_figures.page_header("Contrats", "Typologie des demandes déposées : types de contrat, renouvellements, "
                                     "durée des autorisations, issue et nationalités.", "contrats"),
        dcc.Loading(html.Div(id="contrats-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        dossier_figures.segmented("contrats-mesure", "Afficher", MEASURES, "count"),
        figure_block(MIX, "Types de contrat des dossiers déposés, par mois",
                     "Clé de lecture : chaque barre empile les dossiers déposés dans le mois selon le type de "
                     "contrat déclaré."),
        figure_block(BY_DEP, "Types de contrat par département",
                     "Clé de lecture : répartition des dossiers déposés dans chaque département selon le type de "
                     "contrat, départements classés par nombre de dossiers."),
        figure_block(DEMANDE, "Première demande ou renouvellement",
                     "Clé de lecture : dossiers déposés selon qu'ils demandent une première autorisation ou son "
                     "renouvellement, par type de contrat. " + SUPPRESSED),
        figure_block(APT, "Durée des autorisations demandées",
                     "Clé de lecture : dossiers déposés selon la durée de l'autorisation demandée, de la date de "
                     "début à la date de fin incluses ; à droite de la ligne rouge, 91 jours ou plus (seuil du "
                     "rapport mensuel de WIF) ; en gris, dates absentes ou incohérentes."),
        figure_block(APT_CONTRACT, "Autorisations de 91 jours ou plus, par type de contrat",
                     "Clé de lecture : dossiers déposés dont l'autorisation demandée dure 91 jours ou plus, moins de "
                     "91 jours, ou dont les dates sont absentes ou incohérentes. " + SUPPRESSED),
        figure_block(OUTCOME, "Issue des dossiers par type de contrat",
                     "Clé de lecture : dossiers décidés pendant la période, répartis entre acceptés, refusés et "
                     "classés sans suite ; le tableau donne les taux avec leur intervalle de confiance à 95 %. "
                     + SUPPRESSED),
        figure_block(DELAY, "Délai de traitement par type de contrat (jours ouvrés)",
                     "Clé de lecture : délai médian du dépôt à la décision (barre) et délai dans lequel 9 dossiers "
                     "sur 10 sont traités (losange), pour les dossiers décidés pendant la période. " + SUPPRESSED),
        html.Div(className="fr-select-group", children=[
            html.Label("Type de contrat pour les nationalités", htmlFor="contrats-categorie", className="fr-label"),
            dcc.Dropdown(id="contrats-categorie", clearable=False, searchable=False, className="wif-dropdown"),
        ]),
        figure_block(NATIONALITIES, "Principales nationalités par type de contrat",
                     f"Clé de lecture : les {TOP_NATIONALITIES} nationalités les plus fréquentes parmi les dossiers "
                     "déposés pour le type de contrat choisi, en part de ses dossiers (nationalité non renseignée "
                     "comprise dans le total)."),
    ])


CARDS = [
    Card("deposes", "Dossiers déposés", "deposes", "count", "Dossiers déposés pendant la période, tous contrats."),
    Card("alternance", "Part de l'alternance", "alternance_share", "rate",
         "Contrats d'apprentissage et de professionnalisation parmi les dossiers déposés."),
    Card("renouvellement", "Part des renouvellements", "renouvellement_share", "rate",
         "Renouvellements parmi les dossiers indiquant le type de demande."),
    Card("longues", f"Autorisations de {contracts.LONG_APT_DAYS} jours ou plus", "long_share", "rate",
         "Parmi les dossiers dont les dates de début et de fin sont valides."),
]


@cached_callback(Output("contrats-kpis", "children"), Output("contrats-period", "children"),
                 *figure_outputs(DEMANDE), *figure_outputs(APT), *figure_outputs(APT_CONTRACT),
                 Output("contrats-categorie", "options"), Output("contrats-categorie", "value"),
                 Input("filters", "data"), Input("contrats-mesure", "id"), State("contrats-categorie", "value"))
def update_profile(data, _mount, category):
    """Every block drawn from ``contracts``' one query of the period: indicators, demande, APT lengths and split,
    and the choice of contract category for the nationalities."""
    f = filters_of(data)
    summaries, types = contracts.contract_summaries(f), contracts.demande_types(f)
    return (*compared_cards("contrats", f, summaries.iloc[0], summaries.iloc[1], CARDS), *_demande(types), *_apt(f),
            *_apt_contract(f), *_categories(types, category))


def _wide(tidy, index: str, index_label: str, values: str, scale: int = 1, suffix: str = "") -> pd.DataFrame:
    """One row per ``index`` in the metric's order (months in time, departments as in the figure), one column per
    contract category (reference order, ``suffix`` added to its name), ``values`` × ``scale`` in the cells, zeros
    for absent cells (then floats, as a pandas pivot gives)."""
    row_of, rows = pd.factorize(tidy[index].to_numpy(dtype=object))
    labels = list(dict.fromkeys(tidy.label))
    col_of = pd.Index(labels).get_indexer(tidy.label)
    cells = tidy[values].to_numpy() * scale
    full = len(cells) == len(rows) * len(labels)           # every cell present (one row per index × category)
    grid = np.zeros((len(rows), len(labels)), dtype=cells.dtype if full else float)
    grid[row_of, col_of] = cells
    return pd.DataFrame({index_label: pd.array(rows, dtype=tidy[index].dtype),
                         **{f"{label}{suffix}": grid[:, i] for i, label in enumerate(labels)}})


@cached_callback(*figure_outputs(MIX), *figure_outputs(BY_DEP), Input("filters", "data"),
                 Input("contrats-mesure", "value"))
def update_measured(data, measure):
    """The two figures shown as counts or shares (``measure``)."""
    f = filters_of(data)
    return (*_mix(f, measure), *_departements(f, measure))


def _mix(f, measure: str) -> tuple:
    mix = contracts.contract_mix(f)
    column, value = ("dossiers", "int") if measure == "count" else ("share", "pct")
    fig = (charts.stacked_bar(mix, "month", column, "label", value=value, y_title=MEASURES[measure])
           if len(mix) else charts.empty_figure())
    dossier_figures.month_axis(fig, mix.month.nunique(), title={"text": None})
    table = _wide(mix.assign(month=month_labels(mix.month)), "month", "Mois", *(
        ("dossiers",) if measure == "count" else ("share", 100, " (%)")))
    return figure_values(fig, table, f"{SOURCE}, dossiers par date de dépôt")


def _departements(f, measure: str) -> tuple:
    by_dep = contracts.contract_by_departement(f)
    column = "dossiers" if measure == "count" else "share"
    fig = dossier_figures.hbars(by_dep, "departement_label", column, "label", axis_title=MEASURES[measure],
                                pct=measure == "share", grey=("Autre", NOT_GIVEN))
    table = _wide(by_dep, "departement_label", "Département", "dossiers")
    return figure_values(fig, table, f"{SOURCE}, dossiers par date de dépôt")


def _demande(types) -> tuple:
    fig = dossier_figures.hbars(types, "label", {"premiere": "Première demande", "renouvellement": "Renouvellement",
                                                 "non_renseigne": "Non renseigné"},
                                axis_title="Dossiers déposés", grey=("Non renseigné",))
    table = table_of(types, {"Type de contrat": "label", "Première demande": "premiere",
                             "Renouvellement": "renouvellement", "Non renseigné": "non_renseigne", "Total": "total",
                             "Part des renouvellements (%)": types.renouvellement_share * 100})
    return figure_values(fig, table, f"{SOURCE}, champ « Demande »")


def _apt(f) -> tuple:
    lengths = contracts.apt_lengths(f)
    fig = (charts.bar(lengths, "bracket", "dossiers", y_title="Dossiers déposés", x_title="Durée demandée")
           if lengths.dossiers.sum() else charts.empty_figure())
    plain.traces(fig, marker={"color": [theme.OTHER_COLOR if pd.isna(long) else theme.BLUE_FRANCE
                                        for long in lengths.long]})
    threshold = sum(low < contracts.LONG_APT_DAYS for low, _ in contracts.APT_BRACKETS) - 0.5
    plain.span(fig, "vline", threshold, line=dict(color=theme.RED_MARIANNE, dash="dash", width=1.5),
               text=f"{contracts.LONG_APT_DAYS} jours", position="top left", note={"bgcolor": "white"})
    table = table_of(lengths, {"Durée demandée": "bracket", "Dossiers": "dossiers", "Part (%)": lengths.share * 100})
    return figure_values(fig, table,
                         f"{SOURCE}, champs « Date de début » et « Date de fin »")


def _apt_contract(f) -> tuple:
    split = contracts.apt_long_by_contract(f)
    names = {"long": f"{contracts.LONG_APT_DAYS} jours ou plus", "short": f"Moins de {contracts.LONG_APT_DAYS} jours",
             "invalid": "Dates absentes ou incohérentes"}
    fig = dossier_figures.hbars(split, "label", names, axis_title="Dossiers déposés", grey=(names["invalid"],))
    table = table_of(split, {"Type de contrat": "label", **{name: column for column, name in names.items()},
                             f"Part {contracts.LONG_APT_DAYS} j ou plus (%)": split.long_share * 100})
    return figure_values(fig, table, f"{SOURCE}, dossiers par date de dépôt")


@cached_callback(*figure_outputs(OUTCOME), *figure_outputs(DELAY), Input("filters", "data"),
                 Input("contrats-mesure", "id"))
def update_decided(data, _mount):
    """The two figures on the dossiers decided in the period: outcome and processing time by contract."""
    f = filters_of(data)
    return (*_outcome(f), *_delay(f))


def _outcome(f) -> tuple:
    rates = decisions.rates_by(f, "contract")
    fig = dossier_figures.hbars(rates, "label", OUTCOME_LABELS, axis_title="Dossiers décidés")
    table = table_of(rates, {
        "Type de contrat": "label", "Décisions": "decided", **{new: old for old, new in OUTCOME_LABELS.items()},
        "Taux de refus (%)": rates.refusal_rate * 100, "Refus, borne basse (%)": rates.refusal_low * 100,
        "Refus, borne haute (%)": rates.refusal_high * 100, "Taux de sans suite (%)": rates.sans_suite_rate * 100})
    return figure_values(fig, table, f"{SOURCE}, dossiers par date de décision")


def _delay(f) -> tuple:
    frame = delays.processing_by(f, "contract", "working", "decision")
    fig = dossier_figures.duration_bars(frame, "label", axis_title="Délai (jours ouvrés)")
    table = table_of(frame, {DELAY_HEADINGS.get(c, c): c for c in frame.columns if c != "key"})
    return figure_values(fig, table, f"{SOURCE}, délais en jours ouvrés")


def _categories(types, current: str | None) -> tuple:
    options = [{"label": label, "value": key} for key, label in zip(types.key.fillna(""), types.label, strict=True)]
    values = [o["value"] for o in options]
    return options, current if current in values else (values[0] if values else None)


@cached_callback(*figure_outputs(NATIONALITIES), Input("filters", "data"), Input("contrats-categorie", "value"))
def update_nationalities(data, category):
    f = filters_of(data)
    top = contracts.top_nationalities(f, TOP_NATIONALITIES)
    chosen = top[top.contract.fillna("") == (category or "")]
    fig = dossier_figures.hbars(chosen, "label", "share", axis_title="Part des dossiers du type de contrat", pct=True)
    table = table_of(chosen, {"Nationalité": "label", "Rang": "rank", "Dossiers": "dossiers",
                              "Part (%)": chosen.share * 100, "Type de contrat": "contract_label"})
    return figure_values(fig, table, f"{SOURCE}, champ « Nationalité »")
