"""Access control and HTTP hardening of the app: login, public allowlist, failed-login throttle, headers.

``install(app)`` wires everything onto the Dash app (see ``security.access`` for what is public).
"""

from security.access import install

__all__ = ["install"]
