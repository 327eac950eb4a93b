"""The global filter bar and its two-way binding with the URL query string.

One callback keeps three things in step: the URL (``dcc.Location(id="url")``, query string of
``metrics.filters.to_query``), the controls of the bar, and the ``filters`` store read by every page.

* URL changed (first load, shared link, back/forward): the query is parsed (``parse_query``), the controls
  show it, invalid values are ignored and listed in a DSFR alert. The URL is not rewritten, so no history
  entry is added by merely opening a page.
* A control changed: the new filters are validated by the same parser and written to the URL (one history
  entry per change, so "back" undoes a filter).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pandas as pd
from dash import Input, Output, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from metrics import db, meta
from metrics.filters import AUDIENCE_LABELS, Filters, parse_query, to_query

IDS = {"start": "filter-start", "end": "filter-end", "dep": "filter-dep", "public": "filter-public",
       "contract": "filter-contract", "reset": "filter-reset", "notices": "filter-notices"}
PLACEHOLDERS = {"start": "Début de période", "end": "Fin de période"}
ALL_AUDIENCES = ""   # value of the "Tous" choice of the public control
DROPDOWN_LABELS = {
    "select_all": "Tout sélectionner", "deselect_all": "Tout désélectionner",
    "selected_count": "{num_selected} sélectionnés",
    "search": "Rechercher", "clear_search": "Effacer la recherche", "clear_selection": "Effacer la sélection",
    "no_options_found": "Aucun résultat",
}


def _label(text: str, for_id: str) -> html.Label:
    return html.Label(text, htmlFor=for_id, id=f"{for_id}-label", className="fr-label")


def _field(text: str, key: str, control, modifier: str) -> html.Div:
    """A labelled field; the group role names controls whose own ARIA name is their value (Dash 4)."""
    return html.Div([_label(text, IDS[key]), control], role="group", className=f"wif-filters__field {modifier}",
                    **{"aria-labelledby": f"{IDS[key]}-label"})


def _date_picker(key: str, bounds: tuple[date, date], disabled: bool) -> dcc.DatePickerSingle:
    return dcc.DatePickerSingle(
        id=IDS[key], min_date_allowed=bounds[0].isoformat(), max_date_allowed=bounds[1].isoformat(),
        display_format="DD/MM/YYYY", month_format="MMMM YYYY", first_day_of_week=1,
        placeholder=f"{PLACEHOLDERS[key]} (jj/mm/aaaa)",   # Dash 4 uses it as the input's aria-label
        disabled=disabled, className="wif-date",
    )


def filter_bar(
    bounds: tuple[date, date], departements: pd.DataFrame, contracts: pd.DataFrame, disabled: bool = False,
) -> html.Section:
    """The filter bar; ``departements`` is ``[code, name]``, ``contracts`` is ``[code, label]``."""
    dep_options = [{"label": f"{c} – {n}", "value": c} for c, n in zip(departements.code, departements.name,
                                                                        strict=True)]
    contract_options = [{"label": lab, "value": c} for c, lab in zip(contracts.code, contracts.label, strict=True)]
    public_options = [{"label": "Tous", "value": ALL_AUDIENCES}] + [
        {"label": label, "value": code} for code, label in AUDIENCE_LABELS.items()]
    return html.Section(
        className="wif-filters", id="filter-bar", **{"aria-label": "Filtres"},
        children=html.Div(className="fr-container", children=[
            html.Div(className="wif-filters__row", children=[
                _field("Du", "start", _date_picker("start", bounds, disabled), "wif-filters__field--date"),
                _field("Au", "end", _date_picker("end", bounds, disabled), "wif-filters__field--date"),
                _field("Département", "dep", dcc.Dropdown(
                    id=IDS["dep"], options=dep_options, multi=True, placeholder="Tous les départements",
                    labels=DROPDOWN_LABELS, disabled=disabled, className="wif-dropdown", maxHeight=320),
                    "wif-filters__field--dep"),
                html.Fieldset(className="wif-filters__field wif-filters__field--public", children=[
                    html.Legend("Public", className="fr-label"),
                    dcc.RadioItems(id=IDS["public"], options=public_options, value=ALL_AUDIENCES, inline=True,
                                   className="wif-segmented", inputClassName="wif-segmented__input",
                                   labelClassName="wif-segmented__label"),
                ]),
                _field("Type de contrat", "contract", dcc.Dropdown(
                    id=IDS["contract"], options=contract_options, multi=True, placeholder="Tous les contrats",
                    labels=DROPDOWN_LABELS, disabled=disabled, className="wif-dropdown", maxHeight=320),
                    "wif-filters__field--contract"),
                html.Div(className="wif-filters__field wif-filters__field--reset", children=html.Button(
                    "Réinitialiser les filtres", id=IDS["reset"], type="button", disabled=disabled,
                    className="fr-btn fr-btn--tertiary fr-icon-refresh-line",
                    title="Réinitialiser les filtres (12 derniers mois de données, tout le périmètre)")),
            ]),
            html.Div(id=IDS["notices"], **{"aria-live": "polite"}),
        ]),
    )


def disabled_filter_bar() -> html.Section:
    """The bar without options, for a shell that has no warehouse to read them from."""
    today = date.today()
    return filter_bar((today, today), pd.DataFrame({"code": [], "name": []}), pd.DataFrame({"code": [], "label": []}),
                      disabled=True)


def notices_alert(notices: list[str]) -> html.Div | None:
    """DSFR alert listing the URL values that were ignored, or None."""
    if not notices:
        return None
    return html.Div(className="fr-alert fr-alert--info fr-alert--sm wif-notices", children=[
        html.P("Certains paramètres de l'adresse ont été ignorés :"),
        html.Ul([html.Li(n) for n in notices]),
    ])


def controls_query(start, end, deps, public, contracts) -> str:
    """The query string the controls describe (fed to ``parse_query`` for validation)."""
    params = {"du": start or "", "au": end or "", "dep": ",".join(deps or ()), "public": public or "",
              "contrat": ",".join(contracts or ())}
    return "?" + urlencode({k: v for k, v in params.items() if v}, safe=",")


def _controls(f: Filters) -> tuple:
    return (f.start.isoformat(), f.end.isoformat(), list(f.departements), f.audience or ALL_AUDIENCES,
            list(f.contracts))


def _scope() -> tuple[tuple[date, date], set[str], set[str]]:
    try:
        bounds = meta.freshness().bounds
        return bounds, set(meta.departement_options().code), set(meta.contract_options().code)
    except db.WarehouseMissing as exc:
        raise PreventUpdate from exc


@callback(
    Output("url", "search"),
    Output(IDS["start"], "date"), Output(IDS["end"], "date"), Output(IDS["dep"], "value"),
    Output(IDS["public"], "value"), Output(IDS["contract"], "value"),
    Output("filters", "data"), Output(IDS["notices"], "children"),
    Input("url", "search"),
    Input(IDS["start"], "date"), Input(IDS["end"], "date"), Input(IDS["dep"], "value"),
    Input(IDS["public"], "value"), Input(IDS["contract"], "value"), Input(IDS["reset"], "n_clicks"),
)
def sync_filters(search, start, end, deps, public, contracts, _reset):
    """URL ⇄ controls ⇄ ``filters`` store (see the module docstring)."""
    bounds, valid_deps, valid_contracts = _scope()
    trigger = ctx.triggered_id
    if trigger == IDS["reset"]:
        f, _ = parse_query("", bounds, valid_deps, valid_contracts)
        return "", *_controls(f), f.to_store(), None
    if trigger in (None, "url"):
        f, notices = parse_query(search, bounds, valid_deps, valid_contracts)
        return no_update, *_controls(f), f.to_store(), notices_alert(notices)
    f, notices = parse_query(controls_query(start, end, deps, public, contracts), bounds, valid_deps, valid_contracts)
    query = to_query(f)
    return (query if query != search else no_update), *_controls(f), f.to_store(), notices_alert(notices)
