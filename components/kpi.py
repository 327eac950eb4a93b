"""Headline indicator card: title, value, change against the previous period, help text."""

from __future__ import annotations

from dash import html

from components.format import MINUS


def _trend_class(delta: str) -> str:
    if delta.startswith("+"):
        return "wif-kpi__delta wif-kpi__delta--up"
    if delta.startswith(MINUS) or delta.startswith("-"):
        return "wif-kpi__delta wif-kpi__delta--down"
    return "wif-kpi__delta"


def kpi_card(
    title: str, value: str, delta: str | None = None, help: str | None = None, id: str | None = None,
    previous: str | None = None,
) -> html.Div:
    """A KPI card; ``value``, ``delta`` and ``previous`` are already formatted (``components.format``).

    ``delta`` is the signed change (``+12,3 %``) and ``previous`` the value of the previous period; with an
    ``id``, the value, delta and previous elements get the ids ``<id>-value``, ``<id>-delta``, ``<id>-previous``.
    The change is shown neutrally (an arrow, no colour judgement): up is not always good.
    """
    def sub(name: str) -> dict:
        return {"id": f"{id}-{name}"} if id else {}

    children = [
        html.P(title, className="wif-kpi__title"),
        html.P(value, className="wif-kpi__value", **sub("value")),
    ]
    if delta is not None:
        comparison = [html.Span(delta, className=_trend_class(delta), **sub("delta")),
                      " par rapport à la période précédente"]
        if previous is not None:
            comparison += [" (", html.Span(previous, **sub("previous")), ")"]
        children.append(html.P(comparison, className="wif-kpi__comparison"))
    elif previous is not None:
        children.append(html.P(["Période précédente : ", html.Span(previous, **sub("previous"))],
                               className="wif-kpi__comparison"))
    if help:
        children.append(html.P(help, className="wif-kpi__help fr-text--xs"))
    return html.Div(children, className="wif-kpi", **({"id": id} if id else {}))
