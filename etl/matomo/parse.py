"""Matomo JSON (Live visits, VisitsSummary, Actions page reports) → DataFrames shaped like the schema.

Pure functions from already-decoded JSON to frames whose columns are those of ``etl/schema.sql``
(``visits``, ``actions``, ``matomo_daily``, ``matomo_pages_daily``). They read only the whitelisted fields
of ``etl.privacy`` and sanitise every URL, so nothing personal reaches a frame.

Matomo habits handled here: numbers come as ints or strings, zero metrics are omitted, empty days are
``[]``, timestamps are Unix seconds (converted to naive Europe/Paris time, vectorised), ``deviceType`` is
capitalised and ``countryCode`` lower case. The journey columns of ``visits`` (audience, departement,
entry/exit page, DS departure) are left to the Warehouse, which derives them from the actions in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from itertools import chain
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from etl.privacy import (
    LIVE_ACTION_FIELDS,
    LIVE_VISIT_FIELDS,
    NO_URL,
    referrer_host,
    sanitize_many,
    sanitize_title,
)
from etl.urls import ACTION_TYPES, classify_many

TZ = "Europe/Paris"
VISIT_COLUMNS = (
    "visit_key", "site_id", "visit_date", "started_at", "ended_at", "duration_s", "nb_pageviews", "nb_actions",
    "visitor_type", "device_type", "browser", "os", "referrer_type", "referrer_name", "country_code",
    "region_code", "region_name",
)
ACTION_COLUMNS = (
    "visit_key", "position", "action_type", "action_at", "time_spent_s", "page_key", "url", "title",
    "departement", "audience", "ds_slug",
)
DAILY_METRICS = ("nb_visits", "nb_actions", "nb_uniq_visitors", "bounce_count", "sum_visit_length", "max_actions")
DAILY_COLUMNS = ("site_id", "day", *DAILY_METRICS)
PAGE_METRICS = ("nb_visits", "nb_hits", "entry_nb_visits", "exit_nb_visits", "sum_time_spent")
PAGE_COLUMNS = ("site_id", "day", "report", "url", "page_key", *PAGE_METRICS)
REPORTS = {
    "pages": "pages", "Actions.getPageUrls": "pages", "getPageUrls": "pages",
    "entry": "entry", "Actions.getEntryPageUrls": "entry", "getEntryPageUrls": "entry",
    "exit": "exit", "Actions.getExitPageUrls": "exit", "getExitPageUrls": "exit",
}
REFERRER_NAMED = ("search", "social")        # referrerName is an engine / network name
REFERRER_HOST = ("website", "campaign")      # keep the host of referrerUrl only
VISITOR_TYPES = {"new": "new", "returning": "returning", "returningcustomer": "returning"}
TITLE_MAX = 200
_TYPES = pd.Index(ACTION_TYPES, dtype=object)   # action types kept, coded by position
PAGE_VIEW = ACTION_TYPES.index("action")


# ---------------------------------------------------------------------------- small vectorised helpers
def _ints(values, default: int | None = 0) -> pd.Series:
    """Numbers given as int, float or string (``"12"``); missing/invalid → ``default`` (None → NULL)."""
    series = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    if default is None:
        return series.round().astype("Int64")
    return series.fillna(default).round().astype("int64")


def _paris(seconds: pd.Series) -> pd.Series:
    """Unix seconds → naive Europe/Paris timestamps."""
    stamps = pd.to_datetime(seconds.astype("float64"), unit="s", utc=True)
    return stamps.dt.tz_convert(TZ).dt.tz_localize(None).astype("datetime64[us]")


def _text(values, *, lower: bool = False, upper: bool = False, max_len: int = 100) -> pd.Series:
    """Strings stripped and cut to ``max_len``; empty, non-string or missing → NULL.

    Cleaned once per distinct value (a column of millions of rows holds a few hundred browsers or regions)."""
    return _distinct_str(values, partial(_clean_text, lower=lower, upper=upper, max_len=max_len))


def _distinct_str(values, func) -> pd.Series:
    """``func`` (→ str or None) applied once per distinct value of ``values`` (missing → NULL), as a string column
    taken by code from the distinct answers, so no per-row string is converted."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    mapped = pd.array([func(u) for u in uniques] + [None], dtype="str")
    return pd.Series(mapped.take(np.where(codes < 0, len(uniques), codes)))


def _clean_text(value, lower: bool, upper: bool, max_len: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()[:max_len]
    text = text.lower() if lower else text.upper() if upper else text
    return text or None


def _clean_title(value) -> str | None:
    """A page title or link label sanitised (``sanitize_title``) then cleaned like a text column."""
    return _clean_text(sanitize_title(value), lower=False, upper=False, max_len=TITLE_MAX)


def _get(records: list, key: str) -> list:
    return list(map(attrgetter(key), records))


def _as_date(day) -> date:
    return day if isinstance(day, date) else date.fromisoformat(str(day))


# ---------------------------------------------------------------------------- Live visits
# A Live visit and its actions hold the whitelisted fields of etl.privacy and nothing else: JSON keys outside the
# whitelist are skipped by the decoder and never become Python objects. Values stay untyped (Matomo sends numbers
# as ints or strings); the vectorised helpers above convert them. The records hold no reference cycle, so they are
# kept out of the cycle collector (gc=False: ~20 % less decoding time).
LiveAction = msgspec.defstruct("LiveAction", [(k, Any, None) for k in LIVE_ACTION_FIELDS], gc=False)
LiveVisit = msgspec.defstruct("LiveVisit", [(k, list[LiveAction] | None if k == "actionDetails" else Any, None)
                                            for k in LIVE_VISIT_FIELDS], gc=False)
_LIVE_JSON = msgspec.json.Decoder(list[LiveVisit])


def decode_live(body: bytes) -> list:
    """A Live.getLastVisitsDetails JSON answer (bytes) → ``LiveVisit`` records, read in one C pass.

    Malformed visits (an action that is not an object, ``actionDetails`` that is not a list) are repaired the way
    ``live_visits`` does; a body that is not a JSON list raises ``ValueError``.
    """
    try:
        return _LIVE_JSON.decode(body)
    except msgspec.ValidationError:
        records = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise ValueError(f"JSON invalide : {exc}") from None
    if not isinstance(records, list):
        raise ValueError(f"liste de visites attendue, reçu {type(records).__name__}")
    return live_visits(records)


def as_live(records: list) -> list:
    """``records`` as ``LiveVisit`` records: already decoded ones as they are, dicts through ``live_visits``."""
    return records if all(isinstance(r, LiveVisit) for r in records) else live_visits(records)


def live_visits(records: Iterable) -> list:
    """Already decoded Live visits (dicts, as the HTTP client returns them) → ``LiveVisit`` records.

    Items that are not objects are dropped, so are actions that are not objects; ``actionDetails`` that is not a
    list counts as no action.
    """
    records = [r for r in records if isinstance(r, dict)]
    try:
        return msgspec.convert(records, list[LiveVisit])
    except msgspec.ValidationError:
        return [_tolerant_visit(r) for r in records]


def _tolerant_visit(record: dict):
    details = record.get("actionDetails")
    actions = [LiveAction(**{k: a.get(k) for k in LIVE_ACTION_FIELDS})
               for a in (details if isinstance(details, list) else []) if isinstance(a, dict)]
    return LiveVisit(**{k: actions if k == "actionDetails" else record.get(k) for k in LIVE_VISIT_FIELDS})


def _dedupe(records: list) -> list:
    """Each Matomo visit (idVisit of a serverDate) once.

    The last copy wins: paginating the Live log of a day that is still going on can repeat a visit, and the
    later copy is the more complete one.
    """
    id_visit = pd.Series(_get(records, "idVisit"), dtype=object)
    day = pd.Series(_get(records, "serverDate"), dtype=object)
    ids = pd.DataFrame({"id": id_visit.astype(str), "day": day.astype(str)})
    repeated = ids.duplicated(keep="last").to_numpy() & id_visit.notna().to_numpy()
    return [r for r, again in zip(records, repeated, strict=True) if not again] if repeated.any() else records


def parse_visits(records: list, site_id: int, first_visit_key: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Live.getLastVisitsDetails records (``LiveVisit`` from ``decode_live``, or decoded dicts) → (visits, actions).

    ``visit_key`` is a surrogate numbered from ``first_visit_key`` in record order; Matomo's idVisit is only
    used to drop repeated copies and is never returned. Actions of type action / outlink / download /
    event are kept (goals, e-commerce and site-search rows are not), numbered 1.. in their visit.
    Visits without any usable timestamp are skipped.
    """
    records = _dedupe(as_live(records))
    n = len(records)

    # actions first: their timestamps stand in for missing visit timestamps
    details = [r.actionDetails or () for r in records]
    lengths = np.fromiter(map(len, details), dtype=np.int64, count=n)
    flat = list(chain.from_iterable(details))
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    type_codes = _TYPES.get_indexer(pd.Index(_get(flat, "type"), dtype=object))   # -1: not a kept type
    kept = type_codes >= 0
    act_ts = _ints(_get(flat, "timestamp"), default=None)
    kept &= act_ts.notna().to_numpy()

    ts_min = pd.Series(act_ts.to_numpy(dtype="float64", na_value=np.nan)).groupby(owner).min()
    ts_max = pd.Series(act_ts.to_numpy(dtype="float64", na_value=np.nan)).groupby(owner).max()
    first = _ints(_get(records, "firstActionTimestamp"), default=None).astype("float64")
    last = _ints(_get(records, "lastActionTimestamp"), default=None).astype("float64")
    first = first.fillna(ts_min.reindex(range(n))).fillna(last)
    last = last.fillna(ts_max.reindex(range(n))).fillna(first)
    valid = first.notna().to_numpy()

    # visits that survive get consecutive keys
    new_index = np.cumsum(valid) - 1
    keys = first_visit_key + np.arange(int(valid.sum()), dtype=np.int64)
    kept &= valid[owner]

    started = _paris(first[valid].reset_index(drop=True))
    ended = _paris(last[valid].reset_index(drop=True))
    server_day = pd.to_datetime(pd.Series(_get(records, "serverDate"), dtype=object)[valid].reset_index(drop=True),
                                format="%Y-%m-%d", errors="coerce")
    visit_date = server_day.fillna(started.dt.floor("D")).dt.date

    vrec = [r for r, ok in zip(records, valid, strict=True) if ok]
    ref_type = _text(_get(vrec, "referrerType"), lower=True, max_len=20)
    raw_ref_name = _get(vrec, "referrerName")
    ref_name = _text(raw_ref_name, max_len=60)
    # websites and campaigns: the host of the referrer URL (Matomo's referrerName is the host for websites)
    ref_host = _distinct_str(_get(vrec, "referrerUrl"), referrer_host).fillna(
        _distinct_str(raw_ref_name, referrer_host))
    referrer = ref_name.where(ref_type.isin(REFERRER_NAMED), ref_host.where(ref_type.isin(REFERRER_HOST), None))
    country = _text(_get(vrec, "countryCode"), upper=True, max_len=2)

    a_owner = new_index[owner[kept]]
    a_codes = type_codes[kept]
    nb_actions = np.bincount(a_owner, minlength=len(keys))
    nb_pageviews = np.bincount(a_owner[a_codes == PAGE_VIEW], minlength=len(keys))

    visits = pd.DataFrame({
        "visit_key": keys,
        "site_id": np.full(len(keys), site_id, dtype=np.int32),
        "visit_date": visit_date,
        "started_at": started,
        "ended_at": ended,
        "duration_s": _ints(_get(vrec, "visitDuration")).clip(lower=0).to_numpy(),
        "nb_pageviews": nb_pageviews,
        "nb_actions": nb_actions,
        "visitor_type": _text(_get(vrec, "visitorType"), lower=True, max_len=20).map(VISITOR_TYPES),
        "device_type": _text(_get(vrec, "deviceType"), lower=True, max_len=30),
        "browser": _text(_get(vrec, "browserName"), max_len=60),
        "os": _text(_get(vrec, "operatingSystemName"), max_len=60),
        "referrer_type": ref_type,
        "referrer_name": referrer,
        "country_code": country.where(country.str.fullmatch(r"[A-Z]{2}") & country.ne("XX"), None),
        "region_code": _text(_get(vrec, "regionCode"), upper=True, max_len=10),
        "region_name": _text(_get(vrec, "region"), max_len=80),
    }, columns=list(VISIT_COLUMNS))
    return visits, _actions_frame(flat, kept, a_owner, a_codes, act_ts, keys)


def _actions_frame(flat, kept, a_owner, a_codes, act_ts, keys) -> pd.DataFrame:
    acts = [a for a, k in zip(flat, kept, strict=True) if k]
    n = len(acts)
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(np.bincount(a_owner, minlength=len(keys)), out=starts[1:])
    position = np.arange(n, dtype=np.int64) - starts[a_owner] + 1 if n else np.zeros(0, dtype=np.int64)

    a_types = pd.Series(pd.array(list(ACTION_TYPES), dtype="str").take(a_codes))
    is_page = a_codes == PAGE_VIEW
    title = _get(acts, "pageTitle")
    for i in np.flatnonzero(~is_page):   # outlinks, downloads, events: few rows
        a = acts[i]
        if a.type == "event" and isinstance(a.eventCategory, str):
            title[i] = f"{a.eventCategory} / {a.eventAction or ''}".strip(" /")
        elif not isinstance(title[i], str):
            title[i] = a.title
    info = classify_many(_get(acts, "url"), a_types)
    spent = _ints(_get(acts, "timeSpent"), default=None)

    return pd.DataFrame({
        "visit_key": keys[a_owner] if n else np.zeros(0, dtype=np.int64),
        "position": position.astype(np.int32),
        "action_type": a_types,
        "action_at": _paris(act_ts[kept].reset_index(drop=True)),
        "time_spent_s": spent.where(is_page & spent.ge(0)).astype("Int32"),
        "page_key": info["page_key"].astype("str"),
        "url": info["url"].astype("str"),
        "title": _distinct_str(title, _clean_title),
        "departement": info["departement"].astype("str"),
        "audience": info["audience"].astype("str"),
        "ds_slug": info["ds_slug"].astype("str"),
    }, columns=list(ACTION_COLUMNS))


# ---------------------------------------------------------------------------- daily reports
def _day_items(payload, day, what: str) -> list[tuple[date, object]]:
    """(day, value) pairs of a multi-day dict ``{"YYYY-MM-DD": …}`` or of a single-day answer."""
    if isinstance(payload, dict) and payload:
        keys = list(payload)
        try:
            days = [date.fromisoformat(k) for k in keys]
        except (TypeError, ValueError):
            days = None
        if days is not None:
            return list(zip(days, payload.values(), strict=True))
        if any("," in str(k) for k in keys):
            raise ValueError(f"{what} : période 'day' attendue, reçu des plages de dates ({keys[0]})")
    if day is None:
        raise ValueError(f"{what} : réponse d'un seul jour sans date (passer day=…)")
    return [(_as_date(day), payload)]


def parse_visits_summary(payload: dict | list, site_id: int, day: date | str | None = None) -> pd.DataFrame:
    """VisitsSummary.get (period=day) → ``matomo_daily`` rows.

    Accepts the multi-day dict form ``{"2026-11-17": [], "2026-11-18": {...}}`` (empty days → zeros) or a
    single day's metrics with ``day``. ``raw_status``, ``raw_visits`` and ``gap`` are filled by the Warehouse.
    """
    rows = []
    for d, metrics in _day_items(payload, day, "VisitsSummary.get"):
        metrics = metrics if isinstance(metrics, dict) else {}
        rows.append([d, *(metrics.get(m) for m in DAILY_METRICS)])
    frame = pd.DataFrame(rows, columns=["day", *DAILY_METRICS])
    for col in DAILY_METRICS:
        frame[col] = _ints(frame[col].tolist()).astype("int64")
    frame.insert(0, "site_id", np.int32(site_id))
    return frame.sort_values("day", kind="stable").reset_index(drop=True)[list(DAILY_COLUMNS)]


def parse_page_report(payload, site_id: int, report: str, day: date | str | None = None) -> pd.DataFrame:
    """Actions.getPageUrls / getEntryPageUrls / getExitPageUrls (flat=1) → ``matomo_pages_daily`` rows.

    ``payload`` is one day's flat list (give ``day``) or the multi-day dict ``{"YYYY-MM-DD": [...]}``.
    URLs are sanitised and mapped to page keys; rows that collapse onto the same sanitised URL are summed.
    Rows without a URL (the "Others" summary row, hierarchical labels) become ``(autres)``.
    """
    if report not in REPORTS:
        raise ValueError(f"rapport inconnu : {report!r} (pages, entry ou exit)")
    days, raw_urls, metrics = [], [], {m: [] for m in PAGE_METRICS}
    for d, rows in _day_items(payload, day, f"rapport {report}"):
        rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
        days.extend([d] * len(rows))
        for r in rows:
            url = r.get("url")
            label = r.get("label")
            raw_urls.append(url if isinstance(url, str) and url else
                            label if isinstance(label, str) and label.startswith("/") else NO_URL)
            for m in PAGE_METRICS:
                metrics[m].append(r.get(m))
    urls = pd.Series(sanitize_many(raw_urls), dtype=object).fillna(NO_URL)
    info = classify_many(urls.tolist())
    frame = pd.DataFrame({"day": days, "url": urls.astype("str"), "page_key": info["page_key"].astype("str")})
    for m in PAGE_METRICS:
        frame[m] = _ints(metrics[m]).to_numpy()
    frame = frame.groupby(["day", "url", "page_key"], as_index=False, sort=True)[list(PAGE_METRICS)].sum()
    frame.insert(0, "site_id", np.int32(site_id))
    frame.insert(2, "report", REPORTS[report])
    return frame[list(PAGE_COLUMNS)]
