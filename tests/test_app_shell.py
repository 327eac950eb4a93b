"""The app shell: assets, French page frame, filter bar ⇄ URL, notices, freshness, demo badge, 404, navigation."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import dash
import pytest

from components import format as fmt
from components.layout import nav_paths
from metrics import db, meta
from metrics.filters import default_period
from tests.browser import open_app, settle
from tests.factories import make_warehouse

NBSP = "\u00a0"


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


# ---------------------------------------------------------------- server side, no browser
def test_index_is_french_and_loads_only_the_chosen_assets_in_order():
    import app

    html = app.server.test_client().get("/").get_data(as_text=True)
    assert '<html lang="fr"' in html
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"?]+)', html)
    assert stylesheets[0] == "/assets/dsfr/dsfr.min.css" and stylesheets[-1] == "/assets/wif.css"
    own = [s for s in stylesheets[1:-1] if not s.startswith("/assets/dsfr/utility/icons/")]
    assert own == ["/assets/print.css"] and len(stylesheets) <= 7      # DSFR icons, then the print stylesheet
    scripts = re.findall(r'<script src="([^"?]+)', html)
    dsfr = [s for s in scripts if "/dsfr/" in s]
    assert dsfr == ["/assets/dsfr/dsfr.module.min.js"]               # once, and never the polyfilled build
    assert scripts.index("/assets/wif.js") < next(i for i, s in enumerate(scripts) if "dash_renderer" in s)
    assert html.index('window.dsfr = {mode: "react"') < html.index("dsfr.module.min.js")


def test_every_page_layout_accepts_the_filter_query_parameters():
    """Dash Pages passes the URL query to layout functions: every page must accept (and ignore) it."""
    import app  # noqa: F401  (registers the pages)

    query = {"du": "2025-01-01", "au": "2025-12-31", "dep": "75", "public": "etudiant", "contrat": "cdd"}
    for page in dash.page_registry.values():
        layout = page["layout"]
        assert layout(**query) if callable(layout) else layout, page["module"]


def test_unknown_paths_answer_http_404_and_known_pages_200():
    import app

    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/cette-page-n-existe-pas").status_code == 404
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/assets/wif.css").status_code == 200


def test_nav_lists_every_page_of_the_contract():
    assert nav_paths() == ["/", "/demarches", "/delais", "/contrats", "/decisions", "/audience", "/parcours",
                           "/temps-de-demarche", "/rapports", "/alertes", "/impact", "/statistiques"]


# ---------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def shell(app_server, shell_db):
    return app_server(shell_db)


@pytest.fixture(scope="module")
def shell_meta(shell_db):
    db.use_database(shell_db)
    try:
        return meta.freshness(), meta.departement_options(), meta.contract_options()
    finally:
        db.use_database(None)


@pytest.mark.browser
def test_french_404_page(page, shell):
    response = page.goto(shell.url("/cette-page-n-existe-pas"))
    settle(page)
    assert response.status == 404
    assert page.inner_text("h1") == "Page non trouvée"
    assert "Erreur 404" in page.inner_text("#page-404")
    assert page.title() == "Page non trouvée — WIF statistiques"
    page.get_by_role("link", name="Page d'accueil").click()
    page.wait_for_selector("#page-home")
    assert urlparse(page.url).path == "/"


@pytest.mark.browser
def test_url_is_read_into_the_controls(page, shell):
    open_app(page, shell.url("/?du=2024-03-01&au=2024-06-30&dep=69&public=employeur&contrat=cdd,doctorat"))
    assert page.input_value("#filter-start") == "01/03/2024"
    assert page.input_value("#filter-end") == "30/06/2024"
    assert page.inner_text("#filter-dep") == "69 – Rhône"
    assert page.eval_on_selector("#filter-public input:checked", "e => e.value") == "employeur"
    assert "CDD" in page.inner_text("#filter-contract") and "2" in page.inner_text("#filter-contract")
    assert page.query_selector("#filter-notices .fr-alert") is None
    hrefs = page.eval_on_selector_all("#navigation a", "els => els.map(e => e.getAttribute('href'))")
    assert "/delais?du=2024-03-01&au=2024-06-30&dep=69&public=employeur&contrat=cdd,doctorat" in hrefs


@pytest.mark.browser
def test_controls_write_the_url_and_back_undoes(page, shell, shell_meta):
    fresh, _, _ = shell_meta
    open_app(page, shell.url("/"))
    assert urlparse(page.url).query == ""                     # opening a page adds no history entry
    start, end = default_period(fresh.data_end)               # the last 12 months of data
    assert page.input_value("#filter-start") == fmt.fmt_date_short(start)
    assert page.input_value("#filter-end") == fmt.fmt_date_short(end)

    page.click("#filter-public >> text=Étudiants")
    page.wait_for_url(re.compile(r"public=etudiant"))
    assert query_of(page.url) == {"du": start.isoformat(), "au": end.isoformat(), "public": "etudiant"}

    page.click("#filter-dep")
    page.click(".dash-dropdown-content >> text=75 – Paris")
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"dep=75"))

    page.fill("#filter-start", "01/06/2025")
    page.keyboard.press("Tab")
    page.wait_for_url(re.compile(r"du=2025-06-01"))
    assert query_of(page.url) == {"du": "2025-06-01", "au": end.isoformat(), "dep": "75", "public": "etudiant"}

    page.go_back()
    page.wait_for_url(re.compile(f"du={start.isoformat()}"))
    settle(page)
    assert page.input_value("#filter-start") == fmt.fmt_date_short(start)
    assert page.inner_text("#filter-dep") == "75 – Paris"

    page.click("#filter-reset")
    page.wait_for_url(lambda url: urlparse(url).query == "")
    settle(page)
    assert page.eval_on_selector("#filter-public input:checked", "e => e.value") == ""
    assert page.inner_text("#filter-dep") == "Tous les départements"


@pytest.mark.browser
def test_invalid_url_values_are_ignored_with_a_notice(page, shell):
    open_app(page, shell.url("/?du=2025-13-01&dep=75,99&public=robot&contrat=cdd,zzz"))
    notices = page.inner_text("#filter-notices .fr-alert")
    assert "Date « du » invalide" in notices
    assert "Public inconnu ignoré" in notices
    assert "99" in notices and "zzz" in notices
    assert page.inner_text("#filter-dep") == "75 – Paris"
    assert page.eval_on_selector("#filter-public input:checked", "e => e.value") == ""
    assert "Traceback" not in shell.log()


@pytest.mark.browser
def test_freshness_line_demo_badge_and_stale_source(page, shell, shell_meta):
    fresh, _, _ = shell_meta
    open_app(page, shell.url("/"))
    expected = (f"Données du {fmt.fmt_date(fresh.data_start)} au {fmt.fmt_date(fresh.data_end)}, "
                f"mises à jour le {fmt.fmt_datetime(fresh.built_at)}.")
    text = page.inner_text("#freshness").replace(NBSP, " ")
    assert text == expected.replace(NBSP, " ")
    assert re.fullmatch(r"Données du \d+(er)? \w+ 2024 au \d+(er)? \w+ 202[56], "
                        r"mises à jour le .+ à \d\d h \d\d\.", text)
    assert page.is_visible("#demo-badge")
    assert page.inner_text("#demo-badge").lower() == "données de démonstration"
    stale = page.inner_text("#stale-matomo").replace(NBSP, " ")
    assert stale == ("Audience (Matomo) : données non mises à jour depuis le 5 janvier 2026 à 03 h 00 "
                     "(échec de la mise à jour du 6 janvier 2026 à 03 h 00).")
    assert page.query_selector("#stale-ds") is None


@pytest.mark.browser
def test_real_warehouse_has_no_demo_badge(page, app_server, tmp_path_factory):
    server = app_server(make_warehouse(tmp_path_factory.mktemp("real")))
    open_app(page, server.url("/"))
    assert page.query_selector("#demo-badge") is None
    assert page.inner_text("#freshness").startswith("Aucune donnée chargée")


@pytest.mark.browser
def test_missing_warehouse_shows_a_french_error(page, app_server, tmp_path_factory):
    server = app_server(tmp_path_factory.mktemp("missing") / "absent.duckdb")
    page.goto(server.url("/"))
    page.wait_for_selector("#warehouse-missing")
    text = page.inner_text("#warehouse-missing")
    assert "Données indisponibles" in text and "make demo" in text
    assert page.is_visible("header.fr-header") and page.is_visible("footer.fr-footer")


@pytest.mark.browser
def test_navigation_keeps_filters_marks_current_page_and_closes_menus(page, shell):
    open_app(page, shell.url("/?dep=69"))
    assert page.get_attribute("#navigation a[href='/?dep=69']", "aria-current") == "page"
    page.click("#wif-menu-1-btn")
    page.wait_for_selector("#wif-menu-1-btn[aria-expanded='true']")
    page.click("#navigation >> text=Délais")
    page.wait_for_url(re.compile(r"/delais\?dep=69$"))
    settle(page)
    assert page.get_attribute("#wif-menu-1-btn", "aria-expanded") == "false"
    assert page.get_attribute("#navigation a[href='/delais?dep=69']", "aria-current") == "page"
    assert page.get_attribute("#wif-menu-1-btn", "aria-current") == "true"
    assert page.get_attribute("#navigation a[href='/?dep=69']", "aria-current") is None
    assert page.inner_text("#filter-dep") == "69 – Rhône"


@pytest.mark.browser
def test_date_picker_and_charts_speak_french(page, shell):
    open_app(page, shell.url("/?du=2025-01-14&au=2025-06-30"))
    page.click("#filter-start-wrapper")
    calendar = page.wait_for_selector("[role='dialog']")
    text = calendar.inner_text()
    assert "janvier" in text and re.search(r"\blu\b.*\bdi\b", text, re.S)      # French month, week from Monday
    page.keyboard.press("Escape")
    ticks = page.eval_on_selector_all(".xtick text", "els => els.map(e => e.textContent)")
    assert any(re.search(r"janv\.|févr\.|mars|avr\.", t) for t in ticks), ticks
