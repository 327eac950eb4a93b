"""Data status shown under the header: freshness line, stale-source warnings, missing-warehouse error."""

from __future__ import annotations

from dash import html

from components import format as fmt
from metrics.meta import Freshness, StaleSource


def freshness_text(fresh: Freshness) -> str:
    """``Données du 1er janvier 2024 au 31 décembre 2026, mises à jour le 2 janvier 2027 à 06 h 10.``"""
    updated = (f"mises à jour le {fmt.fmt_datetime(fresh.built_at)}" if fresh.built_at
               else "date de mise à jour inconnue")
    if fresh.data_start is None:
        return f"Aucune donnée chargée, {updated}."
    return f"Données {fmt.fmt_period(fresh.data_start, fresh.data_end)}, {updated}."


def stale_text(stale: StaleSource) -> str:
    """``Audience (Matomo) : données non mises à jour depuis le … (échec de la mise à jour du …).``"""
    failed = f"échec de la mise à jour du {fmt.fmt_datetime(stale.last_failure_at)}"
    if stale.last_success_at is None:
        return f"{stale.label} : aucune mise à jour réussie ({failed})."
    return f"{stale.label} : données non mises à jour depuis le {fmt.fmt_datetime(stale.last_success_at)} ({failed})."


def status_bar(fresh: Freshness, stale: list[StaleSource]) -> html.Div:
    """Freshness line (with the demo mention) and one warning per stale source."""
    line = [html.Span(freshness_text(fresh), id="freshness")]
    if fresh.is_demo:
        line += [" ", html.Span("Données de démonstration générées : aucun chiffre ne décrit le service réel.",
                                className="wif-status__demo")]
    children = [html.P(line, className="fr-text--sm wif-status__line")]
    children += [
        html.Div(html.P(stale_text(s)), className="fr-alert fr-alert--warning fr-alert--sm wif-status__stale",
                 id=f"stale-{s.source}")
        for s in stale
    ]
    return html.Div(html.Div(children, className="fr-container"), className="wif-status", id="data-status")


def missing_warehouse(problem: str) -> html.Div:
    """Error shown instead of the pages when no usable warehouse is published (``problem``: what and what to do,
    the message of ``metrics.db.WarehouseMissing``)."""
    return html.Div(className="fr-container fr-my-6w", id="warehouse-missing", children=html.Div(
        className="fr-alert fr-alert--error", role="alert", children=[
            html.H2("Données indisponibles", className="fr-alert__title"),
            html.P(f"{problem} Rechargez ensuite la page."),
        ]))
