"""Home page in a real browser: headline indicators equal to SQL written here, comparison, figure, screenshots."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import pytest

from components import format as fmt
from metrics.filters import Filters, default_period
from tests.browser import MOBILE, open_app, screenshot, settle

pytestmark = pytest.mark.browser
DECIDED = "d.state IN ('accepte', 'refuse', 'sans_suite')"
DURATIONS = {
    "working": "ct.working_day_index - cd.working_day_index",
    "calendar": "date_diff('day', CAST(d.depose_at AS DATE), CAST(d.traite_at AS DATE))",
}


def sql_answer(path, f: Filters, unit: str = "working") -> dict:
    """The four headline numbers of ``f``, computed here in SQL independently of the metrics layer."""
    params = {"s": f.start, "e": f.end + timedelta(days=1), "deps": list(f.departements) or None}
    scope = "($deps IS NULL OR list_contains($deps, d.departement))"
    con = duckdb.connect(str(path), read_only=True)
    try:
        def one(sql, extra=None):
            used = {k: v for k, v in (params | (extra or {})).items() if f"${k}" in sql}
            return con.execute(sql, used).fetchone()

        deposes, = one(f"SELECT count(*) FROM dossiers d WHERE d.depose_at >= $s AND d.depose_at < $e AND {scope}")
        n, median = one(f"""
            SELECT count(*), quantile_cont({DURATIONS[unit]}, 0.5)
            FROM dossiers d JOIN calendar cd ON cd.day = CAST(d.depose_at AS DATE)
                            JOIN calendar ct ON ct.day = CAST(d.traite_at AS DATE)
            WHERE {DECIDED} AND d.traite_at >= $s AND d.traite_at < $e AND d.traite_at >= d.depose_at AND {scope}""")
        decided, refused = one(f"""
            SELECT count(*), count(*) FILTER (WHERE d.state = 'refuse') FROM dossiers d
            WHERE {DECIDED} AND d.traite_at >= $s AND d.traite_at < $e AND {scope}""")
        visits, = one("""SELECT count(*) FROM visits d WHERE d.visit_date BETWEEN $s AND $last
                         AND ($deps IS NULL OR list_contains($deps, d.departement))""", {"last": f.end})
        if not f.departements:      # days whose raw log is purged count from the daily report, unfiltered only
            visits += one("""SELECT coalesce(sum(nb_visits), 0) FROM matomo_daily
                             WHERE day BETWEEN $s AND $last AND raw_status = 'purged'""", {"last": f.end})[0]
    finally:
        con.close()
    return {"deposes": deposes, "median": median if n >= 5 else None,
            "refusal": refused / decided if decided >= 5 else None, "visits": visits}


def kpi_texts(page) -> dict:
    return {key: page.inner_text(f"#home-kpi-{key}-value")
            for key in ("deposes", "delai", "refus", "visites")}


def expected_texts(answer: dict) -> dict:
    return {"deposes": fmt.fmt_int(answer["deposes"]), "delai": fmt.fmt_days(answer["median"]),
            "refus": fmt.fmt_pct(answer["refusal"]), "visites": fmt.fmt_int(answer["visits"])}


@pytest.fixture(scope="module")
def shell(app_server, shell_db):
    return app_server(shell_db)


def test_indicators_equal_the_sql_answer_with_previous_period(page, shell, shell_db):
    f = Filters(date(2025, 1, 1), date(2025, 6, 30))
    now, before = sql_answer(shell_db, f), sql_answer(shell_db, f.previous())
    assert now["deposes"] > 20 and before["deposes"] > 20 and now["refusal"] is not None   # a meaningful case
    open_app(page, shell.url("/?du=2025-01-01&au=2025-06-30"))
    page.wait_for_selector("#home-kpi-deposes-value")
    assert kpi_texts(page) == expected_texts(now)
    assert page.inner_text("#home-kpi-deposes-previous") == fmt.fmt_int(before["deposes"])
    assert page.inner_text("#home-kpi-deposes-delta") == fmt.fmt_delta(now["deposes"], before["deposes"])
    assert page.inner_text("#home-kpi-delai-delta") == fmt.fmt_delta(now["median"], before["median"], "days")
    assert page.inner_text("#home-kpi-refus-delta") == fmt.fmt_delta(now["refusal"], before["refusal"], "points")
    assert page.inner_text("#home-kpi-visites-previous") == fmt.fmt_int(before["visits"])
    period = page.inner_text("#home-period")
    assert period.startswith("Période du 1er janvier 2025 au 30 juin 2025, comparée à la période précédente")
    assert "du 4 juillet 2024 au 31 décembre 2024" in period


def test_unit_switch_and_department_filter_recompute(page, shell, shell_db):
    f = Filters(date(2025, 1, 1), date(2025, 12, 31), departements=("69",))
    open_app(page, shell.url("/?du=2025-01-01&au=2025-12-31&dep=69"))
    page.wait_for_selector("#home-kpi-deposes-value")
    assert kpi_texts(page) == expected_texts(sql_answer(shell_db, f))
    calendar = sql_answer(shell_db, f, unit="calendar")
    assert calendar["median"] != sql_answer(shell_db, f)["median"]             # the switch must show a change
    page.click("#home-unit >> text=jours calendaires")
    page.wait_for_function("([sel, text]) => document.querySelector(sel).innerText === text",
                           arg=["#home-kpi-delai-value", fmt.fmt_days(calendar["median"])])
    assert "jours calendaires" in page.inner_text("#home-kpi-delai")


def test_first_period_of_the_data_has_no_comparison(page, shell, shell_db):
    open_app(page, shell.url("/?du=2024-01-01&au=2024-03-31"))
    page.wait_for_selector("#home-kpi-deposes-value")
    assert "pas de comparaison" in page.inner_text("#home-period")
    assert page.query_selector("#home-kpi-deposes-delta") is None


def test_monthly_figure_table_and_csv(page, shell, shell_db):
    f = Filters(date(2025, 1, 1), date(2025, 6, 30))
    open_app(page, shell.url("/?du=2025-01-01&au=2025-06-30"))
    page.wait_for_selector("#home-mensuel-tbody tr", state="attached")
    page.click("#home-mensuel summary")
    rows = page.eval_on_selector_all("#home-mensuel-tbody tr", "rows => rows.map(r => r.innerText)")
    assert len(rows) == 6 and rows[0].startswith("janvier 2025")
    assert page.inner_text("#home-mensuel caption") == "Dossiers déposés par mois"
    assert page.inner_text("#home-mensuel-source").startswith("Source : Démarches Simplifiées")
    with page.expect_download() as info:
        page.click("#home-mensuel button:has-text('Télécharger (CSV)')")
    download = info.value
    assert download.suggested_filename == "dossiers-deposes-par-mois.csv"
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "Mois;Dossiers déposés;Mois complet"
    assert sum(int(line.split(";")[1]) for line in lines[1:]) == sql_answer(shell_db, f)["deposes"]


@pytest.fixture(scope="module")
def demo(app_server, demo_db):
    return app_server(demo_db)


def test_demo_warehouse_default_period_equals_the_sql_answer(page, demo, demo_db):
    """The generated warehouse (purged raw-log days included) on the default period: the last 12 months."""
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        data_end = date.fromisoformat(con.execute("SELECT value FROM meta WHERE key = 'data_end'").fetchone()[0])
    finally:
        con.close()
    f = Filters(*default_period(data_end))
    open_app(page, demo.url("/"))
    page.wait_for_selector("#home-kpi-deposes-value")
    answer = sql_answer(demo_db, f)
    assert answer["deposes"] > 50 and answer["visits"] > 100
    assert kpi_texts(page) == expected_texts(answer)
    before = sql_answer(demo_db, f.previous())
    assert page.inner_text("#home-kpi-visites-delta") == fmt.fmt_delta(answer["visits"], before["visits"])
    open_app(page, demo.url(f"/?du={f.start}&au={f.end}&dep=75"))
    page.wait_for_selector("#home-kpi-deposes-value")
    assert kpi_texts(page) == expected_texts(sql_answer(demo_db, replace(f, departements=("75",))))


def test_home_screenshots(page, demo):
    """Desktop and 390 px screenshots of the home page on demo data (tests/artifacts/, to be looked at)."""
    open_app(page, demo.url("/"))
    page.wait_for_selector("#home-kpi-deposes-value")
    settle(page)
    assert screenshot(page, "home-desktop").stat().st_size > 0
    page.set_viewport_size(MOBILE)
    page.wait_for_timeout(300)      # let Plotly resize to the new width
    settle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]   # no horizontal scroll
    assert re.search(r"\d", page.inner_text("#home-kpi-deposes-value"))
    assert screenshot(page, "home-mobile").stat().st_size > 0
