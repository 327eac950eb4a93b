"""Statistiques publiques: the open page of key figures, in the spirit of a beta.gouv ``/stats`` page.

Independent of the internal pages by design, so it stays open when they require a login: it never reads the
global ``filters`` store (the figures cover a fixed window, see ``metrics.public``), its callbacks only take its
own ``stats-`` components as inputs, it calls ``metrics.public`` only (secrecy applied in SQL) and links to no
internal page. Aggregates only: no dossier number, cells under 5 dossiers masked ("—").
"""

import dash
import pandas as pd
from dash import Input, Output, callback, dcc, html

from components import charts, plain
from components import format as fmt
from components.dossier_figures import hbars
from components.figure import figure_block, figure_outputs, figure_values, to_csv
from components.kpi import kpi_card
from components.memo import cached_callback
from metrics import public

dash.register_page(__name__, path="/statistiques", name="Statistiques publiques",
                   title="Statistiques publiques — Work in France", order=11)

SOURCE = "Démarches Simplifiées, traitement WIF stats ; « — » : donnée masquée (secret statistique)"
SECRECY = ("Pour protéger les personnes, tout nombre inférieur à 5 dossiers est masqué (« — »), ainsi que toute "
           "valeur qui permettrait de le retrouver par différence avec un total publié ; les délais ne sont "
           "calculés qu'à partir de 5 dossiers.")
MONTHLY, DELAYS, STATUS = "stats-mois", "stats-delais", "stats-etats"
DEPARTEMENTS, NATIONALITIES, VISITS = "stats-departements", "stats-nationalites", "stats-visites"


def layout(**_query):
    return html.Div(id="page-statistiques", children=[
        dcc.Store(id="stats-load", data="public"),
        html.H1("Work in France en chiffres", className="fr-mt-4w fr-mb-1w"),
        html.P("Statistiques publiques du service de demande d'autorisation provisoire de travail (APT) pour les "
               "étudiants étrangers et leurs employeurs.", className="fr-text--lead fr-mb-1w"),
        html.P(id="stats-period", className="fr-text--sm fr-mb-3w"),
        dcc.Loading(html.Div(id="stats-kpis", className="wif-kpis fr-mb-4w"), type="dot", color="#000091",
                    delay_show=300),
        figure_block(MONTHLY, "Dossiers déposés et acceptés par mois",
                     "Clé de lecture : dossiers déposés dans le mois (date de dépôt) et dossiers acceptés dans le "
                     "mois (date de décision)."),
        figure_block(DELAYS, "Délai médian de traitement par mois",
                     "Clé de lecture : la moitié des dossiers décidés dans le mois l'ont été en moins de ce délai, "
                     "compté en jours ouvrés du dépôt à la décision."),
        figure_block(STATUS, "État des dossiers déposés sur 12 mois",
                     "Clé de lecture : répartition des dossiers déposés sur la période selon leur état à la date "
                     "des données."),
        figure_block(DEPARTEMENTS, "Dossiers déposés par département",
                     "Clé de lecture : dossiers déposés sur la période auprès de chaque unité départementale."),
        figure_block(NATIONALITIES, f"Les {public.TOP_NATIONALITIES} nationalités les plus représentées",
                     "Clé de lecture : nationalité des demandeurs des dossiers déposés sur la période ; seules les "
                     "nationalités d'au moins 5 dossiers sont classées."),
        figure_block(VISITS, "Visites du site par mois",
                     "Clé de lecture : visites du site Work in France dans le mois (mesure d'audience Matomo, "
                     "sans cookie ni donnée personnelle)."),
        html.Section(className="fr-mt-6w", **{"aria-labelledby": "stats-method-title"}, children=[
            html.H2("Méthode et données", id="stats-method-title", className="fr-h4"),
            html.Ul(className="fr-text--sm", children=[
                html.Li("Période : les 12 derniers mois couverts par les données, le dernier mois pouvant être "
                        "incomplet."),
                html.Li("Délai de traitement : jours ouvrés (hors samedis, dimanches et jours fériés) entre le "
                        "dépôt du dossier et la décision."),
                html.Li(SECRECY),
                html.Li("Aucune donnée nominative n'est collectée ni publiée."),
            ]),
            html.Button("Télécharger les données (CSV)", id="stats-csv-button", type="button",
                        className="fr-btn fr-btn--secondary fr-btn--icon-left fr-icon-download-line",
                        title="Télécharger toutes les données de la page (CSV, séparateur point-virgule)"),
            dcc.Download(id="stats-csv"),
        ]),
    ])


def _months(frame: pd.DataFrame) -> pd.Series:
    return frame.month.dt.to_period("M")


@cached_callback(Output("stats-kpis", "children"), Output("stats-period", "children"), Input("stats-load", "data"))
def update_kpis(_load):
    f = public.window()
    row = public.summary().iloc[0]
    period = f"Chiffres {fmt.fmt_period(f.start, f.end)}, toutes unités départementales confondues."
    cards = [
        kpi_card("Dossiers déposés", fmt.fmt_int(row.deposes), id="stats-kpi-deposes", help="Sur les 12 mois."),
        kpi_card("Dossiers acceptés", fmt.fmt_int(row.acceptes), id="stats-kpi-acceptes",
                 help="Autorisations accordées sur les 12 mois."),
        kpi_card("Délai médian de traitement", fmt.fmt_days(row.median_days), id="stats-kpi-delai",
                 help="En jours ouvrés, du dépôt à la décision, pour les dossiers décidés sur les 12 mois."),
        kpi_card("Dossiers déposés depuis le lancement", fmt.fmt_int(row.deposes_total), id="stats-kpi-total",
                 help=f"Depuis le {fmt.fmt_date(pd.Timestamp(row.since).date())}, dont "
                      f"{fmt.fmt_int(row.acceptes_total)} acceptés."),
    ]
    return cards, period


@cached_callback(*figure_outputs(MONTHLY), Input("stats-load", "data"))
def update_monthly(_load):
    frame = public.monthly()
    tidy = frame.melt(id_vars=["month"], value_vars=["deposes", "acceptes"], var_name="serie", value_name="dossiers")
    tidy["série"] = tidy.serie.map({"deposes": "Déposés", "acceptes": "Acceptés"})
    fig = charts.bar(tidy.dropna(subset=["dossiers"]), "month", "dossiers", "série", y_title="Dossiers")
    plain.axis(fig, "x", tickformat="%b %Y", dtick="M1", title={"text": None})
    table = pd.DataFrame({"Mois": _months(frame), "Dossiers déposés": frame.deposes,
                          "Dossiers acceptés": frame.acceptes, "Mois complet": frame.complete})
    return figure_values(fig, table, SOURCE)


@cached_callback(*figure_outputs(DELAYS), Input("stats-load", "data"))
def update_delays(_load):
    frame = public.monthly()
    fig = charts.line(frame, "month", "median_days", value="days", markers=True, y_title="Délai médian (jours ouvrés)")
    plain.axis(fig, "x", tickformat="%b %Y", dtick="M1", title={"text": None})
    table = pd.DataFrame({"Mois": _months(frame), "Délai médian (jours ouvrés)": frame.median_days})
    return figure_values(fig, table, SOURCE)


@cached_callback(*figure_outputs(STATUS), Input("stats-load", "data"))
def update_status(_load):
    frame = public.status_mix()
    shown = frame.dropna(subset=["dossiers"])
    fig = charts.donut(shown, "label", "dossiers") if len(shown) else charts.empty_figure()
    table = pd.DataFrame({"État": frame.label, "Dossiers": frame.dossiers, "Part (%)": frame.share * 100})
    return figure_values(fig, table, SOURCE)


@cached_callback(*figure_outputs(DEPARTEMENTS), Input("stats-load", "data"))
def update_departements(_load):
    frame = public.by_departement()
    frame["libellé"] = (frame.departement.fillna("") + " – " + frame.name).str.strip(" –")
    shown = frame.dropna(subset=["dossiers"])
    fig = hbars(shown, "libellé", "dossiers", axis_title="Dossiers déposés")
    table = pd.DataFrame({"Département": frame["libellé"], "Dossiers déposés": frame.dossiers,
                          "Part (%)": frame.share * 100})
    return figure_values(fig, table, SOURCE)


@cached_callback(*figure_outputs(NATIONALITIES), Input("stats-load", "data"))
def update_nationalities(_load):
    frame = public.top_nationalities()
    fig = hbars(frame, "nationality", "dossiers", axis_title="Dossiers déposés")
    table = pd.DataFrame({"Rang": frame["rank"], "Nationalité": frame.nationality, "Dossiers déposés": frame.dossiers,
                          "Part (%)": frame.share * 100})
    return figure_values(fig, table, SOURCE)


@cached_callback(*figure_outputs(VISITS), Input("stats-load", "data"))
def update_visits(_load):
    frame = public.visits_by_month()
    fig = charts.bar(frame, "month", "visits", y_title="Visites")
    plain.axis(fig, "x", tickformat="%b %Y", dtick="M1", title={"text": None})
    table = pd.DataFrame({"Mois": _months(frame), "Visites": frame.visits, "Mois complet": frame.complete})
    return figure_values(fig, table, "Matomo, traitement WIF stats")


CSV_COLUMNS = {"deposes": "dossiers_deposes", "acceptes": "dossiers_acceptes",
               "median_days": "delai_median_jours_ouvres", "deposes_total": "dossiers_deposes_depuis_lancement",
               "acceptes_total": "dossiers_acceptes_depuis_lancement", "dossiers": "dossiers", "share": "part",
               "rank": "rang", "visits": "visites", "complete": "mois_complet"}
COUNT_COLUMNS = ("deposes", "acceptes", "deposes_total", "acceptes_total", "dossiers", "rank", "visits")


def all_data() -> pd.DataFrame:
    """Every table of the page in one frame: ``tableau``, ``libelle`` and the union of their value columns
    (``CSV_COLUMNS``), empty where a table has no such column or a value is masked."""
    month = {"libelle": lambda d: d.month.dt.strftime("%Y-%m")}
    parts = {
        "Chiffres clés sur 12 mois": public.summary().drop(columns="since").assign(libelle="France"),
        "Dossiers par mois": public.monthly().assign(**month).drop(columns="month"),
        "État des dossiers déposés": public.status_mix().drop(columns="state").rename(columns={"label": "libelle"}),
        "Dossiers par département": public.by_departement().assign(
            libelle=lambda d: (d.departement.fillna("") + " " + d["name"]).str.strip()).drop(
            columns=["departement", "name"]),
        "Nationalités": public.top_nationalities().rename(columns={"nationality": "libelle"}),
        "Visites par mois": public.visits_by_month().assign(**month).drop(columns="month"),
    }
    frame = pd.concat([part.assign(tableau=title) for title, part in parts.items()], ignore_index=True)
    frame = frame.astype({c: "Int64" for c in COUNT_COLUMNS}).assign(
        share=frame.share.round(4), complete=frame.complete.map({True: "oui", False: "non"}))
    return frame[["tableau", "libelle", *CSV_COLUMNS]].rename(columns=CSV_COLUMNS)


@callback(Output("stats-csv", "data"), Input("stats-csv-button", "n_clicks"), prevent_initial_call=True)
def download(_clicks):
    f = public.window()
    return dcc.send_string(to_csv(all_data()), f"statistiques-work-in-france-{f.end:%Y-%m-%d}.csv", type="text/csv")
