"""Helpers for app tests: run the app with gunicorn on a warehouse, drive headless Debian Chromium.

Used by the fixtures of ``tests/conftest.py``; also handy from a Python shell::

    with run_app(Path("data/wif.duckdb")) as server, chromium() as browser:
        page = browser.new_page(); page.goto(server.url("/delais"))
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
from werkzeug.security import generate_password_hash

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--lang=fr-FR"]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
START_TIMEOUT_S = 60
# Every app the tests start runs in production mode with this account (a cheap hash: tests log in a lot).
TEST_LOGIN, TEST_PASSWORD = "testeur", "mot-de-passe-de-test"
TEST_SECRET = os.urandom(32).hex()
SESSION_COOKIE = "wif_session"


def test_environment() -> dict[str, str]:
    """Access settings of the apps under test: one account, a session secret, no demo mode."""
    return {"WIF_USERS": f"{TEST_LOGIN}:{generate_password_hash(TEST_PASSWORD, 'pbkdf2:sha256:1000')}",
            "WIF_SECRET_KEY": TEST_SECRET}


def session_cookie(login: str = TEST_LOGIN) -> str:
    """A session cookie value of ``login`` signed with the tests' secret, as the app would issue it."""
    from flask import Flask

    flask_app = Flask("wif-test")
    flask_app.secret_key = TEST_SECRET
    return flask_app.session_interface.get_signing_serializer(flask_app).dumps({"user": login, "_permanent": True})


def logged_in_client(flask_app):
    """A Flask test client of ``flask_app`` carrying the test account's session."""
    client = flask_app.test_client()
    client.set_cookie(SESSION_COOKIE, session_cookie())
    return client


def log_in(context) -> None:
    """Give a Playwright browser context the test account's session for every app on 127.0.0.1."""
    context.add_cookies([{"name": SESSION_COOKIE, "value": session_cookie(), "domain": "127.0.0.1", "path": "/",
                          "httpOnly": True, "sameSite": "Lax"}])


@dataclass
class AppServer:
    """A running ``gunicorn app:server``."""

    base_url: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextlib.contextmanager
def run_app(db_path: Path, log_dir: Path | None = None, *, env: dict[str, str] | None = None, workers: int = 1,
            threads: int = 4) -> Iterator[AppServer]:
    """Start ``gunicorn app:server`` with ``WIF_DB=db_path`` on a free local port; stop it on exit.

    ``env`` is added to the environment (the test account and secret by default, see ``test_environment``).
    """
    port = free_port()
    log_path = Path(log_dir or db_path.parent) / f"gunicorn-{port}.log"
    env = {**os.environ, "WIF_DB": str(db_path), **(test_environment() if env is None else env)}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--threads", str(threads), "--timeout", "120", "app:server"]
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = AppServer(f"http://127.0.0.1:{port}", db_path, log_path, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _ready(server.url("/_dash-layout")):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def chromium():
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def settle(page) -> None:
    """Wait until the app has rendered and no callback is pending."""
    page.wait_for_selector("#_pages_content > *", state="attached")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def open_app(page, url: str) -> None:
    """Open ``url`` and wait for the app to settle."""
    page.goto(url)
    settle(page)


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under tests/artifacts/ (git-ignored) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def assert_every_figure_filled(page, server):
    """Every figure of the page got its source line (its callback ran) and the server logged no error."""
    sources = page.eval_on_selector_all(".wif-figure__source", "els => els.map(e => e.textContent)")
    assert sources and all(text.startswith("Source : ") for text in sources), sources
    assert "Traceback" not in server.log()


def table(page, fig_id: str) -> list[list[str]]:
    """Text of the body cells of a figure's table alternative."""
    return page.eval_on_selector_all(f"#{fig_id}-tbody tr",
                                     "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))")


def sql(path: Path, query: str, params: dict | None = None) -> list[tuple]:
    """Rows of ``query`` on a warehouse file, opened read-only: the tests' own answer to compare with."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query, params or {}).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- warehouse tweaks for app tests
def set_meta(path: Path, **values: str) -> None:
    """Overwrite ``meta`` keys of a built warehouse file."""
    con = duckdb.connect(str(path))
    try:
        for key, value in values.items():
            con.execute("INSERT OR REPLACE INTO meta VALUES ($k, $v)", {"k": key, "v": value})
    finally:
        con.close()


def add_runs(path: Path, rows: list[tuple]) -> None:
    """Append ``etl_runs`` rows ``(source, status, finished_at)`` with explicit timestamps."""
    con = duckdb.connect(str(path))
    try:
        for i, (source, status, at) in enumerate(rows):
            con.execute(
                "INSERT INTO etl_runs (run_id, source, started_at, finished_at, status, error) "
                "VALUES ($id, $s, $at, $at, $st, $err)",
                {"id": f"test-{i}", "s": source, "at": at, "st": status,
                 "err": "échec simulé" if status == "failed" else None},
            )
    finally:
        con.close()
