"""Source outages during ``python -m etl all``: a clear one-line failure, a failed ``etl_runs`` row naming the
source, the app's "données non mises à jour depuis …" notice, and the published data untouched.

Each case replays one outage shape of Matomo or DS (server down, 401, a storm of 429, malformed answers)
after a first successful refresh; retries really happen, only their waits are recorded instead of slept.
"""

from __future__ import annotations

import functools

import pytest

from components import status
from etl import cli
from metrics import db, meta
from tests import ds_replay, matomo_replay
from tests.browser import free_port, sql
from tests.live_sources import LiveSources

DATA = {"dossiers": "SELECT * FROM dossiers ORDER BY ALL",
        "visits": "SELECT * EXCLUDE (visit_key) FROM visits ORDER BY ALL",
        "matomo_daily": "SELECT * FROM matomo_daily ORDER BY ALL"}
HTML_401 = "<html><head><title>401 Unauthorized</title></head><body>401</body></html>"


def snapshot(path) -> dict:
    return {table: sql(path, query) for table, query in DATA.items()}


def last_failure(path) -> tuple:
    return sql(path, "SELECT source, error FROM etl_runs WHERE status = 'failed' ORDER BY finished_at DESC LIMIT 1")[0]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outages")
    with LiveSources(folder) as live:
        live.db = folder / "wif.duckdb"
        yield live


@pytest.fixture
def refresh(sources, monkeypatch, capsys):
    """Run ``etl all`` in-process against the sources; returns (exit code, stderr, waits asked)."""
    import etl.ds.client
    import etl.matomo.client

    waits: list[float] = []
    monkeypatch.setattr(etl.matomo.client, "MatomoClient",
                        functools.partial(etl.matomo.client.MatomoClient, sleep=waits.append))
    monkeypatch.setattr(etl.ds.client, "DSClient", functools.partial(etl.ds.client.DSClient, sleep=waits.append))
    for name, value in sources.environment(sources.db).items():
        monkeypatch.setenv(name, value)

    def run(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        waits.clear()
        code = cli.main(["all", "--db", str(sources.db), "--quiet"])
        return code, capsys.readouterr().err, list(waits)

    if not sources.db.exists():
        assert run()[0] == 0
    yield run
    sources.matomo.faults.clear()
    sources.ds._script.clear()


def closed_url(path: str = "") -> str:
    return f"http://127.0.0.1:{free_port()}{path}"


CASES = {
    # source, outage: (set-up of the outage, words of the one-line error, retried?)
    ("matomo", "down"): (lambda s: {"MATOMO_URL": closed_url()}, "Matomo indisponible", True),
    ("matomo", "401"): (lambda s: s.matomo.fail_next(401, HTML_401), "vérifier MATOMO_TOKEN", False),
    ("matomo", "bad token"): (lambda s: {"MATOMO_TOKEN": "jeton-faux"}, "MATOMO_TOKEN", False),
    ("matomo", "429 storm"): (lambda s: s.matomo.fail_next(429, "", headers={"Retry-After": "30"}, times=50),
                              "HTTP 429", True),
    ("matomo", "invalid JSON"): (lambda s: s.matomo.fail_next(200, '{"nb_visits": 3, "nb_a', times=50),
                                 "JSON invalide", True),
    ("matomo", "HTML with 200"): (lambda s: s.matomo.fail_next(200, matomo_replay.HTML_PAGE), "page HTML", False),
    ("matomo", "error JSON with 200"): (lambda s: s.matomo.fail_next(200, matomo_replay.reference_error(
        "bad_idsite")), "Matomo", False),
    ("ds", "down"): (lambda s: {"DS_API_URL": closed_url("/api/v2/graphql")}, "DS indisponible", True),
    ("ds", "401"): (lambda s: s.ds.fail_next(ds_replay.expired_token()), "DS_TOKEN", False),
    ("ds", "429 storm"): (lambda s: s.ds.fail_next(*[ds_replay.too_many_requests("30")] * 50), "429", True),
    ("ds", "invalid JSON"): (lambda s: s.ds.fail_next(*[ds_replay.malformed_json()] * 50), "JSON invalide", False),
    ("ds", "error JSON with 200"): (lambda s: s.ds.fail_next(ds_replay.graphql_error(
        "Internal error", "internal_server_error")), "Internal error", False),
}


@pytest.mark.parametrize(("source", "outage"), list(CASES))
def test_an_outage_fails_clearly_is_recorded_and_keeps_the_data(sources, refresh, source, outage):
    setup, words, retried = CASES[source, outage]
    env = setup(sources) or {}
    before = snapshot(sources.db)

    code, err, waits = refresh(**env)

    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("erreur : ") and words in lines[0], err
    assert not any(token in err for token in sources.tokens)
    recorded_source, error = last_failure(sources.db)
    assert recorded_source == source and error and words in error
    assert snapshot(sources.db) == before
    assert not list(sources.db.parent.glob("wif.duckdb.tmp-*"))
    if retried:
        assert len(waits) >= 4 and waits == sorted(waits) or min(waits) >= 30, waits   # backoff or Retry-After
    else:
        assert waits == []                                                             # fail fast
    db.use_database(sources.db)
    try:
        stale = {s.source: s for s in meta.stale_sources()}
        assert source in stale
        assert "données non mises à jour depuis le" in status.stale_text(stale[source])
    finally:
        db.use_database(None)


def test_the_next_refresh_after_the_outages_completes_and_clears_the_notice(sources, refresh):
    before = snapshot(sources.db)
    assert refresh()[0] == 0
    assert snapshot(sources.db)["dossiers"] == before["dossiers"]
    db.use_database(sources.db)
    try:
        assert meta.stale_sources() == []
    finally:
        db.use_database(None)
