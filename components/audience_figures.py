"""Figures, indicator cards and texts of the audience pages (Audience, Parcours, Temps de démarche).

Specialised builders on top of the DSFR Plotly template: the WIF funnel, the Sankey of paths, the weekday × hour
heatmap, the minutes histogram; the headline cards of visit metrics (formats beyond the dossier kinds: durations,
decimals); the source notices (purged raw log, contract filter) and the sentence explaining each priority page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
from dash import html

from components import format as fmt
from components import plain, theme
from components.charts import GRAPH_HEIGHT, empty_figure
from components.dossier_figures import has_previous, period_sentence
from components.kpi import kpi_card
from metrics import audience, meta
from metrics.filters import Filters
from metrics.journey import GROUP_LABELS

SOURCE = "Matomo, journal des visites"
DS_COLOR = theme.PALETTE[2]          # menthe: the Démarches Simplifiées half of the funnel
LOST, DEPARTED, INELIGIBLE = theme.RED_MARIANNE, theme.SUCCESS, theme.OTHER_COLOR
TEN_MINUTES = 10
EXIT_KINDS = (("lost", "Visites perdues", LOST), ("exits_ineligible", "Non éligibles", INELIGIBLE),
              ("exits_ds", "Parties vers Démarches Simplifiées", DEPARTED))


# ---------------------------------------------------------------- headline cards
@dataclass(frozen=True)
class Indicator:
    """A headline value of a one-row metric frame: ``column`` shown with ``formatter``, compared with the previous
    period in ``mode`` (``components.format.fmt_delta``); ids ``<prefix>-kpi-<key>[-value|-delta|-previous]``."""

    key: str
    title: str
    column: str
    formatter: Callable[[object], str]
    mode: str
    help: str | Callable[[pd.Series], str]


def decimal(value) -> str:
    """One decimal: ``1,8``."""
    return fmt.fmt_number(value, 1)


def indicator_cards(prefix: str, f: Filters, metric: Callable[[Filters], pd.DataFrame],
                    indicators: list[Indicator]) -> tuple[list, str]:
    """KPI cards of ``metric`` over ``f`` with the previous period, and the period sentence."""
    return compared_cards(prefix, f, metric(f).iloc[0], metric(f.previous()).iloc[0], indicators)


def compared_cards(prefix: str, f: Filters, now: pd.Series, before: pd.Series,
                   indicators: list[Indicator]) -> tuple[list, str]:
    """KPI cards of the row ``now`` of a metric over ``f`` compared with ``before``, its row over ``f.previous()``,
    and the period sentence."""
    comparable = has_previous(f, meta.freshness().data_start)
    cards = []
    for ind in indicators:
        current, previous = now[ind.column], before[ind.column]
        extra = ({"delta": fmt.fmt_delta(current, previous, ind.mode), "previous": ind.formatter(previous)}
                 if comparable else {})
        cards.append(kpi_card(ind.title, ind.formatter(current), id=f"{prefix}-kpi-{ind.key}",
                              help=ind.help(now) if callable(ind.help) else ind.help, **extra))
    return cards, period_sentence(f, comparable)


def indicator_panel(prefix: str, f: Filters, metric: Callable[[Filters], pd.DataFrame],
                    indicators: list[Indicator], *, totals: bool) -> tuple[list, str, list]:
    """KPI cards, period sentence and source notices of a visit page (``source_notices`` for ``totals``)."""
    cards, period = indicator_cards(prefix, f, metric, indicators)
    whole = audience.audience_summary(replace(f, departements=(), audience=None)).iloc[0]
    return cards, period, source_notices(f, int(whole.purged_days), int(whole.report_visits), totals=totals)


# ---------------------------------------------------------------- notices
def source_notices(f: Filters, purged_days: int, purged_visits: int, *, totals: bool) -> list:
    """French notices on what the visit figures of ``f`` cannot include.

    ``purged_days``: days of the period whose raw log is purged, ``purged_visits`` their visits in the daily
    reports; ``totals``: whether the page's totals add those days (audience totals without department/audience
    filter) — breakdowns never can.
    """
    notes = []
    if f.contracts:
        notes.append("Le filtre « type de contrat » ne s'applique pas aux visites : le site ne connaît pas le contrat "
                     "du visiteur. Les chiffres ci-dessous portent sur tous les contrats.")
    if purged_days:
        days = f"{fmt.fmt_int(purged_days)} jour{'s' if purged_days > 1 else ''}"
        head = (f"Le journal détaillé des visites de {days} de la période a été purgé par Matomo "
                f"({fmt.fmt_int(purged_visits)} visites selon ses rapports quotidiens). ")
        if totals and not (f.departements or f.audience):
            notes.append(head + "Les totaux les comptent d'après ces rapports ; les répartitions (sources, appareils, "
                                "régions, horaires, parcours) ne portent que sur les jours au journal complet.")
        else:
            notes.append(head + "Ces visites ne peuvent être ni réparties ni filtrées par département ou public : "
                                "elles ne figurent pas dans les chiffres de cette page.")
    if not notes:
        return []
    return [html.Div(className="fr-alert fr-alert--info fr-alert--sm fr-mb-3w", children=[html.P(n) for n in notes])]


# ---------------------------------------------------------------- funnel
def funnel_figure(funnel: pd.DataFrame) -> dict:
    """The WIF funnel: one bar per step (visits in Bleu France, dossiers in menthe), with the conversion from the
    previous step in the label. Expects ``metrics.journey.funnel``."""
    if not funnel["count"].sum():
        return empty_figure()
    text = [fmt.fmt_int(n) + ("" if fmt.is_missing(c) else f" ({fmt.fmt_pct(c)} de l'étape précédente)")
            for n, c in zip(funnel["count"], funnel.conversion, strict=True)]
    colors = [theme.BLUE_FRANCE if s == "site" else DS_COLOR for s in funnel.source]
    legend = (f"<span style='color:{theme.BLUE_FRANCE}'>■</span> visites du site (Matomo)   "
              f"<span style='color:{DS_COLOR}'>■</span> dossiers (Démarches Simplifiées)")
    return plain.figure([dict(
        type="funnel", y=funnel.label, x=funnel["count"], text=text, textinfo="text", textposition="outside",
        marker=dict(color=colors), connector=dict(fillcolor=theme.BACKGROUND_ALT, line=dict(width=0)),
        hovertemplate="%{y} : %{x:,.0f}<extra></extra>", cliponaxis=False,
    )], dict(yaxis=dict(automargin=True), height=GRAPH_HEIGHT + 60, margin=dict(l=8, r=180, t=40, b=8),
             showlegend=False, annotations=[dict(text=legend, showarrow=False, xref="paper", yref="paper", x=0,
                                                 y=1.08, xanchor="left", font=dict(size=12))]))


# ---------------------------------------------------------------- Sankey
def _node_color(key: str) -> str:
    return {"depart_ds": DEPARTED, "sortie": LOST, "autres": theme.OTHER_COLOR, "suite": theme.OTHER_COLOR,
            "non_eligible": INELIGIBLE}.get(key, theme.BLUE_FRANCE)


TERMINALS = ("depart_ds", "sortie", "suite", "autres")


def sankey_figure(links: pd.DataFrame) -> dict:
    """Sankey of ``metrics.journey.transitions``: a page node per (step, page), so each column is a step of the
    paths; the ends (departure to DS, exit, longer paths, other paths) are one node each."""
    if links.empty:
        return empty_figure()

    def node(step, key, label):
        return (0, key, label) if key in TERMINALS else (step, key, label)

    sources = [node(*n) for n in zip(links.step, links.source, links.source_label, strict=True)]
    targets = [node(*n) for n in zip(links.step + 1, links.target, links.target_label, strict=True)]
    nodes = list(dict.fromkeys(sources + targets))
    index = {n: i for i, n in enumerate(nodes)}
    return plain.figure([dict(
        type="sankey",
        node=dict(label=[label for _, _, label in nodes], color=[_node_color(key) for _, key, _ in nodes],
                  pad=14, thickness=16, line=dict(color="white", width=0.5),
                  hovertemplate="%{label} : %{value:,.0f} visites<extra></extra>"),
        link=dict(source=[index[s] for s in sources], target=[index[t] for t in targets], value=links.visits,
                  color=[_link_color(key) for key in links.target],
                  hovertemplate="%{source.label} → %{target.label} : %{value:,.0f} visites<extra></extra>"),
    )], dict(height=520, font=dict(size=12), margin=dict(l=8, r=8, t=16, b=8)))


def _link_color(target: str) -> str:
    rgb = {"depart_ds": "24, 117, 60", "sortie": "225, 0, 15"}.get(target, "0, 0, 145")
    return f"rgba({rgb}, 0.25)"


# ---------------------------------------------------------------- heatmap and histogram
def heatmap_figure(grid: pd.DataFrame) -> dict:
    """Visits per weekday (rows, Monday on top) and hour (columns); expects ``metrics.audience.weekday_hour``."""
    if not grid.visits.sum():
        return empty_figure()
    days = list(dict.fromkeys(grid.day))
    z = grid.visits.to_numpy().reshape(len(days), 24)
    return plain.figure([dict(
        type="heatmap", z=z, x=[f"{h}\u00a0h" for h in range(24)], y=[d.capitalize() for d in days],
        colorscale=[[i / (len(theme.SEQUENTIAL) - 1), c] for i, c in enumerate(theme.SEQUENTIAL)],
        colorbar=dict(title=dict(text="Visites")), xgap=1, ygap=1,
        hovertemplate="%{y}, %{x} : %{z:,.0f} visites<extra></extra>",
    )], dict(yaxis=dict(autorange="reversed"), xaxis=dict(title=dict(text="Heure d'arrivée (heure de Paris)")),
             height=GRAPH_HEIGHT))


def minutes_histogram(dist: pd.DataFrame) -> dict:
    """Departures per minute of time to apply, under ten minutes in Bleu France, the rest in grey; expects
    ``metrics.time_to_apply.time_distribution``."""
    if not dist.departures.sum():
        return empty_figure()
    cap = int(dist.minute.max())
    labels = [f"{cap}\u00a0min et plus" if o else f"{m}\u00a0min" for m, o in zip(dist.minute, dist.overflow,
                                                                                     strict=True)]
    ticks = [label for m, label in zip(dist.minute, labels, strict=True) if m % 5 == 0]
    fig = plain.figure([dict(
        type="bar", x=labels, y=dist.departures, customdata=dist.cumulative_share * 100,
        marker=dict(color=[theme.BLUE_FRANCE if m < TEN_MINUTES else theme.OTHER_COLOR for m in dist.minute]),
        hovertemplate="%{x} : %{y:,.0f} départs ; %{customdata:,.1f}\u00a0% en moins de la fin de cette minute"
                      "<extra></extra>",
    )], dict(xaxis=dict(type="category", tickvals=ticks, ticktext=ticks, tickangle=0, title=dict(
                 text="Temps entre la première page et le départ vers Démarches Simplifiées (minutes)")),
             yaxis=dict(title=dict(text="Départs vers Démarches Simplifiées"), rangemode="tozero"),
             height=GRAPH_HEIGHT, bargap=0.08))
    return plain.span(fig, "vline", TEN_MINUTES - 0.5, line=dict(color=theme.RED_MARIANNE, dash="dash", width=1.5),
                      text="10 minutes", position="top right")


# ---------------------------------------------------------------- priority list
def _trend(row: pd.Series) -> str:
    if fmt.is_missing(row.prev_score) or row.prev_score == 0:
        return "pas de score comparable sur la période précédente"
    rank = "" if fmt.is_missing(row.prev_rank) else f", rang {int(row.prev_rank)}"
    rate = fmt.fmt_delta(row.lost_rate, row.prev_lost_rate, "points")
    return (f"{fmt.fmt_delta(row.score, row.prev_score)} par rapport à la période précédente (score "
            f"{fmt.fmt_int(row.prev_score)}{rank}) ; taux de perte {rate}")


def priority_reason(row: pd.Series) -> str:
    """Why a page of ``metrics.journey.priority`` ranks where it does, in one French paragraph."""
    group = GROUP_LABELS[row.grp]
    index, baseline = fmt.fmt_number(row.loss_index, 2), fmt.fmt_pct(row.baseline)
    if row.loss_index >= 1.1:
        compared = (f"Son taux de perte vaut {index} fois celui de l'ensemble des {group} ({baseline}) : il "
                    "alourdit son score.")
    elif row.loss_index <= 0.9:
        compared = (f"Son taux de perte est inférieur à celui de l'ensemble des {group} ({baseline}, indice {index}) : "
                    "c'est le nombre de visites perdues qui la classe ici.")
    else:
        compared = (f"Son taux de perte est proche de celui de l'ensemble des {group} ({baseline}, indice {index}) : "
                    "son score est à peu près son nombre de visites perdues.")
    return (f"{fmt.fmt_int(row.lost)} visites perdues sur {fmt.fmt_int(row.visits)} visites de la page "
            f"({fmt.fmt_pct(row.lost_rate)}). {compared} Score {fmt.fmt_int(row.score)} ; {_trend(row)}.")


def priority_list(priority: pd.DataFrame, top: int = 5) -> html.Ol | html.P:
    """The ``top`` ranked pages as an ordered list, each with its reason (``priority_reason``)."""
    ranked = priority[priority["rank"].notna()].head(top)
    if ranked.empty:
        return html.P("Aucune page n'a assez de visites sur la sélection pour être classée.", className="fr-text--sm")
    return html.Ol(className="wif-priority", children=[
        html.Li(id=f"parcours-priorite-{int(row['rank'])}", className="fr-mb-2w", children=[
            html.Strong(row.label, className="wif-priority__page"),
            html.P(priority_reason(row), className="fr-text--sm fr-mb-0 wif-priority__reason"),
        ])
        for _, row in ranked.iterrows()
    ])


def score_bars(priority: pd.DataFrame) -> dict:
    """Priority score of each ranked page (bars, best first) and its score over the previous period (diamonds)."""
    ranked = priority[priority["rank"].notna()]
    if ranked.empty:
        return empty_figure("Aucune page n'a assez de visites pour être classée.")
    return plain.figure([
        dict(type="bar", y=ranked.label, x=ranked.score, orientation="h", name="Score de la période",
             marker=dict(color=theme.BLUE_FRANCE), hovertemplate="%{y} : score %{x:,.0f}<extra></extra>"),
        dict(type="scatter", y=ranked.label, x=ranked.prev_score, mode="markers", name="Période précédente",
             marker=dict(symbol="diamond", size=10, color=theme.RED_MARIANNE),
             hovertemplate="%{y} : score %{x:,.0f} sur la période précédente<extra></extra>"),
    ], dict(yaxis=dict(autorange="reversed", type="category"),
            xaxis=dict(rangemode="tozero", title=dict(text="Score (visites perdues × indice de perte)")),
            height=max(GRAPH_HEIGHT, 36 * len(ranked) + 90), hovermode="y unified"))


def exits_bars(pages: pd.DataFrame) -> dict:
    """How visits ended on each page: lost, ineligible, after a DS departure (stacked horizontal bars); expects
    ``metrics.journey.page_table``."""
    shown = pages[pages.exits > 0]
    if shown.empty:
        return empty_figure()
    return plain.figure([
        dict(type="bar", y=shown.label, x=shown[column], orientation="h", name=name, marker=dict(color=color),
             hovertemplate="%{y} : %{x:,.0f}<extra>" + name + "</extra>")
        for column, name, color in EXIT_KINDS
    ], dict(yaxis=dict(autorange="reversed", type="category"),
            xaxis=dict(rangemode="tozero", title=dict(text="Visites terminées sur la page")),
            barmode="stack", height=max(GRAPH_HEIGHT, 32 * len(shown) + 90), hovermode="y unified",
            legend=dict(traceorder="normal")))
