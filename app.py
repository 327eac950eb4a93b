"""WIF stats: the Dash application (``gunicorn app:server``; ``python app.py`` for a development server).

Nothing here touches the warehouse at import time: the layout is a function, evaluated on each page load,
that reads the data range and filter options from ``metrics.meta`` and shows a French error when the
warehouse has not been built yet.

Static files: Dash would load every ``.css``/``.js`` under ``assets/``, including the whole DSFR
distribution in ``assets/dsfr/`` (dozens of icon stylesheets). That folder is excluded from the automatic
loading and its files are listed explicitly, so the order is fixed: DSFR stylesheets, then ``assets/wif.css``;
React, then the DSFR script (in its "react" mode, see ``assets/wif.js``), then ``assets/wif.js``.
"""

from __future__ import annotations

import atexit
import gc
import os

import dash
import flask
from dash import Dash, dcc, html

from components import filters as filter_components  # noqa: F401  (registers the filter callback)
from components import layout, status
from metrics import db, meta
from security import install

ASSET_PREFIX = "/assets/"
DSFR_STYLESHEETS = (
    "dsfr/dsfr.min.css",
    "dsfr/utility/icons/icons-system/icons-system.min.css",
    "dsfr/utility/icons/icons-arrows/icons-arrows.min.css",
    "dsfr/utility/icons/icons-business/icons-business.min.css",
    "dsfr/utility/icons/icons-user/icons-user.min.css",
    "dsfr/utility/icons/icons-document/icons-document.min.css",
)
# The ES-module build: the "nomodule" build replaces native globals (Symbol, Object.fromEntries, iterators)
# with polyfills that break the Dash renderer. A module script runs deferred; assets/wif.js starts it.
DSFR_SCRIPT = {"src": "/assets/dsfr/dsfr.module.min.js", "type": "module"}
DSFR_SETTINGS = 'window.dsfr = {mode: "react", production: true};'   # inline, allowed by its CSP hash
INDEX_STRING = """<!DOCTYPE html>
<html lang="fr" data-fr-scheme="light">
    <head>
        {%metas%}
        <title>{%title%}</title>
        <link rel="icon" href="/assets/dsfr/favicon/favicon.svg" type="image/svg+xml">
        <link rel="shortcut icon" href="/assets/dsfr/favicon/favicon.ico" type="image/x-icon">
        <link rel="apple-touch-icon" href="/assets/dsfr/favicon/apple-touch-icon.png">
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            <script>DSFR_SETTINGS</script>
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>""".replace("DSFR_SETTINGS", DSFR_SETTINGS)

app = Dash(
    __name__,
    use_pages=True,
    title=layout.SERVICE_TITLE,
    update_title=None,
    # Layouts depend on the session (public shell, guarded pages): Dash must not embed a "validation layout"
    # of every page in the index (it would show internal page structure to anyone) nor check callbacks against it.
    suppress_callback_exceptions=True,
    assets_path_ignore=["^dsfr$"],
    external_stylesheets=[ASSET_PREFIX + path for path in DSFR_STYLESHEETS],
    external_scripts=[DSFR_SCRIPT],
    meta_tags=[
        {"name": "description", "content": "Statistiques et audience de Work in France : dossiers d'autorisation "
                                           "provisoire de travail, délais de traitement, décisions, visites."},
        {"name": "theme-color", "content": "#000091"},
    ],
)
app.index_string = INDEX_STRING
server = app.server
access = install(app, inline_scripts=(DSFR_SETTINGS,))


def serve_layout() -> html.Div:
    """The shell around the current page, built from the warehouse's facts at each page load.

    A visitor who is not logged in gets the public shell: no filter bar (nor its callback), public navigation.
    For a logged-in user on a public page, the menu and the filter bar (``shell-internal``) are hidden by a
    clientside callback (``components/layout.py``).
    """
    user = access.user() if flask.has_request_context() else None
    if user is None:
        return public_shell()
    fresh, top = _status_line()
    missing = fresh is None
    if missing:
        bar = html.Div(filter_components.disabled_filter_bar(), hidden=True)   # keeps the callback ids valid
    else:
        bar = filter_components.filter_bar(fresh.bounds, meta.departement_options(), meta.contract_options())
    return html.Div([
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="filters"),
        dcc.Store(id="nav-current"),
        dcc.Store(id="public-paths", data=list(layout.PUBLIC_PATHS)),
        layout.skip_links(),
        layout.header(demo=bool(fresh and fresh.is_demo), user=user),
        html.Main(id="contenu", role="main", tabIndex="-1", children=[
            top,
            html.Div(bar, id="shell-internal"),
            html.Div(dash.page_container, className="fr-container wif-page", hidden=missing),
        ]),
        layout.footer(user),
    ])


def _status_line() -> tuple[meta.Freshness | None, html.Div]:
    """The warehouse's facts and the status line under the header; no facts and the French "données
    indisponibles" error when no usable warehouse is published."""
    try:
        fresh = meta.freshness()
    except db.WarehouseMissing as problem:
        return None, status.missing_warehouse(str(problem))
    return fresh, status.status_bar(fresh, meta.stale_sources())


def public_shell() -> html.Div:
    """The shell of the public pages: header, freshness line, the page, footer; no internal data."""
    fresh, top = _status_line()
    return html.Div([
        dcc.Store(id="public-paths", data=list(layout.PUBLIC_PATHS)),   # no "url": the filter callbacks stay idle
        layout.skip_links(),
        layout.header(demo=bool(fresh and fresh.is_demo), user=None),
        html.Main(id="contenu", role="main", tabIndex="-1", children=[
            top, html.Div(dash.page_container, className="fr-container wif-page")]),
        layout.footer(None),
    ])


app.layout = serve_layout


@server.after_request
def _not_found_status(response):
    """Unknown paths still get the app (which shows the French 404 page) but with the HTTP status 404."""
    from flask import request

    path = request.path
    if (response.status_code == 200 and request.method == "GET" and response.mimetype == "text/html"
            and not path.startswith(("/_dash", "/assets/", "/_reload", "/_favicon"))
            and app.strip_relative_path(path) not in _known_paths()):
        response.status_code = 404
    return response


def _known_paths() -> set[str]:
    return {app.strip_relative_path(page["path"]) for page in dash.page_registry.values()
            if not page["module"].endswith("not_found_404")}


# Everything imported and registered so far lives as long as the process: keep it out of the garbage collector's
# full passes, which otherwise walk it all every few page answers (a ~100 ms pause each time at scale 1). Unfrozen at
# exit, so the interpreter frees it normally (DuckDB's bindings otherwise report leaked objects).
gc.freeze()
atexit.register(gc.unfreeze)

if __name__ == "__main__":
    app.run(debug=True, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")))
