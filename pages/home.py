"""Accueil: headline indicators of the selected period against the previous one, and links to every page."""

import dash
from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from components import charts
from components import format as fmt
from components.dossier_figures import month_axis
from components.figure import figure_block, figure_outputs, figure_values
from components.kpi import kpi_card
from components.layout import NAV, page_link
from components.memo import cached_callback
from metrics import delays, dossiers, meta
from metrics.filters import Filters

dash.register_page(__name__, path="/", name="Accueil", title="Accueil — WIF statistiques", order=0)

DESCRIPTIONS = {
    "/demarches": "Dossiers déposés par mois, département, public et démarche.",
    "/delais": "Délais de traitement du dépôt à la décision, en jours ouvrés ou calendaires.",
    "/contrats": "Types de contrat et nationalités des demandes.",
    "/decisions": "Acceptations, refus et classements sans suite.",
    "/audience": "Visites du site, appareils, provenance et pages vues.",
    "/parcours": "Étapes du parcours et pages où les visiteurs abandonnent.",
    "/temps-de-demarche": "Temps passé de l'arrivée sur le site au départ vers Démarches Simplifiées.",
    "/rapports": "Rapport mensuel par unité départementale (XLSX, CSV).",
    "/alertes": "Dossiers en souffrance et anomalies de données.",
    "/impact": "Chiffres d'impact du service.",
    "/statistiques": "Page publique de statistiques.",
}
UNITS = (("working", "jours ouvrés"), ("calendar", "jours calendaires"))
MONTHLY = "home-mensuel"


def _explore() -> html.Section:
    groups = [(label, target) for label, target in NAV if not isinstance(target, str)]
    groups.append(("Public", (("Statistiques publiques", "/statistiques"),)))
    return html.Section(className="fr-mt-6w", **{"aria-labelledby": "home-explore-title"}, children=[
        html.H2("Explorer les statistiques", id="home-explore-title", className="fr-h4"),
        html.Div(className="fr-grid-row fr-grid-row--gutters", children=[
            html.Div(className="fr-col-12 fr-col-md-6 fr-col-lg-3", children=html.Div(className="wif-links", children=[
                html.H3(group, className="fr-h6 wif-links__title"),
                html.Ul([html.Li([
                    page_link(path, label, place="home",
                              className="fr-link fr-icon-arrow-right-line fr-link--icon-right"),
                    html.P(DESCRIPTIONS[path], className="fr-text--xs wif-links__desc"),
                ]) for label, path in pages], className="wif-links__list"),
            ]))
            for group, pages in groups
        ]),
    ])


def layout(**_query):
    return html.Div(id="page-home", children=[
        html.H1("Work in France en chiffres", className="fr-mt-4w fr-mb-2w"),
        html.P(id="home-period", className="fr-text--lead fr-mb-3w"),
        html.Fieldset(className="wif-inline-control", children=[
            html.Legend("Délais exprimés en", className="fr-label"),
            dcc.RadioItems(id="home-unit", options=[{"label": label, "value": value} for value, label in UNITS],
                           value="working", inline=True, className="wif-segmented",
                           inputClassName="wif-segmented__input", labelClassName="wif-segmented__label"),
        ]),
        dcc.Loading(html.Div(id="home-kpis", className="wif-kpis"), type="dot", color="#000091", delay_show=300),
        html.Div(figure_block(MONTHLY, "Dossiers déposés par mois",
                              "Clé de lecture : chaque barre compte les dossiers déposés dans le mois ; un mois coupé "
                              "par la période est signalé dans le tableau (« mois complet : non »)."),
                 className="fr-mt-6w"),
        _explore(),
    ])


# ---------------------------------------------------------------- indicators
def _comparison(current, previous, mode: str, formatter, comparable: bool) -> dict:
    if not comparable:
        return {}
    return {"delta": fmt.fmt_delta(current, previous, mode), "previous": formatter(previous)}


def _cards(f: Filters, unit: str, comparable: bool) -> list:
    now, before = dossiers.headlines(f, unit).to_dict("records")
    decided, refusal = now["decided"], now["refusal_rate"]
    if fmt.is_missing(refusal):
        refusal_help = f"Moins de 5 décisions sur la période ({fmt.fmt_int(decided)}) : taux non calculé."
    else:
        refusal_help = (f"{fmt.fmt_int(now['refuses'])} refus sur {fmt.fmt_int(decided)} décisions ; "
                        f"intervalle de confiance à 95{fmt.UNIT}% : {fmt.fmt_pct(now['refusal_low'])} – "
                        f"{fmt.fmt_pct(now['refusal_high'])}.")
    return [
        kpi_card("Dossiers déposés", fmt.fmt_int(now["deposes"]), id="home-kpi-deposes",
                 help="Dossiers déposés sur Démarches Simplifiées pendant la période, quel que soit leur état.",
                 **_comparison(now["deposes"], before["deposes"], "relative", fmt.fmt_int, comparable)),
        kpi_card("Délai médian de traitement", fmt.fmt_days(now["delay_median"]), id="home-kpi-delai",
                 help=f"Du dépôt à la décision, en {delays.UNITS[unit]}, pour les "
                      f"{fmt.fmt_int(now['delay_n'])} dossiers décidés pendant la période.",
                 **_comparison(now["delay_median"], before["delay_median"], "days", fmt.fmt_days, comparable)),
        kpi_card("Taux de refus", fmt.fmt_pct(refusal), id="home-kpi-refus", help=refusal_help,
                 **_comparison(refusal, before["refusal_rate"], "points", fmt.fmt_pct, comparable)),
        kpi_card("Visites", fmt.fmt_int(now["visits"]), id="home-kpi-visites",
                 help=_visits_help(f, now["purged_days"]),
                 **_comparison(now["visits"], before["visits"], "relative", fmt.fmt_int, comparable)),
    ]


def _visits_help(f: Filters, purged_days: int) -> str:
    text = "Visites du site Work in France (Matomo) ; le filtre « type de contrat » ne s'y applique pas."
    if purged_days:
        days = f"{fmt.fmt_int(purged_days)} jour{'s' if purged_days > 1 else ''}"
        if f.departements or f.audience:
            text += (f" {days} sans journal détaillé (purgé) : leurs visites, connues seulement en total, "
                     "ne sont pas comptées sous un filtre département ou public.")
        else:
            text += f" {days} sans journal détaillé (purgé), comptés d'après les totaux quotidiens."
    return text


def _period_text(f: Filters, data_start) -> tuple[str, bool]:
    """Sentence describing the period and its comparison; whether a previous period exists in the data."""
    prev = f.previous()
    text = f"Période {fmt.fmt_period(f.start, f.end)}"
    if data_start is None or prev.end < data_start:
        return text + " ; aucune donnée pour la période précédente, pas de comparaison.", False
    text += f", comparée à la période précédente de même durée ({fmt.fmt_period(prev.start, prev.end)})"
    if prev.start < data_start:
        text += f", que les données ne couvrent qu'à partir du {fmt.fmt_date(data_start)}"
    return text + ".", True


@cached_callback(
    Output("home-kpis", "children"), Output("home-period", "children"),
    Input("filters", "data"), Input("home-unit", "value"),
)
def update_indicators(data, unit):
    if not data:
        raise PreventUpdate
    f = Filters.from_store(data)
    text, comparable = _period_text(f, meta.freshness().data_start)
    return _cards(f, unit, comparable), text


@cached_callback(*figure_outputs(MONTHLY), Input("filters", "data"), Input("home-unit", "id"))
def update_monthly(data, _mount):
    if not data:
        raise PreventUpdate
    months = dossiers.deposits_over_time(Filters.from_store(data), "month")
    fig = charts.bar(months, "periode", "total", y_title="Dossiers déposés", x_title="Mois de dépôt")
    month_axis(fig, len(months))
    table = months.assign(periode=months.periode.dt.to_period("M")).rename(
        columns={"periode": "Mois", "total": "Dossiers déposés", "complete": "Mois complet"},
    )[["Mois", "Dossiers déposés", "Mois complet"]]
    return figure_values(fig, table, "Démarches Simplifiées, dossiers par date de dépôt")
