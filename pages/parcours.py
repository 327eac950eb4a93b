"""Parcours: the WIF funnel, where visits are lost, the pages to improve first, main paths and ineligibility."""


import dash
from dash import Input, Output, dcc, html

from components import audience_figures as af
from components import charts, dossier_figures
from components import format as fmt
from components.audience_figures import SOURCE, Indicator
from components.dossier_figures import filters_of, percent
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
                 Output("parcours-notices", "children"), Input("filters", "data"), MOUNT)
def update_indicators(data, _mount):
    return af.indicator_panel("parcours", filters_of(data), journey.journey_summary, INDICATORS, totals=False)


@cached_callback(*figure_outputs(FUNNEL), Input("filters", "data"), MOUNT)
def update_funnel(data, _mount):
    funnel = journey.funnel(filters_of(data))
    table = percent(funnel, {"conversion": "Depuis l'étape précédente (%)", "overall": "Depuis l'accueil (%)"})
    table["Source"] = table.source.map({"site": "Visites (Matomo)", "ds": "Dossiers (Démarches Simplifiées)"})
    table = table.rename(columns={"label": "Étape", "count": "Nombre", "drop": "Perte depuis l'étape précédente"})
    columns = ["Étape", "Source", "Nombre", "Depuis l'étape précédente (%)", "Perte depuis l'étape précédente",
               "Depuis l'accueil (%)"]
    return figure_values(af.funnel_figure(funnel), table[columns],
                         f"{SOURCE} ; Démarches Simplifiées, dossiers déposés pendant la période (tous contrats)")


@cached_callback(*figure_outputs(FUNNEL_BY), Input("filters", "data"), Input("parcours-by", "value"))
def update_funnel_by(data, by):
    groups = journey.funnel_by(filters_of(data), by)
    shown = groups[groups.checklist > 0].sort_values(["checklist", "label"], ascending=[False, True]).head(TOP_GROUPS)
    fig = dossier_figures.hbars(shown, "label", "ds_rate", axis_title="Part des visites de la liste des pièces "
                                "parties vers Démarches Simplifiées", pct=True)
    table = percent(groups, {"checklist_rate": "Accueil → liste des pièces (%)",
                             "ds_rate": "Liste des pièces → clic DS (%)", "deposit_ratio": "Dossiers / clics DS (%)"})
    table = table.rename(columns={"label": BY[by], "accueil": "Visites du parcours", "checklist": "Liste des pièces",
                                  "depart_ds": "Clics vers DS", "deposes": "Dossiers déposés",
                                  "instruits": "Dossiers instruits", "decides": "Dossiers décidés"})
    columns = [BY[by], "Visites du parcours", "Liste des pièces", "Clics vers DS", "Accueil → liste des pièces (%)",
               "Liste des pièces → clic DS (%)"]
    if by == "departement":
        columns += ["Dossiers déposés", "Dossiers instruits", "Dossiers décidés", "Dossiers / clics DS (%)"]
    return figure_values(fig, table[columns], SOURCE if by == "device" else f"{SOURCE} ; Démarches Simplifiées")


@cached_callback(Output("parcours-priorite-liste", "children"), *figure_outputs(PRIORITY), Input("filters", "data"),
                 MOUNT)
def update_priority(data, _mount):
    priority = journey.priority(filters_of(data))
    table = percent(priority, {"lost_rate": "Taux de perte (%)", "baseline": "Taux de perte du groupe (%)",
                               "prev_lost_rate": "Taux de perte, période précédente (%)",
                               "score_change": "Évolution du score (%)"})
    table["Groupe"] = table.grp.map(journey.GROUP_LABELS)
    table = table.rename(columns={"rank": "Rang", "label": "Page", "visits": "Visites", "lost": "Visites perdues",
                                  "loss_index": "Indice de perte", "score": "Score", "prev_score":
                                  "Score, période précédente", "prev_rank": "Rang, période précédente"})
    columns = ["Rang", "Page", "Groupe", "Visites", "Visites perdues", "Taux de perte (%)",
               "Taux de perte du groupe (%)", "Indice de perte", "Score", "Score, période précédente",
               "Évolution du score (%)", "Rang, période précédente", "Taux de perte, période précédente (%)"]
    return (af.priority_list(priority, TOP_PRIORITY),
            *figure_values(af.score_bars(priority), table[columns], SOURCE))


@cached_callback(*figure_outputs(PAGES), Input("filters", "data"), MOUNT)
def update_pages(data, _mount):
    pages = journey.page_table(filters_of(data))
    table = percent(pages, {"exit_rate": "Taux de sortie (%)", "ds_after_rate": "Parties ensuite vers DS (%)",
                            "lost_rate": "Taux de perte (%)"})
    table = table.rename(columns={
        "label": "Page", "visits": "Visites", "pageviews": "Pages vues", "entries": "Entrées", "exits": "Sorties",
        "avg_time_s": "Temps moyen sur la page (s)", "exits_ds": "Sorties après départ DS",
        "exits_ineligible": "Sorties non éligibles", "lost": "Visites perdues"})
    columns = ["Page", "Visites", "Pages vues", "Entrées", "Sorties", "Taux de sortie (%)",
               "Temps moyen sur la page (s)", "Parties ensuite vers DS (%)", "Sorties après départ DS",
               "Sorties non éligibles", "Visites perdues", "Taux de perte (%)"]
    return figure_values(af.exits_bars(pages), table[columns], SOURCE)


@cached_callback(*figure_outputs(PATHS), Input("filters", "data"), MOUNT)
def update_paths(data, _mount):
    f = filters_of(data)
    paths = journey.paths(f)
    table = percent(paths, {"share": "Part (%)"}).rename(columns={
        "rank": "Rang", "path_label": "Chemin", "visits": "Visites", "reached_ds": "Départ vers DS"})
    return figure_values(af.sankey_figure(journey.transitions(f)),
                         table[["Rang", "Chemin", "Visites", "Part (%)", "Départ vers DS"]], SOURCE)


@cached_callback(*figure_outputs(INELIGIBLE), Input("filters", "data"), MOUNT)
def update_ineligible(data, _mount):
    by_dep = journey.ineligibility_by_departement(filters_of(data))
    by_dep["Département"] = (by_dep.departement.fillna("—") + " – " + by_dep.name).where(
        by_dep.departement.notna(), "Non renseigné")
    by_dep["after_opening"] = by_dep.visits - by_dep.before_opening
    moments = {"before_opening": "Avant l'ouverture du département", "after_opening": "Après l'ouverture"}
    fig = (dossier_figures.hbars(by_dep.head(TOP_GROUPS), "Département", moments, axis_title="Visites",
                                 grey=("Après l'ouverture",)) if len(by_dep) else charts.empty_figure())
    table = percent(by_dep, {"share": "Part (%)"}).rename(columns={
        "visits": "Visites", "before_opening": "Avant l'ouverture", "first_deposit": "Premier dossier déposé"})
    return figure_values(fig, table[["Département", "Visites", "Part (%)", "Avant l'ouverture",
                                     "Premier dossier déposé"]], f"{SOURCE} ; Démarches Simplifiées (ouverture)")
