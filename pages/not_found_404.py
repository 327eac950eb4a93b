"""French 404 page (DSFR error page pattern); Dash Pages shows it for every unknown path."""

import dash
from dash import html

from components.layout import page_link

dash.register_page(__name__, path="/404", name="Page non trouvée", title="Page non trouvée — WIF statistiques")


def layout(**_query):
    return html.Div(className="fr-my-7w fr-mt-md-12w fr-mb-md-10w", id="page-404", children=[
        html.H1("Page non trouvée"),
        html.P("Erreur 404", className="fr-text--sm fr-mb-3w"),
        html.P("La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.",
               className="fr-text--lead fr-mb-3w"),
        html.P("Si vous avez tapé l'adresse web dans le navigateur, vérifiez qu'elle est correcte. La page n'est "
               "peut-être plus disponible. Dans ce cas, pour continuer votre visite, vous pouvez consulter la page "
               "d'accueil ou utiliser le menu.", className="fr-text--sm fr-mb-5w"),
        html.Ul(className="fr-btns-group fr-btns-group--inline-md", children=html.Li(
            page_link("/", "Page d'accueil", place="404", className="fr-btn"))),
    ])
