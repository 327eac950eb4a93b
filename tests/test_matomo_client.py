"""Matomo client against the replay server: POST token, pagination, bulk, every error shape, retries."""

import email.utils
import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from etl.matomo.client import (
    MatomoAuthError,
    MatomoClient,
    MatomoConfigError,
    MatomoError,
    MatomoRequestError,
    MatomoUnavailableError,
)
from tests.matomo_replay import HTML_PAGE, REFERENCE, TOKEN, MatomoReplay, reference, reference_error, wif_visit

DAY = date(2020, 9, 14)
NEW = "https://workinfrance.beta.gouv.fr"


@pytest.fixture
def matomo():
    with MatomoReplay() as server:
        yield server


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def client_for(server, token=TOKEN, site_id=1, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("max_retries", 3)
    kwargs.setdefault("timeout", 5)
    return MatomoClient(server.url, token, site_id, **kwargs)


def visits(n, day="2020-09-14"):
    return [wif_visit(i + 1, day, 8 + i * 12 // max(n, 1), [("action", f"{NEW}/")], minute=i % 60)
            for i in range(n)]


# ---------------------------------------------------------------------------- transport
def test_every_request_is_a_post_with_the_token_in_the_body(matomo):
    matomo.live[DAY.isoformat()] = visits(3)
    client = client_for(matomo)
    assert len(client.live_day(DAY)) == 3
    assert client.visits_summary(DAY, DAY) == {"2020-09-14": []}
    assert matomo.requests
    for req in matomo.requests:
        assert req.path == "/index.php"
        assert req.query == ""                       # nothing in the URL, the token least of all
        assert req.form["token_auth"] == TOKEN
        assert (req.form["module"], req.form["format"]) == ("API", "JSON")


def test_base_url_forms(matomo):
    for base in (matomo.url, matomo.url + "/", matomo.url + "/index.php", matomo.url + "/?module=API"):
        assert MatomoClient(base, TOKEN, 1).endpoint == matomo.url + "/index.php"
    with pytest.raises(MatomoConfigError, match="http"):
        MatomoClient("matomo.example.org", TOKEN, 1)


def test_plain_http_only_for_localhost():
    with pytest.raises(MatomoConfigError, match="https"):
        MatomoClient("http://matomo.example.org", TOKEN, 1)
    assert MatomoClient("https://matomo.example.org/", TOKEN, 1).endpoint == "https://matomo.example.org/index.php"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed(matomo, status):
    matomo.fail_next(status, b"", headers={"Location": "https://elsewhere.example.org/index.php?x=1"})
    with pytest.raises(MatomoConfigError, match="redirige.*elsewhere.example.org/index.php"):
        client_for(matomo).visits_summary(DAY, DAY)
    assert len(matomo.requests) == 1


def test_token_never_in_logs_urls_reprs_or_errors(matomo, caplog):
    secret = "f" * 32
    matomo.live[DAY.isoformat()] = visits(2)
    caplog.set_level(logging.DEBUG)
    good = client_for(matomo)
    good.live_day(DAY)
    matomo.fail_next(503, times=10)
    with pytest.raises(MatomoUnavailableError) as unavailable:
        client_for(matomo, max_retries=1).live_day(DAY)
    matomo.faults.clear()
    bad = client_for(matomo, token=secret)
    with pytest.raises(MatomoAuthError) as refused:
        bad.live_day(DAY)
    matomo.fail_next(200, {"result": "error", "message": f"Unable to authenticate with token {secret}"})
    with pytest.raises(MatomoAuthError) as echoed:
        bad.live_day(DAY)
    assert secret not in str(echoed.value) and "***" in str(echoed.value)
    for text in [r.getMessage() for r in caplog.records] + [str(unavailable.value), str(refused.value),
                                                           repr(good), repr(bad), str(vars(bad))]:
        assert TOKEN not in text and secret not in text
    assert any("Live.getLastVisitsDetails" in r.getMessage() for r in caplog.records)   # requests were logged
    for req in matomo.requests:
        assert TOKEN not in req.path + req.query and secret not in req.path + req.query


# ---------------------------------------------------------------------------- pagination
@pytest.mark.parametrize(("n", "page_size", "requests"), [
    (0, 5, 1),        # empty day: one short (empty) page
    (4, 5, 1),
    (5, 5, 2),        # exactly one page: a second, empty page confirms the end
    (6, 5, 2),        # page size + 1
    (10, 5, 3),
    (250, 100, 3),    # more than Matomo's default limit of 100
])
def test_live_pagination_boundaries(matomo, n, page_size, requests):
    matomo.live[DAY.isoformat()] = visits(n)
    got = client_for(matomo, page_size=page_size).live_day(DAY)
    assert [v["idVisit"] for v in got] == list(range(1, n + 1))      # all of them, oldest first, once
    calls = matomo.calls("Live.getLastVisitsDetails")
    assert len(calls) == requests
    assert [int(c["filter_offset"]) for c in calls] == [i * page_size for i in range(requests)]
    assert {c["filter_limit"] for c in calls} == {str(page_size)}    # never the server default
    assert {c["filter_sort_order"] for c in calls} == {"asc"}
    assert {(c["period"], c["date"]) for c in calls} == {("day", "2020-09-14")}


def test_live_requests_hide_personal_columns(matomo):
    matomo.live[DAY.isoformat()] = visits(1)
    got = client_for(matomo).live_day(DAY)
    assert "visitIp" not in got[0] and "visitorId" not in got[0] and "fingerprint" not in got[0]


def test_server_ignoring_offset_is_detected(matomo):
    matomo.live[DAY.isoformat()] = visits(10)
    matomo.ignore_offset = True
    with pytest.raises(MatomoRequestError, match="filter_offset"):
        client_for(matomo, page_size=5).live_day(DAY)


# ---------------------------------------------------------------------------- reports and bulk
def test_range_reports_in_one_bulk_round_trip(matomo):
    matomo.load_reference()
    days = [date(2026, 11, d) for d in range(17, 23)]
    client = client_for(matomo)
    summary, reports, first_pages = client.fetch_range(days)
    assert len(matomo.requests) == 1 and matomo.requests[0].form["method"] == "API.getBulkRequest"
    assert summary["2026-11-17"] == [] and summary["2026-11-19"]["nb_visits"] == 6
    assert set(reports) == {"pages", "entry", "exit"}
    assert reports["pages"]["2026-11-19"][0]["label"] == "/"
    assert [len(first_pages[d]) for d in days] == [0, 0, 3, 1, 1, 0]
    subs = matomo.calls("Actions.getPageUrls")
    assert subs[0]["flat"] == "1" and subs[0]["filter_limit"] == "-1" and subs[0]["date"] == "2026-11-17,2026-11-22"


def test_bulk_sub_request_error_is_raised(matomo):
    client = client_for(matomo)
    with pytest.raises(MatomoConfigError, match="MATOMO_SITE_ID=1.*99"):
        client.bulk([{"method": "VisitsSummary.get", "period": "day", "date": "2026-11-19"},
                     {"method": "VisitsSummary.get", "period": "day", "date": "2026-11-19", "idSite": 99}])


def test_real_bulk_answer_shape_error_inside(matomo):
    matomo.fail_next(200, reference("API.getBulkRequest.json"))
    with pytest.raises(MatomoConfigError, match="unexpected website"):
        client_for(matomo).bulk([{"method": "VisitsSummary.get"}, {"method": "Actions.getEntryPageUrls"},
                                 {"method": "VisitsSummary.get", "idSite": 99}, {"method": "VisitsSummary.get"}])


# ---------------------------------------------------------------------------- errors: fail fast
ERROR_CLASSES = {
    "bad_token": MatomoAuthError,
    "no_token": MatomoAuthError,
    "bad_idsite": MatomoConfigError,
    "idsite_text": MatomoConfigError,
    "bad_method": MatomoRequestError,
    "bad_period": MatomoRequestError,
    "bad_date": MatomoRequestError,
    "bad_segment": MatomoRequestError,
    "missing_param": MatomoRequestError,
    "range_no_comma": MatomoRequestError,
}


def test_every_reference_error_shape_is_classified():
    assert {p.stem[4:] for p in REFERENCE.glob("err_*.json")} == set(ERROR_CLASSES)


@pytest.mark.parametrize("status", [200, 400, 401])
@pytest.mark.parametrize("name", sorted(ERROR_CLASSES))
def test_error_answers_fail_fast(matomo, name, status):
    matomo.fail_next(status, reference_error(name))
    sleeps = Sleeps()
    with pytest.raises(ERROR_CLASSES[name]) as err:
        client_for(matomo, sleep=sleeps).visits_summary(DAY, DAY)
    message = str(err.value)
    assert "\n" not in message and reference_error(name)["message"][:40].replace("\\/", "/") in message
    assert len(matomo.requests) == 1 and sleeps == []             # no retry


def test_auth_errors_say_what_to_check(matomo):
    with pytest.raises(MatomoAuthError, match="MATOMO_TOKEN"):
        client_for(matomo, token="wrong").visits_summary(DAY, DAY)
    with pytest.raises(MatomoConfigError, match="MATOMO_SITE_ID=42"):
        client_for(matomo, site_id=42).visits_summary(DAY, DAY)


@pytest.mark.parametrize("suffix", ["/matomo", "/index.php/../wp"])
def test_wrong_url_answering_html_fails_fast(matomo, suffix):
    sleeps = Sleeps()
    with pytest.raises(MatomoConfigError, match="MATOMO_URL.*HTML.*Page introuvable"):
        MatomoClient(matomo.url + suffix, TOKEN, 1, sleep=sleeps).visits_summary(DAY, DAY)
    assert sleeps == []


def test_html_answer_with_200_fails_fast(matomo):
    matomo.fail_next(200, "<!DOCTYPE html><html><head><title>Matomo › Connexion</title></head></html>")
    with pytest.raises(MatomoConfigError, match="Connexion"):
        client_for(matomo).visits_summary(DAY, DAY)
    assert len(matomo.requests) == 1


def test_html_401_is_an_auth_error(matomo):
    matomo.fail_next(401, HTML_PAGE)
    with pytest.raises(MatomoAuthError):
        client_for(matomo).visits_summary(DAY, DAY)


# ---------------------------------------------------------------------------- transient: retried, bounded
def test_429_then_success_honours_retry_after(matomo):
    matomo.fail_next(429, {"result": "error", "message": "Too Many Requests"}, headers={"Retry-After": "7"})
    sleeps = Sleeps()
    assert client_for(matomo, sleep=sleeps).visits_summary(DAY, DAY) == {"2020-09-14": []}
    assert len(sleeps) == 1 and sleeps[0] >= 7
    assert len(matomo.requests) == 2


def test_retry_after_as_http_date(matomo):
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    matomo.fail_next(503, HTML_PAGE, headers={"Retry-After": when})
    sleeps = Sleeps()
    client_for(matomo, sleep=sleeps).visits_summary(DAY, DAY)
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_retry_after_is_capped(matomo):
    matomo.fail_next(429, b"", headers={"Retry-After": "86400"})
    sleeps = Sleeps()
    client_for(matomo, sleep=sleeps, max_retry_after=120).visits_summary(DAY, DAY)
    assert sleeps == [120]


def test_timeout_then_success(matomo):
    matomo.fail_next(200, {"2020-09-14": []}, delay=1.5)
    sleeps = Sleeps()
    client = client_for(matomo, sleep=sleeps, timeout=0.3)
    assert client.visits_summary(DAY, DAY) == {"2020-09-14": []}
    assert len(sleeps) == 1 and client.requests_sent == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retries_are_bounded_with_growing_jittered_delays(matomo, status):
    matomo.fail_next(status, HTML_PAGE, times=20)
    sleeps = Sleeps()
    client = client_for(matomo, sleep=sleeps, max_retries=4, backoff=1.0, max_backoff=5.0)
    with pytest.raises(MatomoUnavailableError, match=f"5 tentatives.*HTTP {status}"):
        client.visits_summary(DAY, DAY)
    assert len(matomo.requests) == 5 and len(sleeps) == 4
    caps = [1, 2, 4, 5]
    assert all(cap / 2 <= s <= cap for s, cap in zip(sleeps, caps, strict=True))


def test_invalid_json_then_success(matomo):
    matomo.fail_next(200, b'{"2020-09-14": [', headers={"Content-Type": "application/json"})
    assert client_for(matomo).visits_summary(DAY, DAY) == {"2020-09-14": []}
    assert len(matomo.requests) == 2


def test_database_error_reported_as_result_error_is_retried(matomo):
    matomo.fail_next(200, {"result": "error", "message": "SQLSTATE[HY000] [2002] Connection refused"})
    assert client_for(matomo).visits_summary(DAY, DAY) == {"2020-09-14": []}


def test_connection_refused_is_transient_then_fails_clearly():
    with MatomoReplay() as server:
        url = server.url
    sleeps = Sleeps()
    with pytest.raises(MatomoUnavailableError, match="connexion impossible"):
        MatomoClient(url, TOKEN, 1, sleep=sleeps, max_retries=2).visits_summary(DAY, DAY)
    assert len(sleeps) == 2


def test_all_errors_are_matomo_errors():
    for cls in (MatomoAuthError, MatomoConfigError, MatomoRequestError, MatomoUnavailableError):
        assert issubclass(cls, MatomoError)
