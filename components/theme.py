"""DSFR colours and the Plotly template every figure uses (registered once, as the default, on import).

Colours are the DSFR tokens (https://www.systeme-de-design.gouv.fr/fondamentaux/couleurs): the
categorical palette takes Bleu France first, then illustrative colours chosen to stay distinct from one
another; the font is Marianne, served by the DSFR stylesheet (``@font-face`` in ``assets/dsfr``).
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

BLUE_FRANCE = "#000091"
BLUE_FRANCE_LIGHT = "#6a6af4"
RED_MARIANNE = "#e1000f"
TEXT = "#161616"
TEXT_MENTION = "#666666"
BORDER = "#dddddd"
GRID = "#e5e5e5"
BACKGROUND_ALT = "#f6f6f6"
SUCCESS = "#18753c"
ERROR = "#ce0500"
WARNING = "#b34000"
INFO = "#0063cb"

# Categorical palette: Bleu France, then illustrative colours (terre battue, menthe, glycine, tournesol,
# cumulus, tuile, bourgeon, caramel) and a grey kept for "autre" / "non renseigné".
PALETTE = (
    BLUE_FRANCE, "#e4794a", "#009081", "#a558a0", "#c8aa39", "#417dc4", "#ce614a", "#68a532", "#c08c65", "#929292",
)
OTHER_COLOR = "#929292"
# Sequential blues (Bleu France scale, light to dark) for heatmaps and maps.
SEQUENTIAL = ("#f5f5fe", "#e3e3fd", "#cacafb", "#a1a1f8", "#6a6af4", "#313178", BLUE_FRANCE)
FONT_FAMILY = "Marianne, arial, sans-serif"
# Plotly's number separators: decimal comma, narrow no-break space between thousands.
SEPARATORS = ",\u202f"
TEMPLATE_NAME = "dsfr"


def _template() -> go.layout.Template:
    axis = dict(
        gridcolor=GRID, linecolor=BORDER, zerolinecolor=BORDER, ticks="outside", tickcolor=BORDER,
        title=dict(font=dict(size=13, color=TEXT_MENTION)), automargin=True,
    )
    return go.layout.Template(layout=go.Layout(
        font=dict(family=FONT_FAMILY, size=14, color=TEXT),
        colorway=list(PALETTE),
        colorscale=dict(sequential=[[i / (len(SEQUENTIAL) - 1), c] for i, c in enumerate(SEQUENTIAL)]),
        separators=SEPARATORS,
        paper_bgcolor="white", plot_bgcolor="white",
        margin=dict(l=8, r=8, t=32, b=8),
        xaxis=axis, yaxis=axis,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, title=dict(text="")),
        hoverlabel=dict(font=dict(family=FONT_FAMILY, size=13), bgcolor="white", bordercolor=BORDER),
        bargap=0.2,
    ))


pio.templates[TEMPLATE_NAME] = _template()
pio.templates.default = TEMPLATE_NAME
