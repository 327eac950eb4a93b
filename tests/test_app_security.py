"""Login and security headers in a real browser: no CSP violation anywhere, public page open, demo account."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from components.layout import nav_paths
from tests.browser import open_app, run_app, screenshot, settle
from tests.factories import make_warehouse

pytestmark = pytest.mark.browser

# Records every Content-Security-Policy violation the page reports (besides the console error it logs).
CSP_PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
    e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile));
"""


@pytest.fixture(scope="module")
def shell(app_server, shell_db):
    return app_server(shell_db)


def violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def test_every_page_works_under_the_csp_without_a_violation(page, shell):
    page.add_init_script(CSP_PROBE)
    for path in nav_paths():
        response = page.goto(shell.url(path))
        settle(page)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert page.query_selector("#connexion-requise") is None, path
        assert violations(page) == [], path
    assert page.inner_text("#wif-user") == "testeur"


def test_anonymous_visitor_gets_the_public_page_and_the_login_form_only(anonymous_page, shell):
    page = anonymous_page
    page.add_init_script(CSP_PROBE)
    open_app(page, shell.url("/statistiques"))
    assert page.inner_text("#stats-kpi-deposes")
    assert page.is_visible("#wif-login-link")
    hrefs = page.eval_on_selector_all("#navigation a", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs == ["/statistiques"]
    assert page.query_selector("#filter-bar") is None
    page.goto(shell.url("/delais?dep=69"))
    page.wait_for_selector("#page-connexion")
    assert urlparse(page.url).path == "/connexion"
    assert page.query_selector("#connexion-demo") is None          # production mode: no demo account
    page.fill("#connexion-identifiant", "testeur")
    page.fill("#connexion-motdepasse", "pas le bon")
    page.click("#connexion-bouton")
    page.wait_for_selector("#connexion-erreur")
    assert "incorrect" in page.inner_text("#connexion-erreur")
    assert violations(page) == []


@pytest.fixture(scope="module")
def demo_server(demo_db):
    """The demo warehouse served in demo mode, as ``make run`` does: no account, no secret configured."""
    with run_app(demo_db, env={"WIF_DEMO": "1", "WIF_USERS": "", "WIF_SECRET_KEY": ""}) as server:
        yield server


def test_demo_account_opens_the_internal_pages(anonymous_page, demo_server):
    page = anonymous_page
    page.goto(demo_server.url("/delais?dep=75"))
    page.wait_for_selector("#connexion-demo")
    page.wait_for_load_state("networkidle")
    assert "compte demo, mot de passe demo" in page.inner_text("#connexion-demo")
    screenshot(page, "connexion")
    page.fill("#connexion-identifiant", "demo")
    page.fill("#connexion-motdepasse", "demo")
    page.click("#connexion-bouton")
    page.wait_for_url(lambda url: urlparse(url).path == "/delais")
    settle(page)
    assert urlparse(page.url).query == "dep=75"
    assert page.inner_text("#wif-user") == "demo" and page.is_visible("#delais-kpis")
    screenshot(page, "delais-connecte")
    page.click("#wif-logout")
    page.wait_for_selector("#page-connexion")
    open_app(page, demo_server.url("/statistiques"))
    assert page.is_visible("#wif-login-link")


def test_demo_mode_on_real_data_offers_no_demo_account(anonymous_page, tmp_path_factory):
    real = make_warehouse(tmp_path_factory.mktemp("reel"))
    with run_app(real, env={"WIF_DEMO": "1", "WIF_USERS": "", "WIF_SECRET_KEY": ""}) as server:
        page = anonymous_page
        page.goto(server.url("/connexion"))
        page.wait_for_selector("#page-connexion")
        page.wait_for_load_state("networkidle")
        assert page.query_selector("#connexion-demo") is None
        page.fill("#connexion-identifiant", "demo")
        page.fill("#connexion-motdepasse", "demo")
        page.click("#connexion-bouton")
        page.wait_for_selector("#connexion-erreur")
