"""Privacy rules shared by every loader: what may be read from a source, and how URLs are cut down.

WIF promised to store no nominative data. The loaders apply these rules *before* anything reaches a
DataFrame, so nothing personal can reach disk:

* **Field whitelists** — a Matomo visit or action is read through ``LIVE_VISIT_FIELDS`` /
  ``LIVE_ACTION_FIELDS`` only. Everything else Matomo sends (visitIp, visitorId, fingerprint, userId,
  latitude/longitude, city, custom variables and dimensions, referrer keyword, resolution…) is never read.
  ``LIVE_HIDE_COLUMNS`` additionally asks the server not to send the worst of them at all.
* **URLs** (``sanitize_url``) — keep scheme + host + path; drop user info, the fragment and every query
  parameter except WIF's own non-personal ones (``departement``, ``department``, ``link``, ``user``), and keep
  those only when their value is valid (a department code, a DS démarche slug, an audience code). Path
  segments that look like an e-mail, a phone number or an identifier are replaced by ``_``. Non-web schemes
  (``mailto:``, ``tel:``) keep the scheme only.
* **Referrers** (``referrer_host``) — host only.
* **Titles** (``sanitize_title``) — a title that is a URL is sanitised like one; e-mail addresses and phone
  numbers in a title are masked.

Both URL functions are memoised: WIF has a few hundred distinct URLs, so loading 25 M actions costs a few
hundred parses (``sanitize_many`` works on the distinct values of a column).
"""

from __future__ import annotations

import csv
import re
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import numpy as np
import pandas as pd

REFERENCE_DIR = Path(__file__).with_name("reference")

# Live.getLastVisitsDetails visit keys that are read, and the warehouse column each one feeds.
# Numbers and timestamps are converted by the parser; nothing outside this table is ever looked at.
LIVE_VISIT_FIELDS: dict[str, str] = {
    "serverDate": "visit_date",
    "firstActionTimestamp": "started_at",
    "lastActionTimestamp": "ended_at",
    "visitDuration": "duration_s",
    "visitorType": "visitor_type",
    "deviceType": "device_type",
    "browserName": "browser",
    "operatingSystemName": "os",
    "referrerType": "referrer_type",
    "referrerName": "referrer_name",       # engine / network name; websites: replaced by the host
    "referrerUrl": "referrer_name",        # host only (referrer_host), never the URL
    "countryCode": "country_code",
    "regionCode": "region_code",
    "region": "region_name",
    "actionDetails": "(actions)",
    "idVisit": "(transient)",              # de-duplication across pages of one day; never stored
}
# actionDetails keys that are read. Events keep category and action (set by the site's code), never the
# event name/value, which may carry what a user typed.
LIVE_ACTION_FIELDS: dict[str, str] = {
    "type": "action_type",
    "url": "url",
    "timestamp": "action_at",
    "timeSpent": "time_spent_s",
    "pageTitle": "title",
    "title": "title",
    "eventCategory": "title",
    "eventAction": "title",
}
# Sent as hideColumns with every Live request: the server drops these before answering.
LIVE_HIDE_COLUMNS = (
    "visitIp", "visitorId", "fingerprint", "userId", "latitude", "longitude", "city", "location",
    "customVariables", "referrerKeyword", "referrerKeywordPosition", "resolution", "visitLocalTime",
    "visitLocalHour", "deviceModel", "deviceBrand", "plugins", "pluginsIcons", "languageCode", "language",
)

# Query parameters of WIF's own URLs that carry no personal data, and the validator of each value.
ALLOWED_QUERY_PARAMS = ("departement", "department", "link", "user")
AUDIENCE_CODES = frozenset({"etudiant", "student", "entreprise", "employeur", "company"})
_SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)+")
_DEP = re.compile(r"0*([0-9]{1,3}|2[ab])", re.IGNORECASE)
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
_PERSONAL_SEGMENT = re.compile(
    r"@|%40"                                     # e-mail
    r"|(\+|%2b)?[0-9][0-9 .%-]{7,}[0-9]"         # phone number / long number
    r"|[0-9a-f]{16,}"                            # visitor id, token, hash
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-",    # uuid
    re.IGNORECASE,
)
NO_URL = "(autres)"  # report rows without a URL ("Others" summary row, hierarchical labels)


@cache
def departement_codes() -> frozenset[str]:
    """INSEE department codes of ``reference/departements.csv``."""
    with (REFERENCE_DIR / "departements.csv").open(encoding="utf-8", newline="") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh))


def normalize_departement(value: object) -> str | None:
    """``'75'``, ``'075'``, ``'2a'``, ``'1'`` → ``'75'``, ``'75'``, ``'2A'``, ``'01'``; None when not a department."""
    if value is None:
        return None
    match = _DEP.fullmatch(str(value).strip())
    if not match:
        return None
    code = match.group(1).upper()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    return code if code in departement_codes() else None


def valid_query_value(name: str, value: str) -> str | None:
    """The value kept for a whitelisted parameter (normalised), or None when it must be dropped."""
    name = name.lower()
    if name in ("departement", "department"):
        return normalize_departement(value)
    if name == "link":
        slug = value.strip().lower()
        return slug if len(slug) <= 80 and _SLUG.fullmatch(slug) else None
    if name == "user":
        code = value.strip().lower()
        return code if code in AUDIENCE_CODES else None
    return None


def _clean_path(path: str) -> str:
    segments = path.split("/")
    return "/".join("_" if _PERSONAL_SEGMENT.search(seg) else seg for seg in segments) or "/"


_QUERY_NAMES = tuple(ALLOWED_QUERY_PARAMS)


def sanitize_url(url: str | None) -> str | None:
    """Scheme + host + path + whitelisted, validated query parameters; no fragment, no user info.

    A bare path (report labels such as ``/faq``) stays a bare path. Returns None for an empty value.
    A URL whose query and fragment cannot hold a whitelisted parameter (none of their names, no percent-encoding)
    is sanitised as the URL cut before them, so the many URLs that differ only by what a user typed in their
    query cost one cached look-up each.
    """
    if url is None:
        return None
    text = str(url)
    cut = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=-1)
    if cut >= 0:
        tail = text[cut:].lower()
        if "%" not in tail and not any(name in tail for name in _QUERY_NAMES):
            return _sanitize(text[:cut])
    return _sanitize(text)


@lru_cache(maxsize=200_000)
def _sanitize(url: str) -> str | None:
    text = url.strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return NO_URL
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return f"{scheme}:"
    if scheme:
        host = (parts.hostname or "").lower()
        if not _HOST.fullmatch(host):
            return f"{scheme}:"
        try:
            port = parts.port
        except ValueError:
            port = None
        netloc = host if port in (None, 80, 443) else f"{host}:{port}"
        prefix = f"{scheme}://{netloc}"
    elif text.startswith("/"):
        prefix = ""
    else:
        return NO_URL
    path = _clean_path(parts.path or "/")
    kept = []
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        if name.lower() in ALLOWED_QUERY_PARAMS:
            clean = valid_query_value(name, value)
            if clean is not None:
                kept.append((name.lower(), clean))
    query = f"?{urlencode(kept)}" if kept else ""
    return f"{prefix}{quote(path, safe='/%:@-._~!$&()*+,;=')}{query}"


@lru_cache(maxsize=100_000)
def referrer_host(url: str | None) -> str | None:
    """Host of a referrer URL (lower case, no port, no ``www.``-stripping), or None."""
    if not url:
        return None
    text = str(url).strip()
    if "//" not in text:
        text = "//" + text
    try:
        host = (urlsplit(text).hostname or "").lower()
    except ValueError:
        return None
    return host if _HOST.fullmatch(host) and "." in host else None


_EMAIL_OR_PHONE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|(\+33|0033|\b0)[1-9]([ .-]?[0-9]{2}){4}\b")


@lru_cache(maxsize=100_000)
def sanitize_title(title: str | None) -> str | None:
    """A page title or link label: a URL-like title is sanitised as a URL; e-mails and phone numbers masked."""
    if title is None:
        return None
    text = str(title).strip()
    if text.startswith(("http://", "https://", "/")):
        return sanitize_url(text)
    return _EMAIL_OR_PHONE.sub("…", text) or None


def apply_distinct(values: pd.Series | list, func) -> np.ndarray:
    """``func`` applied once per distinct value of ``values`` (None stays None), as an object array."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    mapped = np.array([func(u) for u in uniques] + [None], dtype=object)
    return mapped[codes]  # code -1 (missing) picks the trailing None


def sanitize_many(values) -> np.ndarray:
    """``sanitize_url`` over a column, computed once per distinct URL."""
    return apply_distinct(values, sanitize_url)

