"""Rapports, Alertes, Statistiques publiques and Impact in a real browser, checked against SQL written here
(independently of the metrics layer); screenshots in tests/artifacts/.

The warehouse: the 600 dossiers of the dossier-page tests (2024–2025, Paris, Rhône, Bouches-du-Rhône), the
visits of the shell tests, and a few dossiers placed to test statistical secrecy on the public page: in the
public window, 5 in the Gironde (shown), 4 in the Val-de-Marne (masked) and 1 in the Hauts-de-Seine (masked;
the masked cells then hold 5 dossiers, so no visible cell has to be masked as well).
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from components import format as fmt
from tests.browser import open_app, screenshot, settle
from tests.conftest import shell_rows
from tests.factories import dossier, make_warehouse
from tests.test_pages_dossiers import dossier_rows, sql, table

FIGURE_TITLES = ("Dossiers déposés depuis le lancement", "Départements couverts",
                 "Part des visiteurs qui rejoignent Démarches Simplifiées", "Délai de traitement des dossiers",
                 "Temps pour postuler face à la promesse de 10 minutes", "Taux de refus")
SECRECY_ROWS = ([("33", n) for n in range(5)] + [("94", n) for n in range(5, 9)] + [("92", 9)])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    _, visits, daily = shell_rows()
    extra = [dossier(900 + n, state="accepte", departement=dep, depose_at="2025-09-15 10:00:00",
                     traite_at="2025-09-22 10:00:00", apt_start="2025-10-01", apt_end="2026-06-30")
             for dep, n in SECRECY_ROWS]
    return make_warehouse(tmp_path_factory.mktemp("report-pages"), dossiers=dossier_rows() + extra, visits=visits,
                          daily=daily)


@pytest.fixture(scope="module")
def server(app_server, warehouse):
    return app_server(warehouse)


def public_window(warehouse) -> tuple[date, date]:
    (end,), = sql(warehouse, "SELECT CAST(value AS DATE) FROM meta WHERE key = 'data_end'")
    index = end.year * 12 + end.month - 1 - 11
    return date(index // 12, index % 12 + 1, 1), end


def download_text(page, button: str) -> str:
    with page.expect_download() as info:
        page.click(button)
    return info.value.path().read_text(encoding="utf-8-sig")


@pytest.mark.browser
def test_public_statistics_page(page, server, warehouse):
    open_app(page, server.url("/statistiques?dep=33&public=etudiant"))      # filters in the URL change nothing
    start, end = public_window(warehouse)
    (deposits, accepted), = sql(warehouse, """
        SELECT count(*) FILTER (WHERE depose_at >= $s AND depose_at < $e + 1),
               count(*) FILTER (WHERE state = 'accepte' AND traite_at >= $s AND traite_at < $e + 1)
        FROM dossiers""", {"s": start, "e": end})
    assert deposits > 200
    assert page.inner_text("#stats-kpi-deposes-value") == fmt.fmt_int(deposits)
    assert page.inner_text("#stats-kpi-acceptes-value") == fmt.fmt_int(accepted)
    assert page.inner_text("#stats-period") == f"Chiffres {fmt.fmt_period(start, end)}, toutes unités " \
                                               "départementales confondues."
    rows = {r[0]: r[1] for r in table(page, "stats-departements")}
    assert rows["33 – Gironde"] == "5"                            # 5 dossiers: shown
    assert rows["94 – Val-de-Marne"] == fmt.MISSING                # 4: masked
    assert rows["92 – Hauts-de-Seine"] == fmt.MISSING
    expected = sql(warehouse, """SELECT departement, count(*) FROM dossiers WHERE depose_at >= $s
                                 AND depose_at < $e + 1 AND departement IN ('75', '69', '13') GROUP BY 1""",
                   {"s": start, "e": end})
    names = {"75": "75 – Paris", "69": "69 – Rhône", "13": "13 – Bouches-du-Rhône"}
    assert {names[dep]: rows[names[dep]] for dep, _ in expected} == {names[d]: fmt.fmt_int(n) for d, n in expected}
    assert len(table(page, "stats-mois")) == 12
    assert [r[0] for r in table(page, "stats-etats")] == ["En construction", "En instruction", "Accepté", "Refusé",
                                                          "Classé sans suite"]
    captions = page.eval_on_selector_all("#page-statistiques table caption", "els => els.map(e => e.textContent)")
    assert len(captions) == 6                                      # a data table under every chart (RGAA)
    links = page.eval_on_selector_all("#page-statistiques a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert links == []                                             # no link to an internal page (or a dossier)
    assert "n°" not in page.inner_text("#page-statistiques")
    lines = download_text(page, "#stats-csv-button").splitlines()
    assert lines[0].startswith("tableau;libelle;dossiers_deposes;dossiers_acceptes;delai_median_jours_ouvres;")
    by_label = {tuple(line.split(";")[:2]): line.split(";")[2:] for line in lines[1:]}
    assert by_label[("Chiffres clés sur 12 mois", "France")][:2] == [str(deposits), str(accepted)]
    assert by_label[("Dossiers par département", "94 Val-de-Marne")][5] == ""        # masked: empty
    assert by_label[("Dossiers par département", "33 Gironde")][5] == "5"
    screenshot(page, "statistiques-publiques")


@pytest.mark.browser
def test_alertes_page(page, server, warehouse):
    open_app(page, server.url("/alertes?du=2025-01-01&au=2025-12-31&dep=75"))
    (apt_dates,), = sql(warehouse, """
        SELECT count(*) FROM dossiers WHERE departement = '75' AND NOT archived
          AND (state IN ('en_construction', 'en_instruction')
               OR (state = 'accepte' AND traite_at >= '2025-01-01' AND traite_at < '2026-01-01'))
          AND (apt_start IS NULL OR apt_end IS NULL OR apt_end < apt_start)""")
    assert apt_dates > 5
    assert page.inner_text("#alertes-kpi-apt_dates-value") == fmt.fmt_int(apt_dates)
    page.click("#alertes-type label:has-text('Dates d')")
    expect(page.locator("#alertes-list-note")).to_have_text(f"{fmt.fmt_int(apt_dates)} alertes.")
    first = page.locator("#alertes-list-body tr").first
    href = first.locator("a").get_attribute("href")
    number = first.locator("a").inner_text().removeprefix("n° ")
    (demarche,), = sql(warehouse, "SELECT demarche_number FROM dossiers WHERE dossier_number = $n",
                       {"n": int(number)})
    assert href == f"https://www.demarches-simplifiees.fr/procedures/{demarche}/dossiers/{number}"
    assert first.locator("td").first.inner_text() == "Dates d'APT absentes ou inversées"
    lines = download_text(page, "#alertes-csv-button").splitlines()
    assert len(lines) == apt_dates + 1 and lines[0].startswith("Alerte;Département;Démarche;Dossier;")
    rows = table(page, "alertes-departements")
    assert rows[0][0] == "75 – Paris" and rows[0][3] == fmt.fmt_int(apt_dates)
    screenshot(page, "alertes")


@pytest.mark.browser
def test_impact_page(page, server, warehouse):
    open_app(page, server.url("/impact?du=2025-01-01&au=2025-06-30"))
    (total,), = sql(warehouse, "SELECT count(*) FROM dossiers WHERE depose_at < '2025-07-01'")
    assert page.inner_text("#impact-kpi-cumul-value") == fmt.fmt_int(total)
    assert page.inner_text("#impact-kpi-departements-value") == "3"
    assert table(page, "impact-cumul")[-1][0] == "juin 2025"
    assert table(page, "impact-cumul")[-1][2] == fmt.fmt_int(total)
    page.click("#impact-periode label:has-text('Période sélectionnée')")
    period = fmt.fmt_period(date(2025, 1, 1), date(2025, 6, 30))
    expect(page.locator("#impact-period")).to_have_text(f"Période {period}.")
    settle(page)
    monthly = sql(warehouse, """
        SELECT count(*), count(*) FILTER (WHERE state = 'refuse') FROM dossiers
        WHERE state IN ('accepte', 'refuse', 'sans_suite') AND traite_at >= '2025-01-01' AND traite_at < '2025-07-01'
        GROUP BY date_trunc('month', traite_at) ORDER BY date_trunc('month', traite_at)""")
    assert [r[1:3] for r in table(page, "impact-refus")] == [[fmt.fmt_int(n), fmt.fmt_int(k)] for n, k in monthly]
    with page.expect_download(timeout=120_000) as info:
        page.click("#impact-refus + button")
    image = info.value.path().read_bytes()
    assert info.value.suggested_filename == "taux-de-refus.png" and image.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(image) > 20_000
    data = download_text(page, "#impact-csv-button")
    assert data.splitlines()[0].startswith("Figure;Mois;Dossiers déposés dans le mois;Cumul depuis le lancement;")
    assert {line.split(";")[0] for line in data.splitlines()[1:]} == {figure for figure in FIGURE_TITLES}
    screenshot(page, "impact")


def report_rows(page, article: int = 0) -> list[list[str]]:
    """Cells of the summary table of the ``article``-th report on the page."""
    return page.evaluate("""(i) => Array.from(document.querySelectorAll('article.wif-report')[i]
        .querySelector('table').tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.textContent))""", article)


@pytest.mark.browser
def test_rapports_page_screen_print_and_files(page, server, warehouse):
    open_app(page, server.url("/rapports?dep=75"))
    page.wait_for_selector("article.wif-report table")
    (end,), = sql(warehouse, "SELECT CAST(value AS DATE) FROM meta WHERE key = 'data_end'")
    month = date(end.year, end.month, 1) - timedelta(days=1)          # the last complete month
    start, after = date(month.year, month.month, 1), date(end.year, end.month, 1)
    (deposits, decided, refused), = sql(warehouse, """
        SELECT count(*) FILTER (WHERE depose_at >= $s AND depose_at < $e),
               count(*) FILTER (WHERE state IN ('accepte', 'refuse', 'sans_suite')
                                  AND traite_at >= $s AND traite_at < $e),
               count(*) FILTER (WHERE state = 'refuse' AND traite_at >= $s AND traite_at < $e)
        FROM dossiers WHERE departement = '75'""", {"s": start, "e": after})
    assert decided >= 5
    rows = {r[0]: r for r in report_rows(page)}
    assert rows["Dossiers déposés"][2] == fmt.fmt_int(deposits)
    assert rows["Dossiers décidés"][2] == fmt.fmt_int(decided) and rows["Refusés"][2] == fmt.fmt_int(refused)
    assert page.inner_text("article.wif-report h2") == f"75 – Paris — {fmt.fmt_month(start)}"
    with page.expect_download() as info:
        page.click("#rapports-xlsx-button")
    assert info.value.suggested_filename == f"WIF_{start:%Y-%m}_ud75.xlsx"
    book = load_workbook(io.BytesIO(info.value.path().read_bytes()))
    summary = [r for r in book["Synthèse"].iter_rows(min_row=10, values_only=True) if r[0]]
    assert summary[0][:3] == ("Dossiers déposés", "dossiers", deposits)
    screenshot(page, "rapports-departement")

    open_app(page, server.url("/rapports"))                               # every department, one page each
    page.wait_for_selector("article.wif-report table")
    (departements,), = sql(warehouse, "SELECT count(DISTINCT departement) FROM dossiers WHERE depose_at < $e",
                           {"e": after})
    assert page.locator("article.wif-report").count() == departements + 1
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == departements + 1
    screenshot(page, "rapports-impression")
