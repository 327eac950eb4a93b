"""Who may see what: every page and every callback is internal unless it belongs to a public page.

Public, with no login: the pages listed in ``PUBLIC_PAGES`` (the public statistics and the login page),
the server callbacks defined in those pages' modules, the Dash pages router (whose page layouts are guarded,
see ``_guard_layouts``), and what the Dash client needs to start (``PUBLIC_PREFIXES``: static files,
component bundles, the shell layout and the callback list, which hold no figure). Everything else — any
other page, any other callback, any route added later — answers the login page (pages) or HTTP 401
(callbacks) to an anonymous client. A new page is therefore internal by default.

The session is Flask's signed cookie (``WIF_SECRET_KEY``): HttpOnly, SameSite=Lax, Secure whenever the
request came over HTTPS (behind a proxy, set ``WIF_TRUSTED_PROXIES`` so its X-Forwarded-Proto is trusted).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import dash
from flask import Flask, Response, has_request_context, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from metrics import db, meta
from security.headers import content_security_policy, script_hash, security_headers
from security.throttle import Throttle
from security.users import Accounts, ConfigError, demo_mode

LOGIN_PATH = "/connexion"
LOGOUT_PATH = "/deconnexion"
PUBLIC_PAGES = ("/statistiques", LOGIN_PATH)
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_dash-layout", "/_dash-dependencies", "/_reload-hash",
                   "/_favicon.ico")
CALLBACK_PATH = "/_dash-update-component"
FRAMEWORK_CALLBACK_MODULES = ("dash.dash",)   # the pages router; page layouts are guarded one by one
SESSION_HOURS = 12
MIN_SECRET_LENGTH = 32
log = logging.getLogger("wif.security")


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the Secure flag whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def secret_key(environ: Mapping[str, str]) -> str:
    """``WIF_SECRET_KEY``; in demo mode without it, a random key kept in the warehouse's folder."""
    key = (environ.get("WIF_SECRET_KEY") or "").strip()
    if key:
        if len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"WIF_SECRET_KEY trop courte (au moins {MIN_SECRET_LENGTH} caractères, par exemple "
                              "python -c 'import secrets; print(secrets.token_hex(32))')")
        return key
    if not demo_mode(environ):
        raise ConfigError("WIF_SECRET_KEY manquante : la clé qui signe les sessions est obligatoire hors mode "
                          "démonstration (python -c 'import secrets; print(secrets.token_hex(32))')")
    return _demo_key(db.database_path().parent / ".wif-secret-key")


def _demo_key(path: Path) -> str:
    """Read the key file, or create it atomically (gunicorn workers start together)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}")
        tmp.write_text(secrets.token_hex(32), encoding="utf-8")
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)          # fails if another worker was first: its key wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def demo_data() -> bool:
    """The served warehouse holds demonstration data."""
    try:
        return meta.freshness().is_demo
    except db.WarehouseMissing:
        return False


def demo_offered() -> bool:
    """The demo account is open: demo mode and demonstration data served."""
    return demo_mode() and demo_data()


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site): ``/delais?du=…``, else ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def login_url(target: str, error: str | None = None) -> str:
    """The login page, remembering where to go next (and why the last attempt failed)."""
    params = {"suivant": target} if target != "/" else {}
    if error:
        params["erreur"] = error
    return LOGIN_PATH + ("?" + urlencode(params, quote_via=quote) if params else "")


class Access:
    """The access rules of one app (see the module docstring)."""

    def __init__(self, app: dash.Dash, accounts: Accounts, throttle: Throttle, inline_scripts: tuple[str, ...] = ()):
        self.app = app
        self.accounts = accounts
        self.throttle = throttle
        self.inline_scripts = inline_scripts   # inline scripts of the index template, allowed by hash
        self._csp: str | None = None
        self._csp_lock = threading.Lock()

    def csp(self) -> str:
        """The CSP, computed once every inline script is known (Dash adds the router's at the first request)."""
        with self._csp_lock:
            if self._csp is None:
                hashes = [*self.app.csp_hashes(), *(script_hash(s) for s in self.inline_scripts)]
                self._csp = content_security_policy(hashes)
            return self._csp

    # ------------------------------------------------------------------ who is there
    def user(self) -> str | None:
        """Login of the current request's session, if it is still a valid account."""
        login = session.get("user")
        if not login or not self.accounts.exists(login, demo_data()):
            return None
        return login

    # ------------------------------------------------------------------ what is public
    def public_page(self, path: str) -> bool:
        return self.app.strip_relative_path(path) in {self.app.strip_relative_path(p) for p in PUBLIC_PAGES}

    def public_callback(self, output: str) -> bool:
        """The callback answering ``output`` is defined by a public page (or is the pages router)."""
        entry = self.app.callback_map.get(output)
        module = getattr(entry.get("callback"), "__module__", None) if entry else None
        public_modules = {page["module"] for page in dash.page_registry.values() if self.public_page(page["path"])}
        return module in public_modules or module in FRAMEWORK_CALLBACK_MODULES

    # ------------------------------------------------------------------ request hooks
    def guard(self) -> Response | None:
        """``before_request``: anonymous requests for anything internal are turned away."""
        path = request.path
        if path.startswith(PUBLIC_PREFIXES) or path == LOGOUT_PATH:
            return None
        user = self.user()
        if path == CALLBACK_PATH:
            payload = request.get_json(silent=True)
            output = payload.get("output") if isinstance(payload, dict) else None
            if user or (isinstance(output, str) and self.public_callback(output)):
                return None
            return Response('{"message": "Connexion requise"}', status=401, mimetype="application/json")
        if path == LOGIN_PATH and request.method == "GET" and user:
            return redirect(safe_next(request.args.get("suivant")))
        if user or self.public_page(path):
            return None
        if request.method != "GET":
            return Response("Connexion requise", status=401, mimetype="text/plain")
        target = request.full_path.rstrip("?")
        return redirect(login_url(safe_next(target)))

    def headers(self, response: Response) -> Response:
        """``after_request``: security headers; internal answers are never cached."""
        for name, value in security_headers(self.csp()).items():
            response.headers.setdefault(name, value)
        if not request.path.startswith(("/assets/", "/_dash-component-suites/")):
            response.headers["Cache-Control"] = "no-store"
        return response

    # ------------------------------------------------------------------ login and logout
    def login(self) -> Response:
        """POST /connexion: check the credentials (throttled), open the session, go where asked."""
        target = safe_next(request.form.get("suivant"))
        if not _same_origin():
            return redirect(login_url(target, "origine"), 303)
        login = (request.form.get("identifiant") or "").strip()[:64]
        password = (request.form.get("motdepasse") or "")[:1024]
        client = request.remote_addr or "inconnu"
        wait = self.throttle.retry_after(client, login)
        if wait > 0:
            log.warning("connexion refusée : trop d'échecs récents depuis cette adresse (%.0f s)", wait)
            response = redirect(login_url(target, "limite"), 303)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        if not login or not self.accounts.check(login, password, demo_data()):
            self.throttle.failed(client, login)
            log.info("connexion refusée : identifiants incorrects")
            return redirect(login_url(target, "identifiants"), 303)
        self.throttle.succeeded(client, login)
        session.clear()
        session["user"] = login
        session.permanent = True
        return redirect(target, 303)

    def logout(self) -> Response:
        """POST /deconnexion: close the session."""
        if _same_origin():
            session.clear()
        return redirect(LOGIN_PATH, 303)


def _same_origin() -> bool:
    """A form POST from this site (browsers send Origin on POST; a missing one is accepted)."""
    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/") == request.host_url.rstrip("/")


def _guard_layouts(access: Access) -> None:
    """Wrap the layout of every non-public page: an anonymous visitor gets the login prompt instead."""
    from components.login import login_required

    for page in dash.page_registry.values():
        if access.public_page(page["path"]) or getattr(page["layout"], "guarded", False):
            continue
        inner = page["layout"]

        def guarded(_inner=inner, _path=page["path"], **query):
            if not has_request_context() or access.user() is None:
                return login_required(login_url(_path))
            return _inner(**query) if callable(_inner) else _inner

        guarded.guarded = True
        page["layout"] = guarded


def install(app: dash.Dash, inline_scripts: tuple[str, ...] = (), environ: Mapping[str, str] | None = None) -> Access:
    """Configure sessions, the access guard, login routes and security headers; raise ConfigError if the
    configuration is incomplete (no account, no secret key outside demo mode)."""
    env = os.environ if environ is None else environ
    accounts = Accounts.from_env(env)
    server: Flask = app.server
    server.secret_key = secret_key(env)
    server.session_interface = _SessionInterface()
    server.config.update(SESSION_COOKIE_NAME="wif_session", SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))
    proxies = (env.get("WIF_TRUSTED_PROXIES") or "").strip()
    if proxies:
        if not proxies.isdigit():
            raise ConfigError(f"WIF_TRUSTED_PROXIES doit être un nombre de mandataires (reçu {proxies!r})")
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=int(proxies), x_proto=int(proxies), x_host=int(proxies))
    throttle_path = Path(env.get("WIF_THROTTLE_DB") or db.database_path().parent / "connexions.sqlite")
    access = Access(app, accounts, Throttle(throttle_path), tuple(inline_scripts))
    server.before_request(access.guard)
    server.after_request(access.headers)
    server.add_url_rule(LOGIN_PATH, "wif_login", access.login, methods=["POST"])
    server.add_url_rule(LOGOUT_PATH, "wif_logout", access.logout, methods=["POST"])
    _guard_layouts(access)
    return access
