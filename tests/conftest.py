"""Session fixtures for app tests: warehouses, a gunicorn server per warehouse, headless Chromium pages.

* ``app_server(db_path)`` starts (once per warehouse file) ``gunicorn app:server`` with ``WIF_DB=db_path``
  on a free 127.0.0.1 port and returns an ``AppServer`` (``.url("/delais")``, ``.log()``).
* ``browser``: Debian Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``) through Playwright, headless.
* ``page``: a fresh desktop-sized French page, logged in with the test account (``tests/browser.py``); the
  test fails if the page raises an uncaught JS error or logs a console error — a CSP violation included
  (``page.js_errors`` lists them). ``anonymous_page``: the same, not logged in.
* The test process itself runs with the test account and secret (``import app`` refuses to start without).
* ``shell_db``: a small demo-flagged warehouse built with ``tests/factories.py`` (two years of dossiers
  and visits in 75 and 69, a failed Matomo run after its last success).
* ``demo_db`` / ``demo_raw`` (from ``tests/demo_fixtures.py``): the demo warehouse at scale 0.05 with a
  fixed seed and end date, built through ``etl.cli.main`` from raw Matomo and DS payloads.
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.browser import DESKTOP, add_runs, chromium, log_in, run_app, set_meta, test_environment
from tests.factories import dossier, make_warehouse, visit

pytest_plugins = ["tests.demo_fixtures"]
os.environ.pop("WIF_DEMO", None)
os.environ.update(test_environment())
os.environ["WIF_THROTTLE_DB"] = os.path.join(tempfile.mkdtemp(prefix="wif-tests-"), "connexions.sqlite")

IGNORED_CONSOLE = ("Failed to load resource",)   # the 404 test page itself answers 404 on purpose


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Factory ``app_server(db_path) -> AppServer``; one gunicorn per warehouse file, stopped at session end."""
    logs = tmp_path_factory.mktemp("gunicorn")
    with contextlib.ExitStack() as stack:
        servers = {}

        def start(db_path):
            key = str(db_path)
            if key not in servers:
                servers[key] = stack.enter_context(run_app(db_path, logs))
            return servers[key]

        yield start


@pytest.fixture(scope="session")
def browser():
    with chromium() as instance:
        yield instance


def _checked_page(browser, logged_in: bool):
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR", accept_downloads=True)
    if logged_in:
        log_in(context)
    tab = context.new_page()
    tab.set_default_timeout(45_000)   # generous: CI machines may be loaded
    tab.js_errors = []
    tab.on("pageerror", lambda error: tab.js_errors.append(f"exception: {error}"))
    tab.on("console", lambda msg: tab.js_errors.append(f"console: {msg.text}")
           if msg.type == "error" and not msg.text.startswith(IGNORED_CONSOLE) else None)
    yield tab
    context.close()
    assert not tab.js_errors, "\n".join(tab.js_errors)


@pytest.fixture
def page(browser):
    yield from _checked_page(browser, logged_in=True)


@pytest.fixture
def anonymous_page(browser):
    yield from _checked_page(browser, logged_in=False)


def shell_rows(seed: int = 3) -> tuple[list[dict], list[dict], list[dict]]:
    """Deterministic dossiers, visits and matching daily Matomo totals over 2024-01-01 … 2025-12-31."""
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, 9)
    dossiers = []
    for number in range(1, 241):
        deposit = start + timedelta(days=rnd.randrange(0, 731), minutes=rnd.randrange(0, 480))
        state = rnd.choice(("accepte", "accepte", "accepte", "refuse", "sans_suite", "en_instruction"))
        decision = deposit + timedelta(days=rnd.randrange(1, 25))
        decided = {} if state == "en_instruction" else {"traite_at": str(decision)}
        dossiers.append(dossier(number, demarche=rnd.choice((1, 2, 3)), state=state, depose_at=str(deposit),
                                contract_category=rnd.choice(("apprentissage", "cdd", "doctorat")), **decided))
    visits = []
    for key in range(1, 401):
        began = start + timedelta(days=rnd.randrange(0, 731), minutes=rnd.randrange(0, 600))
        visits.append(visit(key, day=str(began.date()), started_at=str(began), duration_s=rnd.randrange(5, 900)))
    days = Counter(v["visit_date"] for v in visits)
    length = Counter()
    for v in visits:
        length[v["visit_date"]] += v["duration_s"]
    daily = [{"site_id": 1, "day": day, "nb_visits": n, "nb_actions": n, "bounce_count": 0,
              "sum_visit_length": length[day]} for day, n in sorted(days.items())]
    return dossiers, visits, daily


@pytest.fixture(scope="session")
def shell_db(tmp_path_factory):
    """A small warehouse flagged as demo data, with a Matomo run that failed after its last success."""
    dossiers, visits, daily = shell_rows()
    path = make_warehouse(tmp_path_factory.mktemp("shell"), dossiers=dossiers, visits=visits, daily=daily)
    set_meta(path, is_demo="true")
    add_runs(path, [("matomo", "success", datetime(2026, 1, 5, 3, 0)), ("ds", "success", datetime(2026, 1, 5, 3, 5)),
                    ("matomo", "failed", datetime(2026, 1, 6, 3, 0))])
    return path

