"""Controls, indicator cards, table helpers and specialised figures of the dossier pages.

Shared by Démarches, Délais, Contrats and Décisions: the segmented switches, the headline cards compared
with the previous period, French labels for months and percentages in tables, rates drawn with their
Wilson 95 % interval, the funnel plot and the rollout timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
from dash import dcc, html
from dash.exceptions import PreventUpdate

from components import format as fmt
from components import plain, theme
from components.charts import GRAPH_HEIGHT, empty_figure
from components.kpi import kpi_card
from metrics import meta
from metrics.filters import Filters

SOURCE = "Démarches Simplifiées"
GRAIN_LABELS = {"day": "Jour", "week": "Semaine", "month": "Mois"}   # time steps of the time figures
SUPPRESSED = "« — » : moins de 5 dossiers, valeur non calculée."
BAND = "rgba(0, 0, 145, 0.12)"   # Bleu France, transparent: confidence bands
LOG_TICKS = (5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)


def segmented(control_id: str, legend: str, options: dict[str, str], value: str) -> html.Fieldset:
    """A DSFR segmented control (``dcc.RadioItems``) with its legend; ``options`` maps values to labels."""
    return html.Fieldset(className="wif-inline-control", children=[
        html.Legend(legend, className="fr-label"),
        dcc.RadioItems(id=control_id, options=[{"label": label, "value": key} for key, label in options.items()],
                       value=value, inline=True, className="wif-segmented", inputClassName="wif-segmented__input",
                       labelClassName="wif-segmented__label"),
    ])


def page_header(title: str, lead: str, prefix: str) -> list:
    """Page title, one-line purpose and the period sentence (filled by ``period_sentence``)."""
    return [html.H1(title, className="fr-mt-4w fr-mb-1w"), html.P(lead, className="fr-text--lead fr-mb-1w"),
            html.P(id=f"{prefix}-period", className="fr-text--sm wif-period fr-mb-3w")]


def filters_of(data: dict | None) -> Filters:
    """The global filters from the ``filters`` store; no update while the store is still empty."""
    if not data:
        raise PreventUpdate
    return Filters.from_store(data)


def has_previous(f: Filters, data_start: date | None) -> bool:
    """Whether the data reach into the previous period (otherwise no comparison is shown)."""
    return data_start is not None and f.previous().end >= data_start


def period_sentence(f: Filters, comparable: bool) -> str:
    """"Période du … au …, comparée à la période précédente (du … au …)."."""
    prev = f.previous()
    text = f"Période {fmt.fmt_period(f.start, f.end)}"
    if not comparable:
        return text + " ; pas de données pour la période précédente, pas de comparaison."
    return text + f", comparée à la période précédente de même durée ({fmt.fmt_period(prev.start, prev.end)})."


# Kind of headline value → (formatter, fmt_delta mode).
KINDS = {"count": (fmt.fmt_int, "relative"), "number": (fmt.fmt_int, "count"), "rate": (fmt.fmt_pct, "points"),
         "days": (fmt.fmt_days, "days")}


@dataclass(frozen=True)
class Card:
    """A headline indicator: column of a one-row metric frame, kind (``KINDS``), help text (or a function of
    the current row giving it); its element ids are ``<prefix>-kpi-<key>[-value|-delta|-previous]``."""

    key: str
    title: str
    column: str
    kind: str
    help: str | Callable[[pd.Series], str]


def indicators(prefix: str, f: Filters, metric: Callable[[Filters], pd.DataFrame], cards: list[Card]) -> tuple:
    """KPI cards of ``metric`` over ``f`` compared with the previous period, and the period sentence."""
    return compared_cards(prefix, f, metric(f).iloc[0], metric(f.previous()).iloc[0], cards)


def compared_cards(prefix: str, f: Filters, now: pd.Series, before: pd.Series, cards: list[Card]) -> tuple:
    """``indicators`` from the metric's rows already at hand: ``now`` over ``f``, ``before`` over ``f.previous()``
    (for metrics computing both periods in one query)."""
    comparable = has_previous(f, meta.freshness().data_start)
    built = []
    for card in cards:
        formatter, mode = KINDS[card.kind]
        current, previous = now[card.column], before[card.column]
        extra = {"delta": fmt.fmt_delta(current, previous, mode), "previous": formatter(previous)} if comparable else {}
        built.append(kpi_card(card.title, formatter(current), id=f"{prefix}-kpi-{card.key}",
                              help=card.help(now) if callable(card.help) else card.help, **extra))
    return built, period_sentence(f, comparable)


def month_labels(values: pd.Series) -> pd.Series:
    """Months (first days) as French labels: ``mars 2025``."""
    return values.map(fmt.fmt_month)


def period_labels(periods: pd.Series, grain: str) -> pd.Series:
    """French labels of periods (first days): ``03/03/2025``, ``semaine du 03/03/2025``, ``mars 2025``."""
    if grain == "month":
        return month_labels(periods)
    if grain == "week":
        return periods.map(lambda d: f"semaine du {fmt.fmt_date_short(d)}")
    return periods.map(fmt.fmt_date_short)


def percent(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame`` and, appended, its ratios 0..1 of ``columns`` as percentages (×100) under their new names (not
    already columns of ``frame``), for tables and CSV files."""
    percents = {new: frame[old] * 100 for old, new in columns.items()}
    return pd.concat([frame, pd.DataFrame(percents, index=frame.index)], axis=1)   # index given: no alignment


def table_of(frame: pd.DataFrame, columns: dict[str, object]) -> pd.DataFrame:
    """A figure's table in one step: heading → a column name of ``frame``, or values on its rows (a Series on its
    index, e.g. ``frame.share * 100``, or a list). What ``percent``, ``rename`` and a column selection give, in one
    construction (with text column names, each pandas step rebuilds an Arrow-backed index of them)."""
    return pd.DataFrame({heading: frame[c] if isinstance(c, str) else c for heading, c in columns.items()},
                        index=frame.index)


def month_axis(fig: dict, months: int, **props) -> dict:
    """A time axis of months: one tick a month up to 13 months, then one a quarter, "janv. 2025" style; ``props``
    update the axis further (``title={"text": None}``)."""
    return plain.axis(fig, "x", tickformat="%b %Y", dtick="M1" if months <= 13 else "M3", **props)


def rate_over_time(df: pd.DataFrame, x: str, rate: str, low: str, high: str, *, name: str,
                   reference: float | None = None) -> dict:
    """The rate ``rate`` (0..1) along ``x`` with its confidence band [``low``, ``high``] and an optional
    horizontal ``reference`` (the period's overall rate). Points without a rate leave gaps."""
    if df.empty:
        return empty_figure()
    fig = plain.figure([
        dict(type="scatter", x=df[x], y=df[high] * 100, mode="lines", line=dict(width=0), hoverinfo="skip",
             showlegend=False, connectgaps=False),
        dict(type="scatter", x=df[x], y=df[low] * 100, mode="lines", line=dict(width=0), fill="tonexty",
             fillcolor=BAND, name="Intervalle de confiance à 95 %", hoverinfo="skip", connectgaps=False),
        dict(type="scatter", x=df[x], y=df[rate] * 100, mode="lines+markers", name=name,
             line=dict(color=theme.BLUE_FRANCE, width=2.5), hovertemplate="%{y:,.1f}\u00a0%<extra>" + name + "</extra>",
             connectgaps=False),
    ], dict(yaxis=dict(ticksuffix="\u00a0%", rangemode="tozero"), height=GRAPH_HEIGHT, hovermode="x unified"))
    if reference is not None and not fmt.is_missing(reference):
        plain.span(fig, "hline", reference * 100, line=dict(color=theme.TEXT_MENTION, dash="dot", width=1.5),
                   text=f"période : {fmt.fmt_pct(reference)}", position="top left")
    return fig


def rate_bars(df: pd.DataFrame, label: str, rate: str, low: str, high: str, *, name: str,
              reference: float | None = None) -> dict:
    """Horizontal bars of a rate per ``label`` with Wilson 95 % error bars and the overall ``reference``.

    Rows without a rate (under 5 decisions) are listed with an empty bar, in the frame's order.
    """
    if df.empty:
        return empty_figure()
    values = df[rate] * 100
    fig = plain.figure([dict(
        type="bar", y=df[label], x=values, orientation="h", marker=dict(color=theme.BLUE_FRANCE), name=name,
        error_x=dict(type="data", symmetric=False, array=(df[high] - df[rate]) * 100,
                     arrayminus=(df[rate] - df[low]) * 100, color=theme.TEXT_MENTION, thickness=1.2, width=4),
        hovertemplate="%{y} : %{x:,.1f}\u00a0%<extra></extra>",
    )], dict(yaxis=dict(autorange="reversed"),
             xaxis=dict(ticksuffix="\u00a0%", rangemode="tozero", title=dict(text=name)),
             height=_category_height(len(df)), showlegend=False))
    hidden = df[df[rate].isna()]
    if len(hidden):
        plain.add_trace(fig, dict(type="scatter", y=hidden[label], x=[0] * len(hidden), mode="text",
                                  text="moins de 5 décisions", textposition="middle right",
                                  textfont=dict(color=theme.TEXT_MENTION, size=12), hoverinfo="skip"))
    if reference is not None and not fmt.is_missing(reference):
        plain.span(fig, "vline", reference * 100, line=dict(color=theme.RED_MARIANNE, dash="dash", width=1.5),
                   text=f"ensemble : {fmt.fmt_pct(reference)}", position="top")
    return fig


def _category_height(rows: int) -> int:
    return max(GRAPH_HEIGHT, 28 * rows + 90)


def duration_bars(df: pd.DataFrame, label: str, *, axis_title: str) -> dict:
    """Median (bars) and 90th percentile (diamonds) per ``label``, top to bottom in the frame's order.

    Expects the ``median`` and ``p90`` columns of ``metrics.delays.processing_by`` (days; NULL leaves a gap).
    """
    if df.empty:
        return empty_figure()
    return plain.figure([
        dict(type="bar", y=df[label], x=df["median"], orientation="h", name="Médiane",
             marker=dict(color=theme.BLUE_FRANCE), hovertemplate="%{y} : médiane %{x:,.1f}\u00a0j<extra></extra>"),
        dict(type="scatter", y=df[label], x=df["p90"], mode="markers",
             name="9 dossiers sur 10", marker=dict(symbol="diamond", size=10, color=theme.RED_MARIANNE),
             hovertemplate="%{y} : 9 dossiers sur 10 en %{x:,.1f}\u00a0j<extra></extra>"),
    ], dict(yaxis=dict(autorange="reversed", type="category"),
            xaxis=dict(ticksuffix="\u00a0j", rangemode="tozero", title=dict(text=axis_title)),
            height=_category_height(len(df)), hovermode="y unified"))


def hbars(df: pd.DataFrame, category: str, value: str | dict[str, str], color: str | None = None, *,
          axis_title: str, pct: bool = False, grey: tuple[str, ...] = ()) -> dict:
    """Horizontal bars of ``value`` per ``category``, top to bottom in the frame's order, stacked by ``color`` — or
    by the columns of a wide ``value`` (``{column: series name}``).

    ``pct``: values are ratios 0..1 shown as percentages; ``grey``: series drawn in the neutral grey ("non
    renseigné"…). Other series take the DSFR palette in order of appearance.
    """
    if df.empty:
        return empty_figure()
    categories = list(dict.fromkeys(df[category]))
    labels = df[category].to_numpy()
    if isinstance(value, dict):
        series = [(name, labels, df[column].to_numpy()) for column, name in value.items()]
    elif color is None:
        series = [(axis_title, labels, df[value].to_numpy())]
    else:
        keys, values = df[color].to_numpy(), df[value].to_numpy()
        series = [(k, labels[mask], values[mask]) for k in dict.fromkeys(df[color]) for mask in [keys == k]]
    stacked = color is not None or isinstance(value, dict)
    suffix = "\u00a0%" if pct else ""
    palette = iter(theme.PALETTE)
    traces = [
        dict(type="bar", y=labels, x=values * (100 if pct else 1),
             orientation="h", name=name, marker=dict(color=theme.OTHER_COLOR if name in grey else next(palette)),
             hovertemplate=f"%{{y}} : %{{x:,.{1 if pct else 0}f}}{suffix}<extra>{name}</extra>")
        for name, labels, values in series
    ]
    return plain.figure(traces, dict(
        yaxis=dict(type="category", categoryorder="array", categoryarray=categories, autorange="reversed"),
        xaxis=dict(ticksuffix=suffix, rangemode="tozero", title=dict(text=axis_title)),
        barmode="stack", height=_category_height(len(categories)), showlegend=stacked,
        hovermode="y unified" if stacked else "closest", legend=dict(traceorder="normal")))


def funnel_plot(funnel: pd.DataFrame, limits: pd.DataFrame, *, name: str) -> dict:
    """Funnel plot: each department's rate against its number of decisions, inside the 95 % and 99.8 %
    control limits around the national rate (departments outside the 95 % funnel in red)."""
    rated = funnel[funnel.rate.notna()]
    if rated.empty:
        return empty_figure("Aucun département avec au moins 5 décisions.")
    national = rated.national_rate.iloc[0]
    ticks = [t for t in LOG_TICKS if limits.n.min() <= t <= limits.n.max()]
    fig = plain.figure([
        dict(type="scatter", x=limits.n, y=limits[f"{side}{column}"] * 100, mode="lines", name=label,
             line=dict(color=theme.TEXT_MENTION, dash=dash, width=1.2), hoverinfo="skip", showlegend=side == "low")
        for column, dash, label in (("95", "dash", "limites à 95 %"), ("998", "dot", "limites à 99,8 %"))
        for side in ("low", "high")
    ], dict(xaxis=dict(type="log", tickvals=ticks, ticktext=[fmt.fmt_int(t) for t in ticks],
                       title=dict(text="Dossiers décidés (échelle logarithmique)")),
            yaxis=dict(ticksuffix="\u00a0%", rangemode="tozero", title=dict(text=name)), height=460,
            hovermode="closest"))
    plain.span(fig, "hline", national * 100, line=dict(color=theme.TEXT_MENTION, width=1),
               text=f"national : {fmt.fmt_pct(national)}", position="bottom right")
    outside = rated.position.isin(["above", "below"])
    for mask, colour, label in ((~outside, theme.BLUE_FRANCE, "dans l'intervalle"),
                                (outside, theme.RED_MARIANNE, "hors de l'intervalle")):
        part = rated[mask]
        plain.add_trace(fig, dict(
            type="scatter", x=part.decided, y=part.rate * 100, mode="markers+text", name=label,
            text=part.departement, textposition="top center", textfont=dict(size=10, color=colour),
            marker=dict(color=colour, size=9, line=dict(color="white", width=1)),
            customdata=part.label, hovertemplate="%{customdata} : %{y:,.1f}\u00a0% sur %{x:,.0f} décisions"
                                                 "<extra></extra>",
        ))
    return fig


def rollout_timeline(rollout: pd.DataFrame, start: date, end: date) -> dict:
    """First dossier of each department on a time line, the selected period shaded."""
    if rollout.empty:
        return empty_figure()
    labels = rollout.departement + " – " + rollout.name
    fig = plain.figure([dict(
        type="scatter", x=rollout.first_deposit, y=labels, mode="markers",
        marker=dict(color=theme.BLUE_FRANCE, size=10), customdata=rollout.dossiers,
        hovertemplate="%{y} : premier dossier le %{x|%d/%m/%Y}, %{customdata:,.0f} dossiers depuis<extra></extra>",
    )], dict(yaxis=dict(autorange="reversed", type="category"),
             xaxis=dict(title=dict(text="Date du premier dossier déposé"), tickformat="%b %Y"),
             height=max(GRAPH_HEIGHT, 24 * len(rollout) + 90), showlegend=False, hovermode="closest"))
    return plain.span(fig, "vrect", start, end, fillcolor=BAND, line=dict(width=0), layer="below", text="période",
                      position="top left")
