"""A fake Démarches Simplifiées GraphQL v2 endpoint for tests, replaying the real API's shapes.

It keeps démarches (champ descriptors of two revisions), full dossier nodes — personal champs included,
as DS holds them — and deleted dossiers, and answers the three operations of ``etl/ds/query.graphql`` the
way DS does: ``champs(id:)`` returns only the champ with that stable id (a bare ``champs`` returns all of
them), ``updatedSince``/``deletedSince`` filter, cursors paginate, an unknown token gets DS's 403, an
unknown démarche DS's ``not_found`` error with HTTP 200. ``fail_next`` queues scripted failures (429 with
Retry-After, 5xx, slow answers, malformed JSON, GraphQL errors with partial data, missing fields).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "tok-9f8e7d6c5b4a-ne-pas-logger"


def champ_id(stable_id: int) -> str:
    """DS's typed id of a champ: base64('Champ-<stable_id>')."""
    return base64.b64encode(f"Champ-{stable_id}".encode()).decode()


# Stable ids of the form's champs. Revision 1 (2018) and revision 2 (2019) differ in labels: the same champ
# relabelled (curly apostrophe, new wording) and the nationality champ re-created under a new stable id.
PERSONAL = {
    1: ("Nom", "TextChamp"), 2: ("Prénom", "TextChamp"), 3: ("E-mail", "EmailChamp"),
    4: ("Téléphone", "PhoneChamp"), 5: ("Date de naissance", "DateChamp"), 6: ("Lieu de naissance", "TextChamp"),
    7: ("Adresse", "AddressChamp"), 8: ("Nom de l’employeur", "TextChamp"),
    9: ("Téléphone de l'employeur", "PhoneChamp"), 10: ("Numéro du titre de séjour", "TextChamp"),
    11: ("Salaire brut", "DecimalNumberChamp"), 12: ("Emploi occupé", "TextChamp"),
    13: ("Motivation", "TextareaChamp"),
}
REVISION_LABELS = {
    1: {20: "Département qui figure sur le titre de séjour", 21: "Type de contrat", 22: "Demande",
        23: "Nationalité", 24: "Date de début", 25: "Date de fin", 26: "Nombre d'heures"},
    2: {20: "DÉPARTEMENT FIGURANT SUR LE TITRE DE SÉJOUR", 21: "Type de contrat :", 22: "Type de demande",
        27: "Pays de nationalité", 24: "Date de début du contrat", 25: "Date de fin du contrat",
        26: "Nombre d’heures par semaine"},
}
TYPENAMES = {20: "DepartementChamp", 21: "DropDownListChamp", 22: "DropDownListChamp", 23: "PaysChamp",
             27: "PaysChamp", 24: "DateChamp", 25: "DateChamp", 26: "IntegerNumberChamp"}
ANNOTATIONS = {30: "Date de début APT", 31: "Date de fin APT", 32: "Commentaire de l'instructeur"}


def personal_values(number: int) -> dict[int, str]:
    """The personal answers of dossier ``number`` (unique per dossier, so a leak is traceable)."""
    return {
        1: f"Nguyen{number}", 2: f"Thi Lan {number}", 3: f"lan.nguyen{number}@example.org",
        4: f"06 12 34 {number % 100:02d} 78", 5: "14 mars 1999", 6: f"Hanoï-{number}",
        7: f"{number} rue de la Paix 75002 Paris", 8: f"Boulangerie Dupont {number}",
        9: f"01 45 67 {number % 100:02d} 89", 10: f"75{number:08d}", 11: f"{1500 + number}.5",
        12: f"Vendeuse {number}", 13: f"Je souhaite travailler {number}",
    }


def make_dossier(
    number: int,
    *,
    state: str = "en_instruction",
    depot: str = "2019-09-02T10:15:00+02:00",
    modified: str | None = None,
    traite: str | None = None,
    revision: int = 2,
    departement: str | None = "75 - Paris",
    contract: str | None = "Contrat d’apprentissage",
    demande: str | None = "Première demande",
    nationality: tuple[str, str] | None = ("MA", "Maroc"),
    start: str | None = "02 septembre 2019",
    end: str | None = "31 août 2020",
    hours: str | None = "35",
    apt_start: str | None = None,
    apt_end: str | None = None,
    archived: bool = False,
) -> dict:
    """A full DS dossier node (what DS holds), with its personal champs."""
    labels = REVISION_LABELS[revision]
    champs = [_champ(sid, label, typename, value)
              for sid, (label, typename) in PERSONAL.items() for value in [personal_values(number)[sid]]]
    values = {20: departement, 21: contract, 22: demande, 23: nationality, 27: nationality, 24: start, 25: end,
              26: hours}
    for sid, label in labels.items():
        champs.append(_champ(sid, label, TYPENAMES[sid], values[sid]))
    annotations = [_champ(30, ANNOTATIONS[30], "DateChamp", apt_start),
                   _champ(31, ANNOTATIONS[31], "DateChamp", apt_end),
                   _champ(32, ANNOTATIONS[32], "TextareaChamp", f"Vu avec M. Martin {number}")]
    decided = state in ("accepte", "refuse", "sans_suite")
    traite = traite or ("2019-09-09T16:00:00+02:00" if decided else None)
    event = {"accepte": "accepte", "refuse": "refuse", "sans_suite": "classe_sans_suite"}.get(state)
    return {
        "number": number, "state": state, "archived": archived, "dateDepot": depot,
        "datePassageEnConstruction": depot,
        "datePassageEnInstruction": None if state == "en_construction" else "2019-09-03T09:00:00+02:00",
        "dateTraitement": traite, "dateDerniereModification": modified or traite or depot,
        "groupeInstructeur": {"number": 4, "label": "ud75-apt-etudiants"},
        "traitements": [{"event": "passe_en_instruction", "dateTraitement": "2019-09-03T09:00:00+02:00"}]
        + ([{"event": event, "dateTraitement": traite}] if decided else []),
        "champs": champs, "annotations": annotations,
        # what DS also holds and our query never asks for
        "usager": {"email": personal_values(number)[3]}, "motivation": "Dossier complet",
    }


def _champ(stable_id: int, label: str, typename: str, value) -> dict:
    champ = {"id": champ_id(stable_id), "label": label, "__typename": typename, "stringValue": None}
    if typename == "PaysChamp":
        champ["stringValue"] = value[1] if value else None
        champ["pays"] = {"code": value[0], "name": value[1]} if value else None
    elif typename == "DepartementChamp":
        champ["stringValue"] = value
        champ["departement"] = {"code": value.split(" - ")[0], "name": value.split(" - ")[1]} if value else None
    elif typename == "IntegerNumberChamp":
        champ["stringValue"] = value
        champ["integerNumber"] = value  # GraphQL BigInt is serialised as a string
    elif typename == "DecimalNumberChamp":
        champ["stringValue"] = value
        champ["decimalNumber"] = float(value) if value else None
    else:
        champ["stringValue"] = value
    return champ


# ---------------------------------------------------------------------------- the endpoint
@dataclass
class Sent:
    """One request received: operation, variables, query text, Authorization header."""

    operation: str
    variables: dict
    query: str
    authorization: str | None


@dataclass
class FakeDS:
    token: str = TOKEN
    page_size: int = 3
    dossiers: dict[int, list[dict]] = field(default_factory=dict)
    deleted: dict[int, list[dict]] = field(default_factory=dict)
    url: str = ""    # set by ``serving``
    sent: list[Sent] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)  # every response body, for privacy assertions
    _script: list[Callable[[Sent], Response | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_demarche(self, number: int, dossiers: list[dict] = (), deleted: list[tuple[int, str]] = ()) -> None:
        self.dossiers[number] = list(dossiers)
        self.deleted[number] = [{"number": n, "dateSupression": d, "reason": "user_request", "state": "en_construction"}
                                for n, d in deleted]

    def fail_next(self, *responders: Callable[[Sent], Response | None]) -> None:
        """Queue responders run before normal handling, one per request (None = answer normally)."""
        self._script.extend(responders)

    # ------------------------------------------------------------------ handler
    def __call__(self, request: Request) -> Response:
        body = json.loads(request.get_data(as_text=True) or "{}")
        sent = Sent(body.get("operationName"), body.get("variables") or {}, body.get("query", ""),
                    request.headers.get("Authorization"))
        with self._lock:
            self.sent.append(sent)
            scripted = self._script.pop(0) if self._script else None
        if scripted is not None:
            response = scripted(sent)
            if response is not None:
                return response
        if sent.authorization != f"Bearer {self.token}":
            return _json({"errors": [{"message": "Without a token, only persisted queries are allowed",
                                      "extensions": {"code": "forbidden"}}], "data": None}, status=403)
        number = sent.variables.get("demarche")
        if number not in self.dossiers:
            return _json({"errors": [{"message": "Demarche not found", "locations": [{"line": 2, "column": 3}],
                                      "path": ["demarche"], "extensions": {"code": "not_found"}}], "data": None})
        handler = {"WifChampDescriptors": self._descriptors, "WifDossiers": self._dossiers,
                   "WifDeletedDossiers": self._deleted}[sent.operation]
        answer = {"data": {"demarche": {"number": number, **handler(number, sent)}}}
        text = json.dumps(answer)
        self.bodies.append(text)
        return Response(text, status=200, content_type="application/json; charset=utf-8")

    def _descriptors(self, number: int, sent: Sent) -> dict:
        revisions = []
        for rev, labels in REVISION_LABELS.items():
            champs = [{"id": champ_id(s), "label": lbl} for s, (lbl, _) in PERSONAL.items()]
            champs += [{"id": champ_id(s), "label": lbl} for s, lbl in labels.items()]
            revisions.append({"id": f"rev{rev}", "champDescriptors": champs,
                              "annotationDescriptors": [{"id": champ_id(s), "label": lbl}
                                                        for s, lbl in ANNOTATIONS.items()]})
        return {"revisions": revisions}

    def _dossiers(self, number: int, sent: Sent) -> dict:
        since = _when(sent.variables.get("since"))
        nodes = [n for n in self.dossiers[number]
                 if since is None or _when(n["dateDerniereModification"]) >= since]
        nodes.sort(key=lambda n: (_when(n["dateDerniereModification"]), n["number"]))
        page, info = self._page(nodes, sent.variables.get("after"))
        wanted_champs = re.findall(r'(c\d+): champs\(id: "([^"]+)"\)', sent.query)
        wanted_annotations = re.findall(r'(a\d+): annotations\(id: "([^"]+)"\)', sent.query)
        bare = re.search(r"\bchamps\s*\{", sent.query) is not None
        out = []
        for node in page:
            meta = {k: v for k, v in node.items() if k not in ("champs", "annotations", "usager", "motivation")}
            for alias, cid in wanted_champs:
                meta[alias] = [c for c in node["champs"] if c["id"] == cid]
            for alias, cid in wanted_annotations:
                meta[alias] = [c for c in node["annotations"] if c["id"] == cid]
            if bare:
                meta["champs"] = node["champs"]
            out.append(meta)
        return {"dossiers": {"pageInfo": info, "nodes": out}}

    def _deleted(self, number: int, sent: Sent) -> dict:
        since = _when(sent.variables.get("since"))
        nodes = [{"number": d["number"], "dateSupression": d["dateSupression"]} for d in self.deleted[number]
                 if since is None or _when(d["dateSupression"]) >= since]
        page, info = self._page(nodes, sent.variables.get("after"))
        return {"deletedDossiers": {"pageInfo": info, "nodes": page}}

    def _page(self, items: list, after: str | None) -> tuple[list, dict]:
        start = int(base64.b64decode(after).decode().split(":")[1]) if after else 0
        page = items[start:start + self.page_size]
        end = start + len(page)
        return page, {"hasNextPage": end < len(items),
                      "endCursor": base64.b64encode(f"cursor:{end}".encode()).decode() if page else None}


@contextlib.contextmanager
def serving(fake: FakeDS) -> Iterator[FakeDS]:
    """Serve ``fake`` on a local HTTP server at ``/api/v2/graphql``; its address is put in ``fake.url``."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request("/api/v2/graphql", method="POST").respond_with_handler(fake)
    server.start()
    fake.url = server.url_for("/api/v2/graphql")
    try:
        yield fake
    finally:
        server.clear()
        server.stop()


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _json(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json; charset=utf-8")


# ---------------------------------------------------------------------------- scripted failures
def too_many_requests(retry_after: str = "7") -> Callable[[Sent], Response]:
    """DS's rack-attack answer: plain text, Retry-After and RateLimit-Reset headers."""
    return lambda sent: Response(
        "Calme toi, cowboy ! T'enchaines un peu trop les requêtes. Respire un peu réessaie dans un petit moment.\n"
        "Calm down, cowboy! You're making too many requests. Take a breather and try again soon.\n",
        status=429, content_type="text/plain", headers={"Retry-After": retry_after, "RateLimit-Remaining": "0",
                                                        "RateLimit-Reset": str(int(time.time()) + 7)})


def server_error(status: int = 502) -> Callable[[Sent], Response]:
    return lambda sent: Response("<html><body><h1>502 Bad Gateway</h1></body></html>", status=status,
                                 content_type="text/html")


def slow(seconds: float) -> Callable[[Sent], None]:
    """Answer normally, but only after ``seconds`` (longer than the client's timeout)."""
    def responder(sent: Sent) -> None:
        time.sleep(seconds)
    return responder


def malformed_json() -> Callable[[Sent], Response]:
    return lambda sent: Response('{"data": {"demarche": {"number": 1, "dossiers": {"pageInfo": {"hasNe',
                                 status=200, content_type="application/json")


def graphql_error(message: str, code: str, data: dict | None = None) -> Callable[[Sent], Response]:
    """An error answered with HTTP 200, possibly with partial data, as DS does."""
    return lambda sent: _json({"errors": [{"message": message, "locations": [{"line": 2, "column": 3}],
                                           "path": ["demarche"], "extensions": {"code": code}}], "data": data})


def expired_token() -> Callable[[Sent], Response]:
    return lambda sent: _json({"errors": [{"message": "Token expired", "extensions": {"code": "unauthorized"}}],
                               "data": None}, status=401)


def echo_token() -> Callable[[Sent], Response]:
    """A broken proxy echoing the request headers in an error page."""
    return lambda sent: _json({"errors": [{"message": f"bad header {sent.authorization}",
                                           "extensions": {"code": "bad_request"}}], "data": None}, status=400)


def without(path: tuple[str, ...], fake: FakeDS) -> Callable[[Sent], Response]:
    """The normal answer with the field at ``path`` (under data.demarche) removed."""
    def responder(sent: Sent) -> Response:
        number = sent.variables["demarche"]
        handler = {"WifChampDescriptors": fake._descriptors, "WifDossiers": fake._dossiers,
                   "WifDeletedDossiers": fake._deleted}[sent.operation]
        demarche = {"number": number, **handler(number, sent)}
        parent = demarche
        for key in path[:-1]:
            parent = parent[key]
        parent.pop(path[-1])
        return _json({"data": {"demarche": demarche}})
    return responder
