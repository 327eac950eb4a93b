"""The DSFR shell shared by every page: skip links, header with the main navigation, footer.

The navigation lists every page of the product, grouped by audience of the figures. Internal links are
``page_link``s: a clientside callback (``assets/wif.js``) keeps the current filter query string on them,
so moving between pages keeps the filters.

On a public page (``PUBLIC_PATHS``) the shell is the public one: the menu and the filter bar are hidden and
every in-app link leads to the public statistics page, so nothing points to internal pages. (A visitor who is
not logged in always gets the public shell, ``app.public_shell``: public navigation only, brand links to the
public home.)
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, clientside_callback, dcc, html

from components.login import account_tools

SERVICE_TITLE = "Work in France — statistiques"
SERVICE_TAGLINE = "Demandes d'autorisation provisoire de travail : dossiers, délais et audience"

# (label, path) for a direct link, (label, ((label, path), …)) for a group.
NAV: tuple[tuple[str, str | tuple[tuple[str, str], ...]], ...] = (
    ("Accueil", "/"),
    ("Dossiers", (("Démarches", "/demarches"), ("Délais", "/delais"), ("Contrats", "/contrats"),
                  ("Décisions", "/decisions"))),
    ("Audience", (("Audience", "/audience"), ("Parcours", "/parcours"), ("Temps de démarche", "/temps-de-demarche"))),
    ("Pilotage", (("Rapports", "/rapports"), ("Alertes", "/alertes"), ("Impact", "/impact"))),
    ("Statistiques publiques", "/statistiques"),
)
PUBLIC_NAV = (("Statistiques publiques", "/statistiques"),)   # what a visitor who is not logged in is shown
PUBLIC_PATHS = tuple(path for _, path in PUBLIC_NAV)   # pages shown with the public shell; the first is its home
EXTERNAL_LINKS = (
    ("legifrance.gouv.fr", "https://www.legifrance.gouv.fr"),
    ("info.gouv.fr", "https://www.info.gouv.fr"),
    ("service-public.fr", "https://www.service-public.fr"),
    ("data.gouv.fr", "https://www.data.gouv.fr"),
)


def nav_paths() -> list[str]:
    """Every path the navigation links to, in menu order."""
    paths = []
    for _, target in NAV:
        paths.extend([target] if isinstance(target, str) else [path for _, path in target])
    return paths


def page_link(path: str, children, *, place: str, className: str | None = None, **kwargs) -> dcc.Link:
    """An in-app link to ``path`` that carries the current filters; ``place`` makes its id unique."""
    return dcc.Link(children, href=path, id={"type": "wif-link", "path": path, "place": place},
                    className=className, **kwargs)


def _logo() -> html.P:
    return html.P(["République", html.Br(), "Française"], className="fr-logo")


def _navigation(nav) -> html.Nav:
    items = []
    for index, (label, target) in enumerate(nav):
        if isinstance(target, str):
            items.append(html.Li(page_link(target, label, place="nav", className="fr-nav__link", target="_self"),
                                 className="fr-nav__item"))
            continue
        menu_id = f"wif-menu-{index}"
        items.append(html.Li(className="fr-nav__item", children=[
            html.Button(label, className="fr-nav__btn", id=f"{menu_id}-btn", type="button",
                        **{"aria-expanded": "false", "aria-controls": menu_id}),
            html.Div(id=menu_id, className="fr-collapse fr-menu", children=html.Ul(className="fr-menu__list", children=[
                html.Li(page_link(path, sub_label, place="nav", className="fr-nav__link", target="_self"))
                for sub_label, path in target
            ])),
        ]))
    return html.Nav(html.Ul(items, className="fr-nav__list"), className="fr-nav", id="navigation", role="navigation",
                    **{"aria-label": "Menu principal"})


def header(demo: bool, user: str | None) -> html.Header:
    """DSFR header: bloc-marque, service title (with the demo badge), account tools, navigation (the whole
    product for a logged-in ``user``, the public pages otherwise)."""
    title = [SERVICE_TITLE]
    if demo:
        title += [" ", html.Span("Données de démonstration", id="demo-badge",
                                 className="fr-badge fr-badge--sm fr-badge--warning fr-badge--no-icon")]
    return html.Header(className="fr-header", role="banner", children=[
        html.Div(className="fr-header__body", children=html.Div(className="fr-container", children=html.Div(
            className="fr-header__body-row", children=[html.Div(className="fr-header__brand fr-enlarge-link", children=[
                html.Div(className="fr-header__brand-top", children=[
                    html.Div(_logo(), className="fr-header__logo"),
                    html.Div(className="fr-header__navbar", id="wif-navbar", children=html.Button(
                        "Menu", className="fr-btn--menu fr-btn", id="wif-menu-button", type="button", title="Menu",
                        **{"data-fr-opened": "false", "aria-controls": "wif-modal-menu", "aria-haspopup": "menu"},
                    )),
                ]),
                html.Div(className="fr-header__service", children=[
                    page_link(home(user), html.P(title, className="fr-header__service-title"), place="brand",
                              title=f"Accueil — {SERVICE_TITLE}"),
                    html.P(SERVICE_TAGLINE, className="fr-header__service-tagline"),
                ]),
            ]), account_tools(user)]))),
        html.Div(className="fr-header__menu fr-modal", id="wif-modal-menu",
                 **{"aria-labelledby": "wif-menu-button"}, children=html.Div(className="fr-container", children=[
                     html.Button("Fermer", className="fr-btn--close fr-btn", type="button", title="Fermer",
                                 **{"aria-controls": "wif-modal-menu"}),
                     html.Div(className="fr-header__menu-links"),
                     _navigation(NAV if user else PUBLIC_NAV),
                 ])),
    ])


def skip_links() -> html.Div:
    """RGAA skip links to the content, the menu and the footer."""
    links = (("Contenu", "#contenu"), ("Menu", "#navigation"), ("Pied de page", "#footer"))
    return html.Div(className="fr-skiplinks", children=html.Nav(
        className="fr-container", role="navigation", **{"aria-label": "Accès rapide"},
        children=html.Ul([html.Li(html.A(label, href=href, className="fr-link"), id=f"skip-{href[1:]}")
                          for label, href in links], className="fr-skiplinks__list"),
    ))


def home(user: str | None) -> str:
    """Where the service's brand links lead: the home page, or the public home for a visitor not logged in."""
    return "/" if user else PUBLIC_PATHS[0]


def footer(user: str | None) -> html.Footer:
    """DSFR footer: bloc-marque, description, the State's mandatory links, accessibility status, licence."""
    return html.Footer(className="fr-footer", role="contentinfo", id="footer", children=html.Div(
        className="fr-container", children=[
            html.Div(className="fr-footer__body", children=[
                html.Div(className="fr-footer__brand fr-enlarge-link", children=page_link(
                    home(user), _logo(), place="footer-brand", title=f"Retour à l'accueil — {SERVICE_TITLE}")),
                html.Div(className="fr-footer__content", children=[
                    html.P("Tableau de bord statistique et d'audience de Work in France, le service de demande "
                           "d'autorisation provisoire de travail pour les étudiants étrangers et leurs employeurs. "
                           "Aucune donnée nominative n'est conservée.", className="fr-footer__content-desc"),
                    html.Ul(className="fr-footer__content-list", children=[
                        html.Li(html.A(label, href=href, target="_blank", rel="noopener",
                                       title=f"{label} — nouvelle fenêtre", className="fr-footer__content-link"),
                                className="fr-footer__content-item")
                        for label, href in EXTERNAL_LINKS
                    ]),
                ]),
            ]),
            html.Div(className="fr-footer__bottom", children=[
                html.Ul(className="fr-footer__bottom-list", children=[
                    html.Li(html.Span("Accessibilité : non conforme", className="fr-footer__bottom-link"),
                            className="fr-footer__bottom-item"),
                    html.Li(page_link("/statistiques", "Statistiques publiques", place="footer",
                                      className="fr-footer__bottom-link"), className="fr-footer__bottom-item"),
                ]),
                html.Div(className="fr-footer__bottom-copy", children=html.P([
                    "Sauf mention contraire, les contenus de ce site sont proposés sous ",
                    html.A("licence etalab-2.0", href="https://github.com/etalab/licence-ouverte/blob/master/LO.md",
                           target="_blank", rel="noopener", title="licence etalab-2.0 — nouvelle fenêtre"),
                ])),
            ]),
        ]))


# Links keep the filters: their href is the path plus the current query string (assets/wif.js); on a public
# page they lead to the public home instead.
clientside_callback(
    ClientsideFunction("wif", "withQuery"),
    Output({"type": "wif-link", "path": ALL, "place": ALL}, "href"),
    Input("url", "search"),
    Input("url", "pathname"),
    State("public-paths", "data"),
)
# The public shell on public pages (assets/wif.js): menu and its skip link hidden; for a logged-in user, the
# filter bar too (the shell of a visitor who is not logged in has none).
clientside_callback(
    ClientsideFunction("wif", "onPublicPage"),
    Output("wif-navbar", "hidden"),
    Output("wif-modal-menu", "hidden"),
    Output("skip-navigation", "hidden"),
    Input("_pages_location", "pathname"),    # the pages router's location: in both shells
    State("public-paths", "data"),
)
clientside_callback(
    ClientsideFunction("wif", "onPublicPage"),
    Output("shell-internal", "hidden"),
    Input("url", "pathname"),
    State("public-paths", "data"),
)
# Marks the current page in the navigation and closes open menus after an in-app navigation (assets/wif.js).
clientside_callback(
    ClientsideFunction("wif", "markCurrentPage"),
    Output("nav-current", "data"),
    Input("url", "pathname"),
)
