"""Parcours: the WIF funnel, where visits are lost, the pages to improve first, main paths and ineligibility."""


import dash
from dash import Input, Output, dcc, html

from components import audience_figures as af
from components import charts, dossier_figures
from components import format as fmt
from components.audience_figures import SOURCE, Indicator
from components.dossier_figures import filters_of, table_of
from components.figure import figure_block, figure_outputs, figure_values
from components.memo import cached_callback
from metrics import journey

dash.register_page(__name__, path="/parcours", name="Parcours", title="Parcours — WIF statistiques", order=6)

BY = {"departement": "Département", "device": "Appareil"}
FUNNEL, FUNNEL_BY, PRIORITY = "parcours-entonnoir", "parcours-ventilation", "parcours-priorite"
PAGES, PATHS, INELIGIBLE = "parcours-pages", "parcours-chemins", "parcours-non-eligibles"
MOUNT = Input("parcours-by", "id")
TOP_PRIORITY, TOP_GROUPS = 5, 20
INDICATORS = [
    Indicator("parcours", "Visites entrées dans le parcours", "journey_visits", fmt.fmt_int, "relative",
              "Visites passées par l'accueil, une page étudiant ou employeur, ou un départ vers Démarches "
              "Simplifiées."),
    Indicator("departs", "Départs vers Démarches Simplifiées", "departures", fmt.fmt_int, "relative",
              lambda now: f"Visites ayant cliqué sur « Je finalise ma demande sur Démarches Simplifiées » : "
                          f"{fmt.fmt_pct(now.departure_rate)} des visites entrées dans le parcours."),
    Indicator("perdues", "Visites perdues", "lost", fmt.fmt_int, "relative",
              lambda now: f"Visites terminées sans départ vers Démarches Simplifiées, hors page « département non "
                          f"couvert » : {fmt.fmt_pct(now.lost_share)} des visites."),
    Indicator("non-eligibles", "Visites « département non couvert »", "ineligible", fmt.fmt_int, "relative",
              "Visites arrivées sur la page indiquant que le département n'est pas encore ouvert au service."),
]


def _definitions() -> html.Div:
    return html.Div(className="fr-callout fr-mb-4w", id="parcours-definition", children=[
        html.H3("Comment le score est calculé", className="fr-callout__title fr-h6"),
        html.P(journey.SCORE_DEFINITION, className="fr-text--sm fr-mb-0"),
    ])


def layout(**_query):
    return html.Div(id="page-parcours", children=[
        *dossier_figures.page_header("Parcours", "Où les visiteurs abandonnent leur démarche et quelles pages "
                                     "améliorer en priorité.", "parcours"),
        html.Div(id="parcours-notices"),
        dcc.Loading(html.Div(id="parcours-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        figure_block(FUNNEL, "Du site Work in France à la décision",
                     "Clé de lecture : nombre de visites du site ayant atteint chaque étape ou une étape suivante, "
                     "puis dossiers déposés pendant la période et leur avancement. Aucune donnée ne relie une visite "
                     "à un dossier : le passage du clic au dépôt rapproche deux comptages (il peut dépasser 100 %)."),
        dossier_figures.segmented("parcours-by", "Ventiler par", BY, "departement"),
        figure_block(FUNNEL_BY, "Passage vers Démarches Simplifiées par département ou appareil",
                     "Clé de lecture : part des visites de la page étudiant ou employeur qui cliquent vers Démarches "
                     "Simplifiées. Le département n'est connu qu'après l'accueil (il est porté par l'adresse de la "
                     "page suivante) : par département, le passage accueil → liste des pièces n'est pas mesurable."),
        html.H2("Pages à améliorer en priorité", className="fr-h3 fr-mt-6w", id="parcours-priorite-titre"),
        _definitions(),
        dcc.Loading(html.Div(id="parcours-priorite-liste"), type="dot", color="#000091", delay_show=300),
        figure_block(PRIORITY, "Score de priorité des pages",
                     "Clé de lecture : plus la barre est longue, plus la page est prioritaire ; le losange rouge "
                     "est le score de la période précédente de même durée."),
        figure_block(PAGES, "Comment les visites se terminent, page par page",
                     "Clé de lecture : visites terminées sur chaque page, selon qu'elles sont perdues, non éligibles "
                     "(département non couvert) ou parties vers Démarches Simplifiées. Le tableau donne pour chaque "
                     "page visites, entrées, sorties, temps moyen et part des visites parties ensuite vers "
                     "Démarches Simplifiées."),
        figure_block(PATHS, "Principaux chemins dans le site",
                     f"Clé de lecture : chaque bande suit des visites d'une page à la suivante (pages répétées "
                     f"fusionnées, {journey.MAX_PATH_STEPS} pages au plus) jusqu'au départ vers Démarches "
                     "Simplifiées (vert) ou à la sortie du site (rouge) ; les chemins moins fréquents sont "
                     "regroupés en « Autres parcours »."),
        figure_block(INELIGIBLE, "Demande dans les départements non couverts",
                     "Clé de lecture : visites arrivées sur la page « département non couvert » pour chaque "
                     "département demandé, et combien avant l'ouverture du service dans ce département "
                     "(premier dossier déposé)."),
    ])


@cached_callback(Output("parcours-kpis", "children"), Output("parcours-period", "children"),
                 Output("parcours-notices", "children"), Output("parcours-priorite-liste", "children"),
                 *figure_outputs(PRIORITY), *figure_outputs(PAGES), *figure_outputs(PATHS),
                 *figure_outputs(INELIGIBLE), Input("filters", "data"), MOUNT)
def update_blocks(data, _mount):
    """Every block but the funnels (those follow the breakdown too), in one answer."""
    f = filters_of(data)
    return (*_indicator_values(f), *_pages_values(f), *_paths_values(f), *_ineligible_values(f))


def _indicator_values(f) -> tuple:
    summaries = journey.journey_summaries(f)
    now, before = summaries.iloc[0], summaries.iloc[1]
    cards, period = af.compared_cards("parcours", f, now, before, INDICATORS)
    return cards, period, af.source_notices(f, int(now.purged_days), int(now.purged_visits), totals=False)


@cached_callback(*figure_outputs(FUNNEL), *figure_outputs(FUNNEL_BY), Input("filters", "data"),
                 Input("parcours-by", "value"))
def update_funnels(data, by):
    """The funnel and its breakdown (the funnel sums the department breakdown: one count for both)."""
    f = filters_of(data)
    return (*_funnel_values(journey.funnel(f)), *_funnel_by_values(journey.funnel_by(f, by), by))


def _funnel_values(funnel) -> tuple:
    table = table_of(funnel, {
        "Étape": "label",
        "Source": funnel.source.map({"site": "Visites (Matomo)", "ds": "Dossiers (Démarches Simplifiées)"}),
        "Nombre": "count", "Depuis l'étape précédente (%)": funnel.conversion * 100,
        "Perte depuis l'étape précédente": "drop", "Depuis l'accueil (%)": funnel.overall * 100})
    return figure_values(af.funnel_figure(funnel), table,
                         f"{SOURCE} ; Démarches Simplifiées, dossiers déposés pendant la période (tous contrats)")


def _funnel_by_values(groups, by: str) -> tuple:
    shown = groups[groups.checklist > 0].sort_values(["checklist", "label"], ascending=[False, True]).head(TOP_GROUPS)
    fig = dossier_figures.hbars(shown, "label", "ds_rate", axis_title="Part des visites de la liste des pièces "
                                "parties vers Démarches Simplifiées", pct=True)
    columns = {BY[by]: "label", "Visites du parcours": "accueil", "Liste des pièces": "checklist",
               "Clics vers DS": "depart_ds", "Accueil → liste des pièces (%)": groups.checklist_rate * 100,
               "Liste des pièces → clic DS (%)": groups.ds_rate * 100}
    if by == "departement":
        columns |= {"Dossiers déposés": "deposes", "Dossiers instruits": "instruits", "Dossiers décidés": "decides",
                    "Dossiers / clics DS (%)": groups.deposit_ratio * 100}
    return figure_values(fig, table_of(groups, columns),
                         SOURCE if by == "device" else f"{SOURCE} ; Démarches Simplifiées")


def _pages_values(f) -> tuple:
    """The priority list and scores, and the page table (both from the pages' counts of the two periods)."""
    priority, pages = journey.priority(f), journey.page_table(f)
    table = table_of(priority, {
        "Rang": "rank", "Page": "label", "Groupe": priority.grp.map(journey.GROUP_LABELS), "Visites": "visits",
        "Visites perdues": "lost", "Taux de perte (%)": priority.lost_rate * 100,
        "Taux de perte du groupe (%)": priority.baseline * 100, "Indice de perte": "loss_index", "Score": "score",
        "Score, période précédente": "prev_score", "Évolution du score (%)": priority.score_change * 100,
        "Rang, période précédente": "prev_rank",
        "Taux de perte, période précédente (%)": priority.prev_lost_rate * 100})
    page_table = table_of(pages, {
        "Page": "label", "Visites": "visits", "Pages vues": "pageviews", "Entrées": "entries", "Sorties": "exits",
        "Taux de sortie (%)": pages.exit_rate * 100, "Temps moyen sur la page (s)": "avg_time_s",
        "Parties ensuite vers DS (%)": pages.ds_after_rate * 100, "Sorties après départ DS": "exits_ds",
        "Sorties non éligibles": "exits_ineligible", "Visites perdues": "lost",
        "Taux de perte (%)": pages.lost_rate * 100})
    return (af.priority_list(priority, TOP_PRIORITY), *figure_values(af.score_bars(priority), table, SOURCE),
            *figure_values(af.exits_bars(pages), page_table, SOURCE))


def _paths_values(f) -> tuple:
    paths = journey.paths(f)
    table = table_of(paths, {"Rang": "rank", "Chemin": "path_label", "Visites": "visits",
                             "Part (%)": paths.share * 100, "Départ vers DS": "reached_ds"})
    return figure_values(af.sankey_figure(journey.transitions(f)), table, SOURCE)


def _ineligible_values(f) -> tuple:
    by_dep = journey.ineligibility_by_departement(f)
    moments = {"before_opening": "Avant l'ouverture du département", "after_opening": "Après l'ouverture"}
    fig = (dossier_figures.hbars(by_dep.head(TOP_GROUPS), "label", moments, axis_title="Visites",
                                 grey=("Après l'ouverture",)) if len(by_dep) else charts.empty_figure())
    table = table_of(by_dep, {"Département": "label", "Visites": "visits", "Part (%)": by_dep.share * 100,
                              "Avant l'ouverture": "before_opening", "Premier dossier déposé": "first_deposit"})
    return figure_values(fig, table, f"{SOURCE} ; Démarches Simplifiées (ouverture)")
