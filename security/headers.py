"""Security headers of every response.

The Content-Security-Policy allows scripts from the app's origin plus the exact inline scripts Dash writes
in the index page (the renderer start-up, clientside callbacks, ``window.dsfr`` settings), by hash
(``Dash.csp_hashes``); no ``unsafe-eval``. Styles allow ``unsafe-inline`` because Plotly inserts ``<style>``
elements at run time. Framing is refused (``frame-ancestors 'none'`` and ``X-Frame-Options``).
"""

from __future__ import annotations

import base64
import hashlib


def script_hash(script: str) -> str:
    """CSP source of one inline script: ``'sha256-…'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(script_hashes: list[str]) -> str:
    """The CSP header value."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(csp: str) -> dict[str, str]:
    """Headers added to every response."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
