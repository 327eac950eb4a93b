"""Generic Plotly builders with the DSFR template: line, bar, stacked bar, donut, histogram, empty figure.

Every builder takes a tidy DataFrame and column names, keeps the row order of the frame for categories,
and formats values the French way through ``value``:

* ``"int"``: counts (``12 345``); ``"float"``: one decimal;
* ``"days"``: durations in days (``5,2 j``);
* ``"pct"``: ratios in 0..1, shown as percentages (``12,3 %``; the frame keeps ratios).

Pages may add specialised builders in their own component modules.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from components import theme

UNIT = "\u00a0"
_FORMATS = {  # value kind → (tick format, hover format, suffix, factor applied to the data)
    "int": (",.0f", ",.0f", "", 1),
    "float": (",.1~f", ",.1f", "", 1),
    "days": (",.1~f", ",.1f", f"{UNIT}j", 1),
    "pct": (",.1~f", ",.1f", f"{UNIT}%", 100),
}
GRAPH_HEIGHT = 360


def _kind(value: str) -> tuple[str, str, str, float]:
    if value not in _FORMATS:
        raise ValueError(f"format de valeur inconnu : {value}")
    return _FORMATS[value]


def _scaled(df: pd.DataFrame, column: str, factor: float) -> pd.DataFrame:
    if factor == 1:
        return df
    out = df.copy()
    out[column] = out[column] * factor
    return out


def _orders(df: pd.DataFrame, *columns: str | None) -> dict:
    """Category orders following the frame's row order (px would sort them otherwise)."""
    return {c: list(dict.fromkeys(df[c].dropna())) for c in columns
            if c and c in df and not pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_datetime64_any_dtype(df[c])}


def _labels(x: str, y: str, color: str | None, x_title, y_title, legend_title) -> dict:
    labels = {x: x_title or x, y: y_title or y}
    if color:
        labels[color] = legend_title or color
    return labels


def _finish(fig: go.Figure, *, value_axis: str, value: str, x_title, y_title, height: int, hover: str) -> go.Figure:
    tick, hover_format, suffix, _ = _kind(value)
    fig.update_layout(height=height, hovermode=hover, legend_title_text="")
    axes = fig.update_yaxes if value_axis == "y" else fig.update_xaxes
    axes(tickformat=tick, hoverformat=hover_format, ticksuffix=suffix, rangemode="tozero")
    fig.update_xaxes(title_text=x_title or None)
    fig.update_yaxes(title_text=y_title or None)
    return fig


def line(
    df: pd.DataFrame, x: str, y: str, color: str | None = None, *, value: str = "int",
    x_title: str | None = None, y_title: str | None = None, legend_title: str | None = None,
    markers: bool = False, height: int = GRAPH_HEIGHT,
) -> go.Figure:
    """One line per ``color`` group of ``y`` against ``x`` (usually a date)."""
    *_, factor = _kind(value)
    fig = px.line(_scaled(df, y, factor), x=x, y=y, color=color, markers=markers,
                  category_orders=_orders(df, color), labels=_labels(x, y, color, x_title, y_title, legend_title),
                  color_discrete_sequence=theme.PALETTE)
    fig.update_traces(line=dict(width=2.5))
    return _finish(fig, value_axis="y", value=value, x_title=x_title, y_title=y_title, height=height,
                   hover="x unified")


def bar(
    df: pd.DataFrame, x: str, y: str, color: str | None = None, *, value: str = "int", horizontal: bool = False,
    stacked: bool = False, x_title: str | None = None, y_title: str | None = None, legend_title: str | None = None,
    height: int = GRAPH_HEIGHT,
) -> go.Figure:
    """Bars of ``y`` per ``x`` (grouped by ``color`` side by side, or stacked).

    With ``horizontal=True`` the categories ``x`` are listed top to bottom in the frame's order.
    """
    *_, factor = _kind(value)
    data = _scaled(df, y, factor)
    labels = _labels(x, y, color, x_title, y_title, legend_title)
    orders = _orders(df, x, color)
    mode = "relative" if stacked else "group"
    if horizontal:
        fig = px.bar(data, x=y, y=x, color=color, orientation="h", barmode=mode, category_orders=orders,
                     labels=labels, color_discrete_sequence=theme.PALETTE)
        return _finish(fig, value_axis="x", value=value, x_title=y_title, y_title=x_title, height=height,
                       hover="y unified")
    fig = px.bar(data, x=x, y=y, color=color, barmode=mode, category_orders=orders, labels=labels,
                 color_discrete_sequence=theme.PALETTE)
    return _finish(fig, value_axis="y", value=value, x_title=x_title, y_title=y_title, height=height,
                   hover="x unified")


def stacked_bar(df: pd.DataFrame, x: str, y: str, color: str, **kwargs) -> go.Figure:
    """Bars of ``y`` per ``x`` stacked by ``color``."""
    return bar(df, x, y, color, stacked=True, **kwargs)


def donut(df: pd.DataFrame, names: str, values: str, *, height: int = GRAPH_HEIGHT) -> go.Figure:
    """Shares of ``values`` per ``names`` as a donut, labelled with French percentages."""
    total = df[values].sum()
    share = (df[values] / total * 100) if total else df[values] * 0
    fig = go.Figure(go.Pie(
        labels=df[names], values=df[values], hole=0.55, sort=False, direction="clockwise",
        customdata=share, marker=dict(colors=list(theme.PALETTE), line=dict(color="white", width=2)),
        texttemplate="%{customdata:,.1f}" + UNIT + "%", textposition="outside",
        hovertemplate="%{label} : %{value:,.0f} (%{customdata:,.1f}" + UNIT + "%)<extra></extra>",
    ))
    fig.update_layout(height=height, showlegend=True, margin=dict(l=8, r=8, t=32, b=8))
    return fig


def histogram(
    df: pd.DataFrame, x: str, *, bin_size: float | None = None, value: str = "int",
    x_title: str | None = None, y_title: str = "Nombre", height: int = GRAPH_HEIGHT,
) -> go.Figure:
    """Distribution of ``x`` (counts per bin of width ``bin_size``, starting at 0 when given)."""
    fig = go.Figure(go.Histogram(
        x=df[x], xbins=dict(start=0, size=bin_size) if bin_size else None, marker_color=theme.BLUE_FRANCE,
        hovertemplate="%{x} : %{y:,.0f}<extra></extra>",
    ))
    fig.update_layout(bargap=0.05)
    fig = _finish(fig, value_axis="y", value="int", x_title=x_title, y_title=y_title, height=height, hover="closest")
    _, hover_format, suffix, _ = _kind(value)
    fig.update_xaxes(ticksuffix=suffix, hoverformat=hover_format)
    return fig


def empty_figure(message: str = "Aucune donnée pour cette sélection.", height: int = GRAPH_HEIGHT) -> go.Figure:
    """A blank figure carrying ``message`` in its centre."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=16, color=theme.TEXT_MENTION),
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_layout(height=height, xaxis=dict(visible=False), yaxis=dict(visible=False))
    return fig
