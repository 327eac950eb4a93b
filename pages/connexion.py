"""Connexion: the login form of the internal pages (public; the form posts to the Flask route)."""

import dash

from components.login import login_form
from security.access import demo_offered, safe_next
from security.users import DEMO_LOGIN, DEMO_PASSWORD

dash.register_page(__name__, path="/connexion", name="Connexion", title="Connexion — WIF statistiques")


def layout(suivant: str | None = None, erreur: str | None = None, **_query):
    demo = (DEMO_LOGIN, DEMO_PASSWORD) if demo_offered() else None
    return login_form(safe_next(suivant), erreur, demo)
