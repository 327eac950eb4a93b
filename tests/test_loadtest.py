"""50 logged-in sessions on gunicorn (3 workers × 8 threads) while ``etl all`` publishes 3 times: no error,
and afterwards every answer shows the last publish."""

from bench.loadtest import CALLBACKS, run


def test_concurrent_sessions_see_no_error_while_the_warehouse_is_republished():
    result = run(sessions=50, publishes=3, workers=3, threads=8)
    print(result.summary())
    assert result.publishes == 3
    assert result.requests["connexion"] == 50
    assert len(result.requests) == 3 + len(CALLBACKS) and min(result.requests.values()) >= 50
    assert sum(result.errors.values()) == 0, result.errors
    assert result.server_tracebacks == 0
    assert result.stale_answers == 0
