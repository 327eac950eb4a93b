"""Access control, login, throttle and headers, through the real app's Flask server (no browser)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import dash
import pytest

from metrics import db
from metrics.filters import default_period
from security.access import PUBLIC_PAGES, safe_next
from security.throttle import MAX_PER_LOGIN, Throttle
from security.users import DEMO_LOGIN, DEMO_PASSWORD, Accounts, ConfigError, parse_accounts
from tests.browser import REPO, SESSION_COOKIE, TEST_LOGIN, TEST_PASSWORD, logged_in_client, session_cookie

UPDATE = "/_dash-update-component"


@pytest.fixture(scope="module")
def app_module(shell_db):
    import app

    db.use_database(shell_db)
    app.server.test_client().get("/statistiques")     # first request: Dash registers the pages router
    yield app
    db.use_database(None)


@pytest.fixture
def throttle(app_module, tmp_path, monkeypatch):
    fresh = Throttle(tmp_path / "connexions.sqlite")
    monkeypatch.setattr(app_module.access, "throttle", fresh)
    return fresh


def server_callbacks(app_module) -> dict[str, dict]:
    return {key: entry for key, entry in app_module.app.callback_map.items() if entry.get("callback")}


def payload(app_module, key: str, values: dict | None = None) -> dict:
    """The body the Dash client posts for callback ``key``; ``values`` by ``"id.property"`` (None otherwise)."""
    entry = app_module.app.callback_map[key]
    values = values or {}

    def items(deps):
        return [{"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}
                for d in deps]

    outputs = [{"id": o.component_id, "property": o.component_property} for o in entry["output"]] \
        if isinstance(entry["output"], list) else {"id": entry["output"].component_id,
                                                   "property": entry["output"].component_property}
    outputs = json.loads(json.dumps(outputs, default=str))      # pattern ids: MATCH/ALL as the client sends them
    return {"output": key, "outputs": outputs, "inputs": items(entry["inputs"]), "state": items(entry["state"]),
            "changedPropIds": []}


def page_modules(public: bool) -> set[str]:
    return {p["module"] for p in dash.page_registry.values() if (p["path"] in PUBLIC_PAGES) == public}


# ---------------------------------------------------------------- pages
def test_anonymous_client_is_sent_to_the_login_page_for_every_internal_page(app_module):
    client = app_module.server.test_client()
    internal = [p["path"] for p in dash.page_registry.values() if p["path"] not in PUBLIC_PAGES]
    assert {"/", "/delais", "/rapports", "/alertes", "/impact"} <= set(internal)
    for path in [*internal, "/page-inventee", "/delais?du=2025-01-01&dep=75"]:
        response = client.get(path)
        assert response.status_code == 302, path
        location = urlsplit(response.headers["Location"])
        assert location.path == "/connexion"
        assert parse_qs(location.query).get("suivant", ["/"]) == [path]
        assert "_dash-config" not in response.get_data(as_text=True)      # not the app, only a redirect


def test_public_pages_and_what_the_dash_client_needs_stay_open(app_module):
    client = app_module.server.test_client()
    for path in ("/statistiques", "/connexion", "/_dash-layout", "/_dash-dependencies", "/assets/wif.css",
                 "/assets/dsfr/dsfr.min.css"):
        assert client.get(path).status_code == 200, path


def test_anonymous_shell_holds_no_filter_options_nor_internal_navigation(app_module):
    def layout(client) -> str:
        return json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)

    anonymous = layout(app_module.server.test_client())
    logged = layout(logged_in_client(app_module.server))
    assert "filter-dep" in logged and "/delais" in logged and "69 – Rhône" in logged
    assert "filter-dep" not in anonymous and '"filters"' not in anonymous
    assert "/delais" not in anonymous and "Rhône" not in anonymous
    assert "/statistiques" in anonymous and "Se connecter" in anonymous
    assert "freshness" in anonymous


def test_the_index_page_embeds_no_page_layout(app_module):
    """Dash would put every page's layout in the index ("validation layout"): not with callbacks suppressed."""
    html = app_module.server.test_client().get("/statistiques").get_data(as_text=True)
    assert "validation_layout" not in html and "delais-" not in html


# ---------------------------------------------------------------- callbacks
def test_every_internal_callback_refuses_an_anonymous_client(app_module):
    client = app_module.server.test_client()
    callbacks = server_callbacks(app_module)
    public_modules = page_modules(public=True) | {"dash.dash"}
    internal = {key for key, entry in callbacks.items() if entry["callback"].__module__ not in public_modules}
    # 31 internal callbacks since each page answers a block of figures per callback (60+ before)
    assert len(internal) > 25 and any(k.startswith("..url.search") for k in internal)   # the filter bar's too
    for key in internal:
        response = client.post(UPDATE, json=payload(app_module, key))
        assert response.status_code == 401, key
        assert response.get_json() == {"message": "Connexion requise"}
    unknown = client.post(UPDATE, json={"output": "inconnu.children", "inputs": []})
    assert unknown.status_code == 401
    assert client.post(UPDATE, data="pas du json", content_type="application/json").status_code == 401


def test_internal_callback_data_only_with_a_session(app_module, shell_db):
    from metrics import meta

    key = "..home-kpis.children...home-period.children.."
    start, end = default_period(meta.freshness().data_end)
    body = payload(app_module, key, {"filters.data": {"du": start.isoformat(), "au": end.isoformat()},
                                     "home-unit.value": "working"})
    anonymous = app_module.server.test_client().post(UPDATE, json=body)
    assert anonymous.status_code == 401 and "home-kpis" not in anonymous.get_data(as_text=True)
    logged = logged_in_client(app_module.server).post(UPDATE, json=body)
    assert logged.status_code == 200 and "Dossiers déposés" in json.dumps(logged.get_json(), ensure_ascii=False)


def test_public_callbacks_answer_an_anonymous_client(app_module):
    client = app_module.server.test_client()
    public = [k for k, e in server_callbacks(app_module).items() if e["callback"].__module__ == "pages.statistiques"
              and e["inputs"][0]["id"] == "stats-load"]
    assert len(public) == 7
    for key in public:
        response = client.post(UPDATE, json=payload(app_module, key, {"stats-load.data": "public"}))
        assert response.status_code == 200, key


@pytest.mark.parametrize("path", ["/delais", "/rapports", "/page-inventee"])
def test_the_pages_router_gives_an_anonymous_client_the_login_prompt_only(app_module, path):
    key = ".._pages_content.children..._pages_store.data.."
    body = payload(app_module, key, {"_pages_location.pathname": path, "_pages_location.search": ""})
    anonymous = app_module.server.test_client().post(UPDATE, json=body).get_data(as_text=True)
    assert "connexion-requise" in anonymous and "delais-" not in anonymous and "rapports-" not in anonymous
    logged = logged_in_client(app_module.server).post(UPDATE, json=body).get_data(as_text=True)
    assert "connexion-requise" not in logged
    stats = payload(app_module, key, {"_pages_location.pathname": "/statistiques", "_pages_location.search": ""})
    assert "page-statistiques" in app_module.server.test_client().post(UPDATE, json=stats).get_data(as_text=True)


# ---------------------------------------------------------------- login and logout
def login(client, password=TEST_PASSWORD, user=TEST_LOGIN, target="/delais?du=2025-01-01", **kwargs):
    return client.post("/connexion", data={"identifiant": user, "motdepasse": password, "suivant": target}, **kwargs)


def test_login_opens_a_session_and_goes_where_asked(app_module, throttle):
    client = app_module.server.test_client()
    wrong = login(client, "faux")
    assert wrong.status_code == 303
    assert parse_qs(urlsplit(wrong.headers["Location"]).query) == {"suivant": ["/delais?du=2025-01-01"],
                                                                   "erreur": ["identifiants"]}
    assert client.get("/delais").status_code == 302
    right = login(client)
    assert right.status_code == 303 and right.headers["Location"] == "/delais?du=2025-01-01"
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie                                  # plain HTTP: the browser would drop it
    assert client.get("/delais").status_code == 200
    assert client.get("/connexion?suivant=/contrats").headers["Location"] == "/contrats"   # already logged in
    assert client.post("/deconnexion").headers["Location"] == "/connexion"
    assert client.get("/delais").status_code == 302


def test_session_cookie_is_secure_over_https(app_module, throttle):
    response = login(app_module.server.test_client(), base_url="https://stats.example.fr")
    assert response.status_code == 303 and "Secure" in response.headers["Set-Cookie"]


def test_failed_logins_are_throttled_per_address_and_login(app_module, throttle):
    client = app_module.server.test_client()
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    for _ in range(MAX_PER_LOGIN):
        assert "erreur=identifiants" in login(client, "essai", environ_base=attacker).headers["Location"]
    refused = login(client, environ_base=attacker)              # even the right password is not checked now
    assert "erreur=limite" in refused.headers["Location"] and int(refused.headers["Retry-After"]) > 800
    assert client.get("/delais", environ_base=attacker).status_code == 302
    assert login(client, environ_base={"REMOTE_ADDR": "198.51.100.2"}).headers["Location"] == "/delais?du=2025-01-01"


def test_throttle_window_and_success_reset(tmp_path):
    now = [1000.0]
    throttle = Throttle(tmp_path / "t.sqlite", clock=lambda: now[0])
    for _ in range(MAX_PER_LOGIN - 1):
        throttle.failed("1.2.3.4", "Alice")
    assert throttle.retry_after("1.2.3.4", "alice") == 0
    throttle.failed("1.2.3.4", "alice")
    assert throttle.retry_after("1.2.3.4", "ALICE") == pytest.approx(900)
    assert throttle.retry_after("1.2.3.5", "alice") == 0
    now[0] += 901
    assert throttle.retry_after("1.2.3.4", "alice") == 0
    throttle.failed("1.2.3.4", "alice")
    throttle.succeeded("1.2.3.4", "alice")
    assert throttle.retry_after("1.2.3.4", "alice") == 0
    assert "alice" not in (tmp_path / "t.sqlite").read_bytes().decode("latin-1")   # keys are hashed


def test_login_form_from_another_site_is_refused(app_module, throttle):
    response = login(app_module.server.test_client(), headers={"Origin": "https://ailleurs.example"})
    assert "erreur=origine" in response.headers["Location"] and "Set-Cookie" not in response.headers


@pytest.mark.parametrize("target", ["//ailleurs.example/x", "https://ailleurs.example", "/\\ailleurs.example",
                                    "javascript:alert(1)", "", None])
def test_no_redirect_off_site_after_login(target):
    assert safe_next(target) == "/"


def test_a_removed_account_loses_its_session(app_module):
    client = app_module.server.test_client()
    client.set_cookie(SESSION_COOKIE, session_cookie("ancien-compte"))
    assert client.get("/delais").status_code == 302


# ---------------------------------------------------------------- accounts and configuration
def test_accounts_from_environment_and_file(tmp_path):
    file = tmp_path / "comptes"
    file.write_text("# équipe\nbob:pbkdf2:sha256:1000$s$abc\n", encoding="utf-8")
    accounts = Accounts.from_env({"WIF_USERS": "alice:scrypt:32768:8:1$s$abc, carol:pbkdf2:sha256:1000$s$d",
                                  "WIF_USERS_FILE": str(file)})
    assert set(accounts.hashes) == {"alice", "bob", "carol"} and not accounts.demo
    with pytest.raises(ConfigError, match="aucun compte"):
        Accounts.from_env({})
    with pytest.raises(ConfigError, match="entrée n° 1 invalide"):
        parse_accounts("alice:motdepasse-en-clair", "WIF_USERS")
    with pytest.raises(ConfigError, match="réservé"):
        parse_accounts("demo:pbkdf2:sha256:1000$s$abc", "WIF_USERS")
    with pytest.raises(ConfigError, match="illisible"):
        Accounts.from_env({"WIF_USERS_FILE": str(tmp_path / "absent")})


def test_demo_account_only_in_demo_mode_and_with_demo_data():
    demo = Accounts.from_env({"WIF_DEMO": "1"})
    assert demo.check(DEMO_LOGIN, DEMO_PASSWORD, demo_data=True)
    assert not demo.check(DEMO_LOGIN, DEMO_PASSWORD, demo_data=False)
    assert not demo.exists(DEMO_LOGIN, demo_data=False)
    production = Accounts.from_env({"WIF_USERS": "alice:pbkdf2:sha256:1000$s$abc"})
    assert not production.check(DEMO_LOGIN, DEMO_PASSWORD, demo_data=True)


@pytest.mark.parametrize(("env", "message"), [
    ({"WIF_SECRET_KEY": "x" * 40}, "aucun compte configuré"),
    ({"WIF_USERS": "alice:pbkdf2:sha256:1000$s$abc"}, "WIF_SECRET_KEY manquante"),
    ({"WIF_USERS": "alice:pbkdf2:sha256:1000$s$abc", "WIF_SECRET_KEY": "court"}, "WIF_SECRET_KEY trop courte"),
])
def test_production_mode_refuses_to_start_without_accounts_or_secret(env, message, tmp_path):
    base = {"PATH": "/usr/bin:/bin", "WIF_DB": str(tmp_path / "wif.duckdb")}
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=REPO, env={**base, **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and message in result.stderr


def test_hash_helper_prints_a_line_the_app_accepts(monkeypatch, capsys):
    from werkzeug.security import check_password_hash

    from security.__main__ import main

    monkeypatch.setattr("getpass.getpass", lambda prompt: "un mot de passe assez long")
    assert main(["hash", "alice"]) == 0
    line = capsys.readouterr().out.strip()
    accounts = parse_accounts(line, "WIF_USERS")
    assert check_password_hash(accounts["alice"], "un mot de passe assez long")
    assert main(["hash", DEMO_LOGIN]) == 2


# ---------------------------------------------------------------- headers
def test_security_headers_and_csp_hashes_of_every_inline_script(app_module):
    response = logged_in_client(app_module.server).get("/delais")
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin" and headers["Cache-Control"] == "no-store"
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in csp["script-src"] and "unsafe-eval" not in csp["script-src"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>",
                        response.get_data(as_text=True), re.S)
    assert len(inline) >= 3
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"], script[:60]
    assets = app_module.server.test_client().get("/assets/wif.css").headers
    assert assets["X-Content-Type-Options"] == "nosniff" and "no-store" not in assets.get("Cache-Control", "")
