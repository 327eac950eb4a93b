"""Generic Plotly builders with the DSFR template: line, bar, stacked bar, donut, histogram, empty figure.

Every builder takes a tidy DataFrame and column names, keeps the row order of the frame for categories,
and formats values the French way through ``value``:

* ``"int"``: counts (``12 345``); ``"float"``: one decimal;
* ``"days"``: durations in days (``5,2 j``);
* ``"pct"``: ratios in 0..1, shown as percentages (``12,3 %``; the frame keeps ratios).

Figures are plain dicts (``components.plain``). Pages may add specialised builders in their own component modules.
"""

from __future__ import annotations

import pandas as pd

from components import plain, theme

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


def _orders(df: pd.DataFrame, column: str) -> list | None:
    """Categories of ``column`` in the frame's row order, or None for numbers and dates (drawn on a continuous axis)."""
    series = df[column]
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return None
    return list(dict.fromkeys(series.dropna()))


def _traces(df: pd.DataFrame, x: str, y: str | dict[str, str], color: str | None, factor: float) -> list[tuple]:
    """``(name, x values, y values × factor)`` per trace: one per ``color`` value (in row order), one per column of
    a wide ``y`` (``{column: series name}``), or a single unnamed one."""
    xs = df[x].to_numpy()
    if isinstance(y, dict):
        return [(name, xs, df[column].to_numpy() * factor) for column, name in y.items()]
    values = df[y].to_numpy() * factor
    if not color:
        return [(None, xs, values)]
    keys = df[color].to_numpy()
    return [(name, xs[mask], values[mask]) for name in dict.fromkeys(df[color].dropna()) for mask in [keys == name]]


def _hover(name, first: str, second: str, group: str) -> str:
    """Hover text in Plotly Express's form: ``group=name<br>first=%{x}<br>second=%{y}``."""
    head = f"{group}={name}<br>" if name is not None else ""
    return f"{head}{first}=%{{x}}<br>{second}=%{{y}}<extra></extra>"


def _layout(*, value_axis: str, value: str, x_title, y_title, height: int, hover: str, **extra) -> dict:
    """Layout of a line or bar figure: value axis formatted as ``value``, axis titles, height, hover mode."""
    tick, hover_format, suffix, _ = _kind(value)
    axes = {"xaxis": {"title": {"text": x_title or None}}, "yaxis": {"title": {"text": y_title or None}}}
    axes[f"{value_axis}axis"].update(tickformat=tick, hoverformat=hover_format, ticksuffix=suffix, rangemode="tozero")
    for name, settings in extra.items():
        axes.setdefault(name, {}).update(settings)
    return {"height": height, "hovermode": hover, "legend": {"title": {"text": ""}, "tracegroupgap": 0}, **axes}


def _labels(x: str, y: str | dict, color: str | None, x_title, y_title, legend_title) -> tuple[str, str, str]:
    return x_title or x, y_title or (y if isinstance(y, str) else "valeur"), legend_title or color or "série"


def _color(i: int) -> str:
    return theme.PALETTE[i % len(theme.PALETTE)]


def line(
    df: pd.DataFrame, x: str, y: str | dict[str, str], color: str | None = None, *, value: str = "int",
    x_title: str | None = None, y_title: str | None = None, legend_title: str | None = None,
    markers: bool = False, height: int = GRAPH_HEIGHT,
) -> dict:
    """One line per ``color`` group of ``y`` against ``x`` (usually a date); ``y`` may instead map several
    columns to series names (``{"median": "Médiane", "p90": "9 dossiers sur 10"}``), one line each."""
    *_, factor = _kind(value)
    x_label, y_label, group = _labels(x, y, color, x_title, y_title, legend_title)
    named = color is not None or isinstance(y, dict)
    traces = [
        {"type": "scatter", "x": xs, "y": ys, "name": name or "", "legendgroup": name or "", "showlegend": named,
         "orientation": "v", "mode": "lines+markers" if markers else "lines", "marker": {"symbol": "circle"},
         "line": {"color": _color(i), "dash": "solid", "width": 2.5},
         "hovertemplate": _hover(name, x_label, y_label, group)}
        for i, (name, xs, ys) in enumerate(_traces(df, x, y, color, factor))
    ]
    return plain.figure(traces, _layout(value_axis="y", value=value, x_title=x_title, y_title=y_title, height=height,
                                        hover="x unified"))


def bar(
    df: pd.DataFrame, x: str, y: str | dict[str, str], color: str | None = None, *, value: str = "int",
    horizontal: bool = False, stacked: bool = False, x_title: str | None = None, y_title: str | None = None,
    legend_title: str | None = None, height: int = GRAPH_HEIGHT,
) -> dict:
    """Bars of ``y`` per ``x`` (grouped by ``color`` side by side, or stacked); ``y`` may map several columns to
    series names, one bar series each.

    With ``horizontal=True`` the categories ``x`` are listed top to bottom in the frame's order.
    """
    *_, factor = _kind(value)
    x_label, y_label, group = _labels(x, y, color, x_title, y_title, legend_title)
    named = color is not None or isinstance(y, dict)
    traces = []
    for i, (name, xs, ys) in enumerate(_traces(df, x, y, color, factor)):
        along, across = (ys, xs) if horizontal else (xs, ys)
        first, second = (y_label, x_label) if horizontal else (x_label, y_label)
        traces.append({
            "type": "bar", "x": along, "y": across, "name": name or "", "legendgroup": name or "",
            "showlegend": named, "orientation": "h" if horizontal else "v", "textposition": "auto",
            "marker": {"color": _color(i), "pattern": {"shape": ""}},
            "hovertemplate": _hover(name, first, second, group),
        })
    categories = _orders(df, x)
    order = {} if categories is None else {
        "yaxis" if horizontal else "xaxis": {"categoryorder": "array",
                                             "categoryarray": categories[::-1] if horizontal else categories}}
    if horizontal:
        layout = _layout(value_axis="x", value=value, x_title=y_title, y_title=x_title, height=height,
                         hover="y unified", **order)
    else:
        layout = _layout(value_axis="y", value=value, x_title=x_title, y_title=y_title, height=height,
                         hover="x unified", **order)
    return plain.figure(traces, {**layout, "barmode": "relative" if stacked else "group"})


def stacked_bar(df: pd.DataFrame, x: str, y: str | dict[str, str], color: str | None = None, **kwargs) -> dict:
    """Bars of ``y`` per ``x`` stacked by ``color`` (or by the columns of a wide ``y``)."""
    return bar(df, x, y, color, stacked=True, **kwargs)


def donut(df: pd.DataFrame, names: str, values: str, *, height: int = GRAPH_HEIGHT) -> dict:
    """Shares of ``values`` per ``names`` as a donut, labelled with French percentages."""
    total = df[values].sum()
    share = (df[values] / total * 100) if total else df[values] * 0
    return plain.figure([dict(
        type="pie", labels=df[names], values=df[values], hole=0.55, sort=False, direction="clockwise",
        customdata=share, marker=dict(colors=list(theme.PALETTE), line=dict(color="white", width=2)),
        texttemplate="%{customdata:,.1f}" + UNIT + "%", textposition="outside",
        hovertemplate="%{label} : %{value:,.0f} (%{customdata:,.1f}" + UNIT + "%)<extra></extra>",
    )], dict(height=height, showlegend=True, margin=dict(l=8, r=8, t=32, b=8)))


def histogram(
    df: pd.DataFrame, x: str, *, bin_size: float | None = None, value: str = "int",
    x_title: str | None = None, y_title: str = "Nombre", height: int = GRAPH_HEIGHT,
) -> dict:
    """Distribution of ``x`` (counts per bin of width ``bin_size``, starting at 0 when given)."""
    _, hover_format, suffix, _ = _kind(value)
    layout = _layout(value_axis="y", value="int", x_title=x_title, y_title=y_title, height=height, hover="closest",
                     xaxis={"ticksuffix": suffix, "hoverformat": hover_format})
    return plain.figure([dict(
        type="histogram", x=df[x], xbins=dict(start=0, size=bin_size) if bin_size else None,
        marker=dict(color=theme.BLUE_FRANCE), hovertemplate="%{x} : %{y:,.0f}<extra></extra>",
    )], {**layout, "bargap": 0.05})


def empty_figure(message: str = "Aucune donnée pour cette sélection.", height: int = GRAPH_HEIGHT) -> dict:
    """A blank figure carrying ``message`` in its centre."""
    return plain.figure(layout=dict(
        height=height, xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=message, showarrow=False, font=dict(size=16, color=theme.TEXT_MENTION),
                          xref="paper", yref="paper", x=0.5, y=0.5)]))
