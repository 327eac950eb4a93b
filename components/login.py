"""The login form (DSFR), the prompt shown instead of an internal page, and the header's account tools.

The form is a plain HTML form posting to the Flask route ``/connexion`` (``security.access``): it works
without the Dash client, and the password never passes through a callback.
"""

from __future__ import annotations

from dash import dcc, html

ERRORS = {
    "identifiants": "Identifiant ou mot de passe incorrect.",
    "limite": "Trop de tentatives de connexion échouées : réessayez dans un quart d'heure.",
    "origine": "La demande de connexion ne venait pas de ce site : recommencez depuis ce formulaire.",
}


def _input(label: str, name: str, input_type: str, autocomplete: str) -> html.Div:
    field_id = f"connexion-{name}"
    return html.Div(className="fr-input-group", children=[
        html.Label(label, htmlFor=field_id, className="fr-label"),
        dcc.Input(id=field_id, name=name, type=input_type, required=True, autoComplete=autocomplete,
                  className="fr-input", debounce=True),
    ])


def login_form(target: str, error: str | None, demo: tuple[str, str] | None) -> html.Div:
    """The login form; ``target`` is where to go after login, ``demo`` the demo (login, password) if offered."""
    children = [html.H1("Connexion", className="fr-mt-4w fr-mb-2w"),
                html.P("Les pages de pilotage sont réservées aux équipes du service. Les statistiques publiques "
                       "restent ouvertes à tous.", className="fr-mb-3w")]
    if error in ERRORS:
        children.append(html.Div(html.P(ERRORS[error]), className="fr-alert fr-alert--error fr-alert--sm fr-mb-3w",
                                 role="alert", id="connexion-erreur"))
    if demo:
        children.append(html.Div(id="connexion-demo", className="fr-alert fr-alert--info fr-alert--sm fr-mb-3w",
                                 children=html.P([
                                     "Démonstration : compte ", html.Strong(demo[0]), ", mot de passe ",
                                     html.Strong(demo[1]), ". Ce compte n'existe qu'avec les données de "
                                     "démonstration."])))
    children.append(html.Form(action="/connexion", method="POST", id="connexion-form", children=[
        html.Fieldset(className="fr-fieldset", children=[
            html.Legend("Identifiez-vous", className="fr-fieldset__legend"),
            html.Div(_input("Identifiant", "identifiant", "text", "username"), className="fr-fieldset__element"),
            html.Div(_input("Mot de passe", "motdepasse", "password", "current-password"),
                     className="fr-fieldset__element"),
            dcc.Input(type="hidden", name="suivant", value=target, id="connexion-suivant"),
            html.Div(html.Button("Se connecter", type="submit", className="fr-btn", id="connexion-bouton"),
                     className="fr-fieldset__element"),
        ]),
    ]))
    children.append(html.P(dcc.Link("Voir les statistiques publiques", href="/statistiques", className="fr-link"),
                           className="fr-mt-3w"))
    return html.Div(className="fr-grid-row fr-grid-row--center", children=html.Div(
        className="fr-col-12 fr-col-md-8 fr-col-lg-6", id="page-connexion", children=children))


def login_required(url: str) -> html.Div:
    """Shown instead of an internal page to a visitor who is not logged in."""
    return html.Div(id="connexion-requise", className="fr-my-6w", children=[
        html.H1("Connexion requise"),
        html.P("Cette page est réservée aux équipes du service."),
        html.A("Se connecter", href=url, className="fr-btn"),
    ])


def account_tools(user: str | None) -> html.Div:
    """Header tools: who is logged in and a logout button, or a login link."""
    if user is None:
        items = [html.Li(html.A("Se connecter", href="/connexion", id="wif-login-link",
                                className="fr-btn fr-icon-lock-line"))]
    else:
        items = [
            html.Li(html.Span(user, id="wif-user", className="fr-btn fr-icon-account-circle-line")),
            html.Li(html.Form(action="/deconnexion", method="POST", children=html.Button(
                "Se déconnecter", type="submit", id="wif-logout", className="fr-btn fr-icon-logout-box-r-line"))),
        ]
    return html.Div(className="fr-header__tools", children=html.Div(
        className="fr-header__tools-links", children=html.Ul(items, className="fr-btns-group")))
