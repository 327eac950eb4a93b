"""Démarches Simplifiées GraphQL v2 client: our own query document, cursor pagination, bounded retries.

The bearer token is sent in the ``Authorization`` header of each POST and nowhere else: it is never
logged, never part of a repr or an exception message (any echo of it in a server answer is masked).
Every failure is a :class:`DSError` whose message is one clear French line.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

from etl.ds.champs import field_for_label

DEFAULT_API_URL = "https://www.demarches-simplifiees.fr/api/v2/graphql"
QUERY_FILE = Path(__file__).with_name("query.graphql")
CHAMPS_MARKER = "#WIF_CHAMPS#"
RETRYABLE_GRAPHQL_CODES = {"timeout"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
log = logging.getLogger(__name__)


class DSError(RuntimeError):
    """A DS extraction failure; ``str()`` is one line, without the token."""


class DSAuthError(DSError):
    """Token refused, expired, or without access to the démarche."""


class DSNotFoundError(DSError):
    """The démarche does not exist."""


class DSQueryError(DSError):
    """DS rejected the query (GraphQL errors)."""


class DSResponseError(DSError):
    """The answer is not JSON or misses a field the query asked for."""


class DSUnavailableError(DSError):
    """Rate limit, server errors or timeouts that outlasted the retries."""


# ---------------------------------------------------------------------------- query document
def _definitions(text: str) -> dict[str, str]:
    """Top-level ``query``/``fragment`` definitions of the document by name, comment lines removed."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")
             or line.strip() == CHAMPS_MARKER]
    body = "\n".join(lines)
    starts = list(re.finditer(r"^(query|fragment)\s+(\w+)", body, flags=re.MULTILINE))
    return {m[2]: body[m.start():(starts[i + 1].start() if i + 1 < len(starts) else len(body))].strip()
            for i, m in enumerate(starts)}


DEFINITIONS = _definitions(QUERY_FILE.read_text(encoding="utf-8"))
_SPREAD = re.compile(r"\.\.\.\s*([A-Za-z_]\w*)")
_CHAMP_ID = re.compile(r"^[A-Za-z0-9+/=_-]{1,200}$")


def document(operation: str, selection: ChampSelection | None = None) -> str:
    """The text sent for ``operation``: the operation and the fragments it uses (transitively)."""
    text = DEFINITIONS[operation]
    if CHAMPS_MARKER in text:
        text = text.replace(CHAMPS_MARKER, (selection or ChampSelection()).graphql())
    parts, todo, seen = [text], [text], set()
    while todo:
        for name in _SPREAD.findall(todo.pop()):
            if name != "on" and name not in seen:
                seen.add(name)
                parts.append(DEFINITIONS[name])
                todo.append(DEFINITIONS[name])
    return "\n\n".join(parts) + "\n"


@dataclass(frozen=True)
class ChampSelection:
    """Stable ids of the whitelisted champs and annotations of a démarche (all revisions)."""

    champs: tuple[str, ...] = ()
    annotations: tuple[str, ...] = ()

    def graphql(self) -> str:
        lines = [f'c{i}: champs(id: "{cid}") {{ ...ChampValue }}' for i, cid in enumerate(self.champs)]
        lines += [f'a{i}: annotations(id: "{cid}") {{ ...ChampValue }}' for i, cid in enumerate(self.annotations)]
        return "\n        ".join(lines)

    def merge_into(self, node: dict) -> dict:
        """Gather the aliased ``cN``/``aN`` lists of a node into ``champs``/``annotations``."""
        node["champs"] = [c for i in range(len(self.champs)) for c in node.pop(f"c{i}", None) or ()]
        node["annotations"] = [c for i in range(len(self.annotations)) for c in node.pop(f"a{i}", None) or ()]
        return node


# ---------------------------------------------------------------------------- client
class DSClient:
    """Minimal DS GraphQL v2 client for WIF stats (read-only)."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        token: str = "",
        *,
        timeout: float = 60.0,
        max_retries: int = 4,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff: float = 2.0,
        max_wait: float = 300.0,
    ):
        parts = urlsplit(api_url or "")
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise DSError(f"DS_API_URL invalide : {api_url!r} (attendu https://…/api/v2/graphql)")
        if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
            raise DSError(f"DS_API_URL doit être en https:// (le jeton ne circule pas en clair) : {api_url}")
        if not token or not token.strip():
            raise DSAuthError("jeton DS absent : définir DS_TOKEN")
        self.api_url = api_url
        self.__token = token.strip()
        self.timeout = timeout
        self.max_retries = max_retries
        self.session = session or requests.Session()
        self.sleep = sleep
        self.backoff = backoff
        self.max_wait = max_wait

    def __repr__(self) -> str:
        return f"DSClient(api_url={self.api_url!r}, token=***)"

    def _scrub(self, text: str) -> str:
        return text.replace(self.__token, "***") if self.__token else text

    # ------------------------------------------------------------------ high level
    def champ_selection(self, demarche: int) -> ChampSelection:
        """Ids of the champs/annotations whose label is in the alias table, over every revision."""
        data = self.execute("WifChampDescriptors", {"demarche": demarche}, context=f"démarche {demarche}")
        revisions = get_field(data, ("demarche", "revisions"), f"démarche {demarche}")
        champs, annotations = [], []
        for revision in revisions or ():
            for key, ids in (("champDescriptors", champs), ("annotationDescriptors", annotations)):
                for descriptor in get_field(revision, (key,), f"démarche {demarche}, révision") or ():
                    cid = descriptor.get("id")
                    if field_for_label(descriptor.get("label")) and cid and cid not in ids:
                        if not _CHAMP_ID.match(cid):
                            raise DSResponseError(f"démarche {demarche} : identifiant de champ inattendu {cid!r}")
                        ids.append(cid)
        if not champs and not annotations:
            log.warning("démarche %s : aucun champ reconnu (voir etl/reference/champ_aliases.csv)", demarche)
        return ChampSelection(tuple(champs), tuple(annotations))

    def dossier_pages(
        self, demarche: int, since: str | None = None, selection: ChampSelection | None = None
    ) -> Iterator[list[dict]]:
        """Yield the dossier nodes of each page updated since ``since`` (ISO 8601), to the last cursor."""
        selection = self.champ_selection(demarche) if selection is None else selection
        text = document("WifDossiers", selection)
        for nodes in self._pages("WifDossiers", text, demarche, since, ("demarche", "dossiers")):
            yield [selection.merge_into(node) for node in nodes]

    def deleted_dossiers(self, demarche: int, since: str | None = None) -> list[int]:
        """Numbers of the dossiers deleted since ``since``."""
        text = document("WifDeletedDossiers")
        numbers = []
        for nodes in self._pages("WifDeletedDossiers", text, demarche, since, ("demarche", "deletedDossiers")):
            for node in nodes:
                number = node.get("number")
                if not isinstance(number, int):
                    raise DSResponseError(f"démarche {demarche} : dossier supprimé sans numéro dans la réponse DS")
                numbers.append(number)
        return numbers

    def _pages(self, operation, text, demarche, since, path) -> Iterator[list[dict]]:
        after, page, seen = None, 0, set()
        while True:
            page += 1
            where = f"démarche {demarche}, page {page}"
            data = self.execute(operation, {"demarche": demarche, "after": after, "since": since},
                                context=where, document_text=text)
            nodes = get_field(data, (*path, "nodes"), where)
            has_next = get_field(data, (*path, "pageInfo", "hasNextPage"), where)
            if not isinstance(nodes, list):
                raise DSResponseError(f"{where} : « nodes » n'est pas une liste dans la réponse DS")
            yield [n for n in nodes if n is not None]
            if not has_next:
                return
            after = get_field(data, (*path, "pageInfo", "endCursor"), where)
            if not after or after in seen:
                raise DSResponseError(f"{where} : curseur de pagination absent ou répété ({after!r})")
            seen.add(after)

    # ------------------------------------------------------------------ transport
    def execute(self, operation: str, variables: dict, *, context: str = "", document_text: str | None = None) -> dict:
        """POST one operation; return its ``data`` or raise a DSError (after bounded retries if transient)."""
        payload = {"query": document_text or document(operation), "variables": variables,
                   "operationName": operation}
        where = f" ({context})" if context else ""
        for attempt in range(self.max_retries + 1):
            reason, value = self._attempt(payload, where)
            if reason is None:
                return value
            wait = value if value is not None else self.backoff * 2**attempt
            if attempt == self.max_retries:
                raise DSUnavailableError(f"DS indisponible{where} après {attempt + 1} essais : {reason}")
            if wait > self.max_wait:
                raise DSUnavailableError(f"DS demande d'attendre {wait:.0f} s{where} : {reason} ; relancer plus tard")
            log.warning("DS%s : %s ; nouvel essai dans %.0f s (%d/%d)", where, reason, wait, attempt + 1,
                        self.max_retries)
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _attempt(self, payload: dict, where: str):
        """(None, data) on success, (reason, seconds asked by the server or None) when transient; raises otherwise."""
        log.debug("DS POST %s %s variables=%s", self.api_url, payload["operationName"], payload["variables"])
        try:
            response = self.session.post(
                self.api_url, json=payload, timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.__token}", "Accept": "application/json"},
            )
        except requests.Timeout:
            return f"pas de réponse en {self.timeout:g} s", None
        except requests.ConnectionError as exc:
            return f"connexion impossible ({type(exc).__name__})", None
        except requests.RequestException as exc:  # e.g. an answer cut off mid-stream
            return f"échange interrompu ({type(exc).__name__})", None
        status = response.status_code
        if status == 429:
            return "trop de requêtes (HTTP 429)", _retry_after(response)
        if status >= 500:
            return f"erreur serveur HTTP {status}", _retry_after(response)
        body = self._json(response, where, strict=status < 400)
        errors = body.get("errors") if isinstance(body, dict) else None
        if status in (401, 403):
            detail = _messages(errors) or response.reason or ""
            raise DSAuthError(self._scrub(f"DS refuse le jeton{where} (HTTP {status} : {detail}) ; vérifier DS_TOKEN"))
        if status >= 400:
            detail = _messages(errors) or response.reason or ""
            raise DSQueryError(self._scrub(f"DS a rejeté la requête{where} (HTTP {status} : {detail})"))
        if errors:
            codes = {str((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)}
            if codes & RETRYABLE_GRAPHQL_CODES:
                return f"délai de calcul dépassé côté DS ({_messages(errors)})", None
            raise self._graphql_error(codes, _messages(errors), where)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise DSResponseError(f"réponse DS sans « data »{where}")
        return None, body["data"]

    def _json(self, response: requests.Response, where: str, *, strict: bool):
        """The decoded body; a body that is not JSON is an error only where data is expected (``strict``)."""
        try:
            return response.json()
        except ValueError:
            if not strict:
                return None
            start = " ".join(response.text[:60].split())
            raise DSResponseError(self._scrub(
                f"réponse DS illisible{where} : JSON invalide (HTTP {response.status_code}, début « {start} »)"
            )) from None

    def _graphql_error(self, codes: set[str], messages: str, where: str) -> DSError:
        text = self._scrub(messages)
        if codes & {"unauthorized", "forbidden", "deprecated_token"} or "hidden due to permissions" in text:
            return DSAuthError(f"le jeton DS n'a pas accès{where} : {text}")
        if "not_found" in codes or "not found" in text.lower():
            return DSNotFoundError(f"introuvable sur DS{where} : {text} ; vérifier le fichier des démarches")
        return DSQueryError(f"DS a refusé la requête{where} : {text}")


def _messages(errors) -> str:
    if not isinstance(errors, list):
        return ""
    texts = [" ".join(str(e.get("message", e) if isinstance(e, dict) else e).split()) for e in errors[:3]]
    more = f" (+{len(errors) - 3} autres)" if len(errors) > 3 else ""
    return " ; ".join(texts) + more


def _retry_after(response: requests.Response) -> float | None:
    """Seconds asked by Retry-After (seconds or HTTP date), else by DS's RateLimit-Reset (epoch)."""
    value = response.headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            pass
    reset = response.headers.get("RateLimit-Reset")
    if reset and reset.strip().isdigit():
        return max(0.0, int(reset) - time.time())
    return None


def get_field(data, keys: tuple[str, ...], where: str):
    """``data[k1][k2]…`` or a DSResponseError naming the missing field."""
    current = data
    for i, key in enumerate(keys):
        if not isinstance(current, dict) or key not in current:
            raise DSResponseError(f"{where} : champ « {'.'.join(keys[: i + 1])} » absent de la réponse DS")
        current = current[key]
    return current
