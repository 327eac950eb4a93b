"""Figures as the plain dicts Plotly itself produces, built without ``plotly.graph_objects`` at answer time.

A figure is ``{"data": [trace, …], "layout": {…, "template": <DSFR template>}}`` in Plotly's normal form, what
``go.Figure(...).to_plotly_json()`` gives: properties nested (``{"marker": {"color": …}}``, never the
``marker_color`` shorthand), no None values, no empty objects, and the default template (``components.theme``)
included. Arrays are numeric numpy arrays or lists of plain values (``values``), which the answer memo's orjson
writes directly. Plotly's validation of a figure cost more Python time than most queries behind it; the tests
check that ``go.Figure(d).to_plotly_json()`` gives each builder's dict back unchanged.

The helpers are the dict counterparts of ``go.Figure`` methods, taking nested properties: ``layout``
(``update_layout``), ``axis`` (``update_xaxes`` / ``update_yaxes``), ``traces`` (``update_traces``),
``add_trace``, ``annotate`` (``add_annotation``) and ``span`` (``add_hline`` / ``add_vline`` / ``add_vrect``).
Setting a property to None removes it, as in Plotly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.io as pio

from components import format as fmt
from components import theme

TEMPLATE = pio.templates[theme.TEMPLATE_NAME].to_plotly_json()


def values(array) -> np.ndarray | list:
    """A column for a figure: numbers as a numpy array; dates as ISO texts (``2025-03-01T00:00:00``, Plotly's
    form); anything else as a list; missing values (NaN, NaT, NA) as None (JSON ``null``, a gap for Plotly)."""
    if isinstance(array, pd.Series | pd.Index):
        if pd.api.types.is_numeric_dtype(array.dtype) and not isinstance(array.dtype, np.dtype):
            array = array.to_numpy(dtype=float, na_value=np.nan)   # nullable numbers
        else:
            array = array.to_numpy()
    array = np.asarray(array)
    if array.dtype.kind in "iufb":
        return array
    if array.dtype.kind == "M":
        return [None if text == "NaT" else text for text in np.datetime_as_string(array, unit="s").tolist()]
    return [_plain(v) for v in array.tolist()]


def _plain(value):
    if fmt.absent(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def clean(value):
    """``value`` in Plotly's normal form: dict entries that are None or empty dicts dropped, pandas and numpy
    columns through ``values`` (lists of dicts, such as traces or annotations, cleaned item by item)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = clean(item)
            if item is not None and not (isinstance(item, dict) and not item):
                out[key] = item
        return out
    if isinstance(value, list | tuple):
        return [clean(v) for v in value] if value and isinstance(value[0], dict) else list(value)
    if isinstance(value, pd.Series | pd.Index | np.ndarray):
        return values(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def figure(data: list[dict] | tuple = (), layout: dict | None = None) -> dict:
    """The figure dict of ``data`` (trace dicts, each with its ``type``) and ``layout``, with the DSFR template."""
    return {"data": [clean(trace) for trace in data], "layout": {**clean(layout or {}), "template": TEMPLATE}}


def merge(target: dict, props: dict) -> dict:
    """``target`` updated in place by ``props`` as Plotly's ``update`` does: dicts merged key by key, other values
    replaced, None removing the property; emptied dicts are dropped."""
    for key, item in props.items():
        if isinstance(item, dict) and isinstance(target.get(key), dict):
            merge(target[key], item)
            if not target[key]:
                del target[key]
            continue
        item = clean(item)
        if item is None or (isinstance(item, dict) and not item):
            target.pop(key, None)
        else:
            target[key] = item
    return target


def layout(fig: dict, **props) -> dict:
    """``fig`` with its layout updated by ``props`` (``update_layout``)."""
    merge(fig["layout"], props)
    return fig


def axis(fig: dict, letter: str, **props) -> dict:
    """``fig`` with its ``x`` or ``y`` axis updated by ``props`` (``update_xaxes`` / ``update_yaxes``)."""
    return layout(fig, **{f"{letter}axis": props})


def traces(fig: dict, **props) -> dict:
    """``fig`` with every trace updated by ``props`` (``update_traces``)."""
    for trace in fig["data"]:
        merge(trace, props)
    return fig


def add_trace(fig: dict, trace: dict) -> dict:
    """``fig`` with ``trace`` drawn last."""
    fig["data"].append(clean(trace))
    return fig


def annotate(fig: dict, **props) -> dict:
    """``fig`` with one more annotation (``add_annotation``)."""
    fig["layout"].setdefault("annotations", []).append(clean(props))
    return fig


# Where add_hline / add_vline / add_vrect put the annotation for each ``annotation_position`` used here.
_ANCHORS = {
    ("hline", "top left"): {"x": 0, "xanchor": "left", "yanchor": "bottom"},
    ("hline", "bottom right"): {"x": 1, "xanchor": "right", "yanchor": "top"},
    ("vline", "top left"): {"y": 1, "xanchor": "right", "yanchor": "top"},
    ("vline", "top right"): {"y": 1, "xanchor": "left", "yanchor": "top"},
    ("vline", "top"): {"y": 1, "xanchor": "center", "yanchor": "bottom"},
    ("vrect", "top left"): {"y": 1, "xanchor": "left", "yanchor": "top"},
}


def span(fig: dict, kind: str, at, until=None, *, text: str, position: str, note: dict | None = None,
         **shape) -> dict:
    """``fig`` with a line across the plot (``kind`` ``hline`` at y = ``at``, ``vline`` at x = ``at``) or a band
    (``vrect`` from x = ``at`` to ``until``), styled by ``shape``, and its annotation ``text`` at ``position``
    (further annotation properties in ``note``), as ``add_hline`` / ``add_vline`` / ``add_vrect`` draw them."""
    anchors = _ANCHORS[kind, position]
    if kind == "hline":
        where = {"x0": 0, "x1": 1, "xref": "x domain", "y0": at, "y1": at, "yref": "y"}
        place = {"xref": "x domain", "y": at, "yref": "y"}
    else:
        where = {"x0": at, "x1": at if kind == "vline" else until, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"}
        place = {"x": at, "xref": "x", "yref": "y domain"}
    fig["layout"].setdefault("shapes", []).append(
        clean({**shape, "type": "line" if kind != "vrect" else "rect", **where}))
    return annotate(fig, **(note or {}), showarrow=False, text=text, **place, **anchors)
