"""DSClient against a local server replaying DS GraphQL v2 answers: pagination, filters, every error shape."""

from __future__ import annotations

import base64
import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from werkzeug import Response

from etl.ds.client import (
    ChampSelection,
    DSAuthError,
    DSClient,
    DSError,
    DSNotFoundError,
    DSQueryError,
    DSResponseError,
    DSUnavailableError,
    document,
)
from tests.ds_replay import (
    TOKEN,
    FakeDS,
    champ_id,
    echo_token,
    expired_token,
    graphql_error,
    make_dossier,
    malformed_json,
    personal_values,
    server_error,
    serving,
    slow,
    too_many_requests,
    without,
)

DEMARCHE = 1234


@pytest.fixture
def fake():
    """A fake DS with démarche 1234: 7 dossiers (pages of 3) and 2 deleted ones."""
    fake = FakeDS(page_size=3)
    dossiers = [make_dossier(n, modified=f"2019-09-{n + 1:02d}T12:00:00+02:00") for n in range(1, 8)]
    fake.add_demarche(DEMARCHE, dossiers, deleted=[(90, "2019-09-03T10:00:00+02:00"),
                                                   (91, "2019-09-20T10:00:00+02:00")])
    with serving(fake):
        yield fake


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(fake, *, token=TOKEN, **kwargs) -> DSClient:
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("timeout", 5)
    return DSClient(fake.url, token, **kwargs)


def all_nodes(client, **kwargs) -> list[dict]:
    return [node for page in client.dossier_pages(DEMARCHE, **kwargs) for node in page]


# ---------------------------------------------------------------------------- pagination and filters
def test_pages_are_followed_to_the_last_cursor(fake):
    nodes = all_nodes(client_for(fake))
    assert [n["number"] for n in nodes] == [1, 2, 3, 4, 5, 6, 7]
    pages = [s for s in fake.sent if s.operation == "WifDossiers"]
    assert len(pages) == 3
    assert pages[0].variables == {"demarche": DEMARCHE, "after": None, "since": None}
    assert [base64.b64decode(p.variables["after"]).decode() for p in pages[1:]] == ["cursor:3", "cursor:6"]
    assert all(p.authorization == f"Bearer {TOKEN}" for p in fake.sent)


def test_only_whitelisted_champs_are_requested(fake):
    nodes = all_nodes(client_for(fake))
    query = next(s.query for s in fake.sent if s.operation == "WifDossiers")
    asked = {int(base64.b64decode(i).decode().split("-")[1]) for i in re.findall(r'id: "([^"]+)"', query)}
    assert asked == {20, 21, 22, 23, 24, 25, 26, 27, 30, 31}  # both revisions' labels; no personal champ
    assert "usager" not in query and "motivation" not in query and "demandeur" not in query
    labels = {c["label"] for n in nodes for c in n["champs"] + n["annotations"]}
    assert "Nom" not in labels and "Date de début APT" in labels and "Type de contrat :" in labels
    bodies = "\n".join(fake.bodies)
    for n in range(1, 8):
        for value in personal_values(n).values():
            assert value not in bodies  # personal answers never left the (fake) DS
    assert not any(k.startswith(("c", "a")) and k[1:].isdigit() for n in nodes for k in n)


def test_updated_since_is_passed_through(fake):
    since = "2019-09-05T00:00:00+02:00"
    nodes = all_nodes(client_for(fake), since=since)
    assert [n["number"] for n in nodes] == [4, 5, 6, 7]
    assert {s.variables["since"] for s in fake.sent if s.operation == "WifDossiers"} == {since}


def test_deleted_dossiers(fake):
    client = client_for(fake)
    assert client.deleted_dossiers(DEMARCHE) == [90, 91]
    assert client.deleted_dossiers(DEMARCHE, since="2019-09-10T00:00:00+02:00") == [91]
    sent = [s for s in fake.sent if s.operation == "WifDeletedDossiers"]
    assert sent[-1].variables["since"] == "2019-09-10T00:00:00+02:00"
    assert "deletedSince: $since" in sent[-1].query


def test_many_deleted_dossiers_are_paginated(fake):
    fake.deleted[DEMARCHE] = [{"number": n, "dateSupression": "2019-09-03T10:00:00+02:00"} for n in range(100, 108)]
    assert client_for(fake).deleted_dossiers(DEMARCHE) == list(range(100, 108))


def test_a_selection_never_asks_for_all_champs():
    text = document("WifDossiers", ChampSelection())
    assert "champs" not in text and "ChampValue" not in text  # no unused fragment either
    text = document("WifDossiers", ChampSelection((champ_id(21),), (champ_id(30),)))
    assert f'c0: champs(id: "{champ_id(21)}")' in text and f'a0: annotations(id: "{champ_id(30)}")' in text
    assert "fragment ChampValue on Champ" in text and "#" not in text


# ---------------------------------------------------------------------------- errors
def test_graphql_error_with_http_200_and_partial_data_is_a_failure(fake):
    fake.fail_next(graphql_error("An object of type Demarche was hidden due to permissions", "unauthorized",
                                 data={"demarche": None}))
    with pytest.raises(DSAuthError, match=r"n'a pas accès \(démarche 1234\) : An object of type Demarche"):
        client_for(fake).champ_selection(DEMARCHE)


def test_unknown_demarche(fake):
    with pytest.raises(DSNotFoundError, match="introuvable sur DS .démarche 999.* Demarche not found"):
        client_for(fake).champ_selection(999)


def test_bad_token_gets_a_clear_message(fake):
    with pytest.raises(DSAuthError, match=r"DS refuse le jeton .* \(HTTP 403 : Without a token.*vérifier DS_TOKEN"):
        client_for(fake, token="mauvais-jeton").champ_selection(DEMARCHE)


def test_expired_token_401(fake):
    fake.fail_next(expired_token())
    with pytest.raises(DSAuthError, match="HTTP 401 : Token expired"):
        client_for(fake).champ_selection(DEMARCHE)


def test_other_graphql_errors(fake):
    fake.fail_next(graphql_error("Field 'dossiers' doesn't accept argument 'foo'", "undefinedField"))
    with pytest.raises(DSQueryError, match="DS a refusé la requête .démarche 1234. : Field 'dossiers'"):
        client_for(fake).champ_selection(DEMARCHE)


def test_429_waits_for_retry_after_then_succeeds(fake):
    fake.fail_next(None, too_many_requests("7"), too_many_requests("3"))  # 2nd and 3rd requests throttled
    client = client_for(fake)
    nodes = all_nodes(client)
    assert len(nodes) == 7
    assert client.sleep == [7.0, 3.0]


def test_429_with_an_http_date(fake):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake.fail_next(too_many_requests(when))
    client = client_for(fake)
    client.champ_selection(DEMARCHE)
    assert 25 <= client.sleep[0] <= 31


def test_429_asking_too_long_a_wait_gives_up_at_once(fake):
    fake.fail_next(too_many_requests("3600"))
    client = client_for(fake, max_wait=300)
    with pytest.raises(DSUnavailableError, match="DS demande d'attendre 3600 s"):
        client.champ_selection(DEMARCHE)
    assert client.sleep == [] and len(fake.sent) == 1


def test_server_errors_are_retried_a_bounded_number_of_times(fake):
    fake.fail_next(*[server_error(502)] * 10)
    client = client_for(fake, max_retries=3, backoff=2)
    with pytest.raises(DSUnavailableError, match="après 4 essais : erreur serveur HTTP 502"):
        client.champ_selection(DEMARCHE)
    assert len(fake.sent) == 4
    assert client.sleep == [2, 4, 8]


def test_a_transient_5xx_is_recovered(fake):
    fake.fail_next(server_error(503), server_error(500))
    client = client_for(fake)
    assert len(all_nodes(client)) == 7
    assert len(client.sleep) == 2


def test_timeouts_are_retried(fake):
    fake.fail_next(slow(1.5))
    client = client_for(fake, timeout=0.5)
    assert len(all_nodes(client)) == 7
    assert client.sleep == [2.0]


def test_timeouts_are_bounded(fake):
    fake.fail_next(*[slow(0.6)] * 3)
    client = client_for(fake, timeout=0.2, max_retries=2)
    with pytest.raises(DSUnavailableError, match=r"après 3 essais : pas de réponse en 0.2 s"):
        client.champ_selection(DEMARCHE)


def test_graphql_timeout_code_is_retried(fake):
    fake.fail_next(graphql_error("Timeout on Query.demarche", "timeout"))
    client = client_for(fake)
    assert client.champ_selection(DEMARCHE).champs
    assert client.sleep == [2.0]


def test_malformed_json(fake):
    fake.fail_next(malformed_json())
    with pytest.raises(DSResponseError, match=r"réponse DS illisible .démarche 1234. : JSON invalide \(HTTP 200"):
        client_for(fake).champ_selection(DEMARCHE)


@pytest.mark.parametrize(("path", "field"), [
    (("dossiers", "pageInfo"), "demarche.dossiers.pageInfo"),
    (("dossiers", "nodes"), "demarche.dossiers.nodes"),
    (("dossiers",), "demarche.dossiers"),
])
def test_a_page_with_a_missing_field(fake, path, field):
    client = client_for(fake)
    selection = client.champ_selection(DEMARCHE)
    fake.fail_next(None, without(path, fake))  # the second page is broken
    with pytest.raises(DSResponseError, match=rf"démarche 1234, page 2 : champ « {field} » absent"):
        list(client.dossier_pages(DEMARCHE, selection=selection))


def test_connection_refused_is_retried_then_reported():
    client = DSClient("http://127.0.0.1:9/api/v2/graphql", TOKEN, max_retries=1, sleep=Sleeps(), timeout=1)
    with pytest.raises(DSUnavailableError, match="après 2 essais : connexion impossible"):
        client.champ_selection(DEMARCHE)


# ---------------------------------------------------------------------------- the token
def test_token_never_in_logs_reprs_or_errors(fake, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[DSError] = []
    client = client_for(fake)
    fake.fail_next(too_many_requests("1"), server_error(502), slow(0.0))
    all_nodes(client)
    client.deleted_dossiers(DEMARCHE)
    for responder in (echo_token(), expired_token(), malformed_json(),
                      graphql_error("hidden due to permissions", "unauthorized")):
        fake.fail_next(responder)
        with pytest.raises(DSError) as caught:
            client.champ_selection(DEMARCHE)
        errors.append(caught.value)
    with pytest.raises(DSError) as caught:
        client_for(fake, token=TOKEN + "x").champ_selection(DEMARCHE)
    errors.append(caught.value)
    assert "bad header Bearer ***" in str(errors[0])  # an echo of the header is masked
    for text in [caplog.text, repr(client), *map(str, errors), *(repr(e) for e in errors)]:
        assert TOKEN not in text
    assert "DS" in caplog.text  # the retries were logged


def test_configuration_errors():
    with pytest.raises(DSAuthError, match="jeton DS absent"):
        DSClient("https://www.demarches-simplifiees.fr/api/v2/graphql", "")
    with pytest.raises(DSError, match="https://"):
        DSClient("http://ds.example.org/api/v2/graphql", TOKEN)
    with pytest.raises(DSError, match="DS_API_URL invalide"):
        DSClient("demarches-simplifiees.fr", TOKEN)
    client = DSClient("https://demarche.numerique.gouv.fr/api/v2/graphql", TOKEN)
    assert client.api_url.startswith("https://demarche.numerique.gouv.fr") and TOKEN not in repr(client)


def test_an_html_401_from_a_proxy_is_still_a_token_error(fake):
    fake.fail_next(lambda sent: Response("<html>401 Authorization Required</html>", status=401,
                                         content_type="text/html"))
    with pytest.raises(DSAuthError, match=r"HTTP 401 : UNAUTHORIZED"):
        client_for(fake).champ_selection(DEMARCHE)
