"""Matomo HTTP reporting API client: POST with the token in the body, pagination, bulk, retries.

Every call is ``POST <base>/index.php`` with ``module=API``, ``format=JSON`` and ``token_auth`` in the form
body — never in the URL, never logged, never in an exception message or a repr.

Failures, as a Matomo 5 server really produces them:

* transient — timeouts, connection errors, HTTP 5xx and 429 (``Retry-After`` honoured), invalid or truncated
  JSON, database hiccups reported as ``{"result":"error"}``: retried ``max_retries`` times with bounded
  exponential backoff and jitter, then ``MatomoUnavailableError``;
* permanent — ``{"result":"error","message":…}`` (HTTP 200, 400 or 401) for a bad token or missing access
  (``MatomoAuthError``), an unknown site (``MatomoConfigError``), an HTML page instead of JSON or a redirect
  (wrong ``MATOMO_URL``, ``MatomoConfigError``; redirects are never followed, they would drop the POST body
  or carry the token to another host) or a refused request (``MatomoRequestError``): raised at once with
  one clear line. ``MATOMO_URL`` must be https (plain http only for localhost).
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import requests

from etl.privacy import LIVE_HIDE_COLUMNS

log = logging.getLogger("etl.matomo")

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
PAGE_REPORTS = {
    "pages": "Actions.getPageUrls",
    "entry": "Actions.getEntryPageUrls",
    "exit": "Actions.getExitPageUrls",
}
_TRANSIENT_MESSAGES = re.compile(
    r"SQLSTATE|deadlock|lock wait timeout|server has gone away|too many connections|"
    r"maximum execution time|temporarily|try again|archiving is in progress",
    re.IGNORECASE,
)
_AUTH_MESSAGES = re.compile(
    r"authenticate|token_auth|requires '?\w+'? access|can't access|not logged in", re.IGNORECASE)
_SITE_MESSAGES = re.compile(r"unexpected website|website id|idsite", re.IGNORECASE)


class MatomoError(Exception):
    """Any Matomo failure; ``str()`` is one line, without the token."""


class MatomoAuthError(MatomoError):
    """The token is refused or has no view access to the site."""


class MatomoConfigError(MatomoError):
    """Configuration problem: unknown site, ``MATOMO_URL`` not a Matomo API, missing variables."""


class MatomoRequestError(MatomoError):
    """Matomo refused the request itself (unknown method, bad parameter)."""


class MatomoUnavailableError(MatomoError):
    """Transient failures went on after every retry."""


class _Transient(Exception):
    """Internal: this attempt failed in a way worth retrying."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class _Secret:
    """Holds the token; shows up as *** in reprs, tracebacks and logs."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


def _one_line(text: object, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def _retry_after(value: str | None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _html_title(text: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return _one_line(match.group(1), 80) if match else "page HTML"


class MatomoClient:
    """Client of one Matomo site. ``session`` and ``sleep`` are injectable for tests."""

    def __init__(
        self,
        base_url: str,
        token: str,
        site_id: int,
        timeout: float = 120.0,
        max_retries: int = 5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        *,
        page_size: int = 1000,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 300.0,
        jitter: Callable[[], float] = random.random,
    ):
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise MatomoConfigError(f"MATOMO_URL doit commencer par https:// (reçu {base_url!r})")
        if base_url.startswith("http://") and urlsplit(base_url).hostname not in LOCAL_HOSTS:
            raise MatomoConfigError(f"MATOMO_URL doit être en https:// (le jeton ne circule pas en clair) : {base_url}")
        if not token:
            raise MatomoConfigError("MATOMO_TOKEN est vide")
        base = base_url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
        self.endpoint = base if base.endswith("/index.php") else f"{base}/index.php"
        self._token = _Secret(token)
        self.site_id = int(site_id)
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.session = session or requests.Session()
        self.sleep = sleep
        self.page_size = int(page_size)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.jitter = jitter
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"MatomoClient(endpoint={self.endpoint!r}, site_id={self.site_id})"

    # ------------------------------------------------------------------ transport
    def _scrub(self, text: object) -> str:
        line = _one_line(text)
        return line.replace(self._token.value, "***") if self._token.value else line

    def call(self, method: str, **params: Any) -> Any:
        """One API method; returns the decoded JSON. ``idSite`` defaults to the client's site."""
        params.setdefault("idSite", self.site_id)
        return self._post(method, params)

    def _post(self, method: str, params: dict[str, Any]) -> Any:
        body = [("module", "API"), ("method", method), ("format", "JSON"),
                *((k, str(v)) for k, v in params.items() if v is not None)]
        shown = " ".join(f"{k}={v}" if not k.startswith("urls[") else v.split("&", 1)[0]
                         for k, v in body[3:])
        attempt = 0
        while True:
            try:
                log.debug("POST %s method=%s %s", self.endpoint, method, shown)
                return self._attempt(method, [*body, ("token_auth", self._token.value)])
            except _Transient as exc:
                if attempt >= self.max_retries:
                    raise MatomoUnavailableError(self._scrub(
                        f"Matomo indisponible ({method}) après {attempt + 1} tentatives : {exc}")) from None
                delay = min(self.max_backoff, self.backoff * 2 ** attempt)
                delay = delay / 2 + self.jitter() * delay / 2
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self.max_retry_after))
                attempt += 1
                log.warning("Matomo %s : %s ; nouvel essai %d/%d dans %.1f s",
                            method, self._scrub(exc), attempt, self.max_retries, delay)
                self.sleep(delay)

    def _attempt(self, method: str, body: list[tuple[str, str]]) -> Any:
        self.requests_sent += 1
        try:
            resp = self.session.post(self.endpoint, data=body, timeout=self.timeout, allow_redirects=False,
                                     headers={"Accept": "application/json"})
        except requests.Timeout:
            raise _Transient(f"délai de {self.timeout:g} s dépassé") from None
        except requests.ConnectionError as exc:
            raise _Transient(f"connexion impossible ({exc.__class__.__name__})") from None
        except requests.RequestException as exc:
            raise MatomoConfigError(self._scrub(
                f"requête Matomo impossible vers {self.endpoint} : {exc.__class__.__name__}")) from None
        status = resp.status_code
        text = resp.text or ""
        if 300 <= status < 400:  # never follow: a redirect would drop the body or send the token elsewhere
            location = resp.headers.get("Location", "?").split("?", 1)[0]
            raise MatomoConfigError(self._scrub(
                f"MATOMO_URL redirige (HTTP {status}) vers {location} : indiquer directement cette adresse"))
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}", _retry_after(resp.headers.get("Retry-After")))
        content_type = resp.headers.get("Content-Type", "").lower()
        if "html" in content_type or text.lstrip()[:1] == "<":
            if status in (401, 403):
                raise MatomoAuthError(f"Matomo refuse l'accès (HTTP {status}, réponse HTML) : vérifier MATOMO_TOKEN")
            raise MatomoConfigError(self._scrub(
                f"MATOMO_URL ne mène pas à l'API Matomo : {self.endpoint} répond une page HTML "
                f"(HTTP {status}, « {_html_title(text)} »)"))
        try:
            data = orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            if status >= 400:
                raise MatomoConfigError(self._scrub(
                    f"MATOMO_URL ne mène pas à l'API Matomo : HTTP {status} sans JSON")) from None
            raise _Transient(f"JSON invalide ou tronqué ({len(resp.content)} octets)") from None
        self._raise_for_error(method, data, status)
        if status >= 400:
            raise MatomoRequestError(self._scrub(f"Matomo {method} : HTTP {status}"))
        return data

    def _raise_for_error(self, method: str, data: Any, status: int | None = None) -> None:
        """Raise the right exception for a ``{"result":"error"}`` answer."""
        if not (isinstance(data, dict) and data.get("result") == "error"):
            return
        message = self._scrub(data.get("message") or "erreur sans message")
        where = f" (HTTP {status})" if status else ""
        if _TRANSIENT_MESSAGES.search(message):
            raise _Transient(f"erreur Matomo{where} : {message}")
        if _AUTH_MESSAGES.search(message):
            raise MatomoAuthError(
                f"Matomo refuse MATOMO_TOKEN pour le site {self.site_id}{where} : {message}")
        if _SITE_MESSAGES.search(message):
            raise MatomoConfigError(f"MATOMO_SITE_ID={self.site_id} refusé par Matomo{where} : {message}")
        raise MatomoRequestError(f"Matomo {method}{where} : {message}")

    # ------------------------------------------------------------------ bulk
    def bulk(self, queries: Iterable[dict[str, Any]]) -> list[Any]:
        """Several API calls in one round trip (``API.getBulkRequest``); each query needs a ``method``."""
        queries = list(queries)
        params: dict[str, Any] = {}
        for i, query in enumerate(queries):
            sub = {"idSite": self.site_id, **query}
            params[f"urls[{i}]"] = urlencode({k: v for k, v in sub.items() if v is not None})
        answers = self._post("API.getBulkRequest", params)
        if not isinstance(answers, list) or len(answers) != len(queries):
            raise MatomoRequestError("API.getBulkRequest : réponse inattendue "
                                     f"({type(answers).__name__}, {len(queries)} réponses attendues)")
        for query, answer in zip(queries, answers, strict=True):
            try:
                self._raise_for_error(query["method"], answer)
            except _Transient as exc:  # one failed sub-request: retry it alone
                log.warning("Matomo %s (bulk) : %s ; nouvel essai isolé", query["method"], exc)
                return [self.call(**q) for q in queries]
        return answers

    # ------------------------------------------------------------------ API methods used by the ETL
    def live_query(self, day: date, offset: int = 0) -> dict[str, Any]:
        """Parameters of one page of Live visits of ``day``, oldest first."""
        return {
            "method": "Live.getLastVisitsDetails", "period": "day", "date": day.isoformat(),
            "filter_limit": self.page_size, "filter_offset": offset, "filter_sort_order": "asc",
            "hideColumns": ",".join(LIVE_HIDE_COLUMNS),
        }

    def live_day(self, day: date, first_page: list | None = None) -> list[dict]:
        """Every Live visit of ``day`` (pages of ``page_size`` until a short page), oldest first.

        ``first_page`` is the answer for offset 0 when it was already fetched (by a bulk request).
        """
        visits: list[dict] = []
        seen: set = set()
        offset = 0
        page = first_page if first_page is not None else self.call(**self.live_query(day, 0))
        while True:
            if not isinstance(page, list):
                raise MatomoRequestError(
                    f"Live.getLastVisitsDetails {day} : liste attendue, reçu {type(page).__name__}")
            ids = {v.get("idVisit") for v in page if isinstance(v, dict)}
            if page and offset and ids and ids <= seen:
                raise MatomoRequestError(
                    f"Live.getLastVisitsDetails {day} : filter_offset ignoré (la page {offset} répète la précédente)")
            seen |= ids
            visits.extend(page)
            if len(page) < self.page_size:
                return visits
            offset += self.page_size
            page = self.call(**self.live_query(day, offset))

    def range_queries(self, start: date, end: date) -> list[dict[str, Any]]:
        """VisitsSummary.get and the three Actions page reports, period=day over ``start``..``end``."""
        dates = f"{start.isoformat()},{end.isoformat()}"
        queries = [{"method": "VisitsSummary.get", "period": "day", "date": dates}]
        for method in PAGE_REPORTS.values():
            queries.append({"method": method, "period": "day", "date": dates, "flat": 1, "filter_limit": -1})
        return queries

    def visits_summary(self, start: date, end: date) -> dict:
        """VisitsSummary.get, period=day over the range: ``{"YYYY-MM-DD": {...} or []}``."""
        return self.call(**self.range_queries(start, end)[0])

    def page_report(self, report: str, start: date, end: date) -> dict:
        """One Actions page report (``pages`` | ``entry`` | ``exit``), flat, every row, per day."""
        return self.call(method=PAGE_REPORTS[report], period="day", date=f"{start},{end}", flat=1, filter_limit=-1)

    def fetch_range(self, days: list[date]) -> tuple[dict, dict[str, dict], dict[date, list]]:
        """One round trip for consecutive ``days``: daily summary, the three page reports, first Live pages.

        Returns ``(summary, {"pages"|"entry"|"exit": multi-day dict}, {day: first Live page})``.
        """
        queries = self.range_queries(days[0], days[-1]) + [self.live_query(d, 0) for d in days]
        answers = self.bulk(queries)
        summary, reports, pages = answers[0], answers[1:4], answers[4:]
        return summary, dict(zip(PAGE_REPORTS, reports, strict=True)), dict(zip(days, pages, strict=True))
