"""Décisions: refusal and "sans suite" rates with Wilson intervals, by month, department (funnel), contract,
nationality."""

import math

import dash
from dash import Input, Output, dcc, html

from components import dossier_figures
from components import format as fmt
from components.dossier_figures import SOURCE, SUPPRESSED, Card, compared_cards, filters_of, month_labels, table_of
from components.figure import figure_block, figure_outputs, figure_values
from components.memo import cached_callback
from metrics import decisions
from metrics.stats import funnel_limits

dash.register_page(__name__, path="/decisions", name="Décisions", title="Décisions — WIF statistiques", order=4)

OUTCOME_CHOICES = {"refuse": "Refus", "sans_suite": "Classement sans suite"}
RATE_NAMES = {"refuse": "Taux de refus", "sans_suite": "Taux de classement sans suite"}
PREFIX = {"refuse": "refusal", "sans_suite": "sans_suite"}     # column prefix in metrics.decisions frames
MONTHLY, FUNNEL, BY_CONTRACT, BY_NATIONALITY = ("decisions-mois", "decisions-departements", "decisions-contrats",
                                                "decisions-nationalites")
TOP_NATIONALITIES = 15
BREAKDOWNS = ("month", "contract")   # decisions.rates_by of this page from decisions_daily (decision_figures)
POSITION_LABELS = {**decisions.POSITIONS, None: "moins de 5 dossiers"}
RATE_TABLE = {"decided": "Décisions", "acceptes": "Acceptés", "refuses": "Refusés", "sans_suite": "Classés sans suite"}


def layout(**_query):
    return html.Div(id="page-decisions", children=[
        *dossier_figures.page_header("Décisions", "Acceptations, refus et classements sans suite des dossiers "
                                     "décidés pendant la période.", "decisions"),
        dcc.Loading(html.Div(id="decisions-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        html.P(["Taux de refus = refusés / (acceptés + refusés + classés sans suite) parmi les dossiers décidés "
                "pendant la période ; de même pour le classement sans suite. L'intervalle de confiance à 95 % "
                "(méthode de Wilson) donne la marge due au petit nombre de dossiers. ", SUPPRESSED],
               className="fr-text--sm"),
        dossier_figures.segmented("decisions-issue", "Décision étudiée", OUTCOME_CHOICES, "refuse"),
        figure_block(MONTHLY, "Taux par mois de décision",
                     "Clé de lecture : la ligne donne le taux du mois, la bande bleue son intervalle de confiance à "
                     "95 %, la ligne pointillée le taux de toute la période. " + SUPPRESSED),
        figure_block(FUNNEL, "Départements comparés au taux national",
                     "Clé de lecture : chaque point est un département, placé selon son nombre de décisions et son "
                     "taux ; en rouge, les départements sortis de l'entonnoir à 95 %, dont le taux s'écarte du taux "
                     "national au-delà de ce que le hasard explique. Le tableau les classe du plus au moins élevé."),
        figure_block(BY_CONTRACT, "Taux par type de contrat",
                     "Clé de lecture : taux de chaque type de contrat avec son intervalle de confiance à 95 % "
                     "(trait) ; la ligne rouge est le taux de l'ensemble. " + SUPPRESSED),
        figure_block(BY_NATIONALITY, "Taux par nationalité",
                     f"Clé de lecture : taux des {TOP_NATIONALITIES} nationalités comptant le plus de décisions, "
                     "avec leur intervalle de confiance à 95 % ; le tableau donne toutes les nationalités. "
                     + SUPPRESSED),
    ])


def _interval(row, prefix: str) -> str:
    if fmt.is_missing(row[f"{prefix}_rate"]):
        return f"Moins de 5 décisions ({fmt.fmt_int(row.decided)}) : taux non calculé."
    return (f"Intervalle de confiance à 95 % : {fmt.fmt_pct(row[f'{prefix}_low'])} – "
            f"{fmt.fmt_pct(row[f'{prefix}_high'])}.")


CARDS = [
    Card("decides", "Dossiers décidés", "decided", "count",
         "Acceptés, refusés ou classés sans suite pendant la période."),
    Card("acceptes", "Dossiers acceptés", "acceptes", "count", "Autorisations accordées pendant la période."),
    Card("refus", "Taux de refus", "refusal_rate", "rate", lambda now: _interval(now, "refusal")),
    Card("sans-suite", "Taux de classement sans suite", "sans_suite_rate", "rate",
         lambda now: _interval(now, "sans_suite")),
]


@cached_callback(Output("decisions-kpis", "children"), Output("decisions-period", "children"),
                 Input("filters", "data"), Input("decisions-issue", "id"))
def update_indicators(data, _mount):
    f = filters_of(data)
    figures = decisions.decision_figures(f, BREAKDOWNS)
    return compared_cards("decisions", f, figures["now"].iloc[0], figures["previous"].iloc[0], CARDS)


def _rates_table(frame, heading: str, label: str = "label"):
    """Counts and both rates with their bounds, rates in %; "—" where fewer than 5 decisions."""
    names = {}
    for outcome, prefix in PREFIX.items():
        short = "refus" if outcome == "refuse" else "sans suite"
        names |= {f"{prefix}_rate": f"Taux de {short} (%)", f"{prefix}_low": f"{short.capitalize()}, borne basse (%)",
                  f"{prefix}_high": f"{short.capitalize()}, borne haute (%)"}
    return table_of(frame, {heading: label, **{new: old for old, new in RATE_TABLE.items()},
                            **{new: frame[old] * 100 for old, new in names.items()}})


@cached_callback(*figure_outputs(MONTHLY), *figure_outputs(FUNNEL), *figure_outputs(BY_CONTRACT),
                 *figure_outputs(BY_NATIONALITY), Input("filters", "data"), Input("decisions-issue", "value"))
def update_figures(data, outcome):
    """Every figure of the page: months and contracts from the query of the indicators
    (``decisions.decision_figures``), the funnel and the nationalities from their own."""
    f = filters_of(data)
    figures = decisions.decision_figures(f, BREAKDOWNS)
    overall = figures["now"][f"{PREFIX[outcome]}_rate"].iloc[0]
    return (*_monthly(figures["month"], outcome, overall), *_funnel(f, outcome),
            *_bars(figures["contract"], outcome, overall, "Type de contrat"),
            *_bars(decisions.rates_by(f, "nationality"), outcome, overall, "Nationalité", top=TOP_NATIONALITIES))


def _monthly(months, outcome: str, overall: float) -> tuple:
    prefix = PREFIX[outcome]
    fig = dossier_figures.rate_over_time(months, "key", f"{prefix}_rate", f"{prefix}_low", f"{prefix}_high",
                                         name=RATE_NAMES[outcome], reference=overall)
    dossier_figures.month_axis(fig, len(months))
    table = _rates_table(months.assign(label=month_labels(months.key)), "Mois")
    return figure_values(fig, table, f"{SOURCE}, dossiers par date de décision")


def _funnel(f, outcome: str) -> tuple:
    funnel = decisions.departement_funnel(f, outcome)
    rated = funnel[funnel.rate.notna()]
    limits = (funnel_limits(rated.national_rate.iloc[0], math.ceil(rated.decided.max() * 1.3),
                            math.floor(rated.decided.min() * 0.7)) if len(rated) else None)
    fig = dossier_figures.funnel_plot(funnel, limits, name=RATE_NAMES[outcome])
    table = table_of(funnel, {
        "Rang": range(1, len(funnel) + 1), "Département": "label", "Décisions": "decided",
        OUTCOME_CHOICES[outcome]: "events", "Taux (%)": funnel.rate * 100, "Borne basse (%)": funnel.low * 100,
        "Borne haute (%)": funnel.high * 100, "Taux national (%)": funnel.national_rate * 100,
        "Écart réduit (z)": "z", "Position": funnel.position.map(POSITION_LABELS)})
    return figure_values(fig, table, f"{SOURCE}, dossiers par date de décision")


def _bars(frame, outcome: str, overall: float, heading: str, top: int | None = None) -> tuple:
    prefix = PREFIX[outcome]
    shown = frame.head(top) if top else frame
    fig = dossier_figures.rate_bars(shown, "label", f"{prefix}_rate", f"{prefix}_low", f"{prefix}_high",
                                    name=RATE_NAMES[outcome], reference=overall)
    return figure_values(fig, _rates_table(frame, heading), f"{SOURCE}, dossiers par date de décision")
