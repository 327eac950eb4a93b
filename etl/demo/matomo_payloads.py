"""Matomo 5.3 answers built from the simulated journeys.

Shapes follow Matomo's own code (plugins/Live/VisitorDetails.php, plugins/Actions/VisitorDetails.php and
friends) and the reference answers in ``../shared/reference/matomo-5.3``:

* ``Live.getLastVisitsDetails`` (period=day, newest visit first): every key of a real visit in Matomo's
  order, numbers as numbers, pretty strings in English (the reference server's language), server dates in
  UTC (``serverDate``, ``lastActionDateTime``, ``visitServerHour``) and pretty ones in the site's time
  zone. Page views, downloads and outlinks have the keys Matomo gives them: links have a null
  ``pageTitle``, no ``timeSpent``, the ``pageviewPosition`` and ``idpageview`` of their page. The time spent
  on the last page view is Matomo's (visit length minus the time before it, when over 10 s).
* ``VisitsSummary.get`` (period=day, multi-day form: ``[]`` for a day without visits).
* ``Actions.getPageUrls`` / ``getEntryPageUrls`` / ``getExitPageUrls`` (flat=1, period=day): Matomo's metrics
  (entry and exit metrics omitted when zero, some numbers as strings) computed from the same visits, rows
  ordered like Matomo's archives (hits desc, label).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import quote_plus

import numpy as np
import orjson
import pandas as pd

from etl.demo import fake
from etl.demo import model as m
from etl.demo.demarches import demarches
from etl.demo.journeys import CHECKLIST, DS, END, FAQ, HOME, IS_PAGE, Journeys, departements
from etl.demo.period import (
    DAY,
    TIME_OF_DAY,
    Period,
    iso_day,
    matomo_long_date,
    matomo_short_date,
    pretty_seconds,
)
from etl.demo.visitors import FRENCH_REGIONS, Visitors, language_codes

K = m.K
ICONS = "plugins/Morpheus/icons/dist"
LINK_TYPES = {K["DL"]: ("download", "Download", "plugins/Morpheus/images/download"),
              K["DS"]: ("outlink", "Outlink", "plugins/Morpheus/images/link"),
              K["OUT"]: ("outlink", "Outlink", "plugins/Morpheus/images/link")}
REPORTS = ("Actions.getPageUrls", "Actions.getEntryPageUrls", "Actions.getExitPageUrls")


# ---------------------------------------------------------------------------- URLs
@dataclass
class Urls:
    """Every URL an action points to and Matomo's ids for them."""

    strings: list[str]
    of_action: np.ndarray      # index into strings, per action
    id_action: np.ndarray      # Matomo's pageIdAction, per string
    titles: list[str]
    title_of_action: np.ndarray  # index into titles, -1 for downloads and outlinks


def _page_url(kind: str, era: int, employer: int, dep: str, variant: int, slug: str) -> str:
    who = ("student", "company")[employer]
    if kind == "HOME":
        return "/" if not variant else f"/?utm_content={m.CAMPAIGN_CONTENT[variant - 1]}"
    if kind == "QUALIFY":
        return f"/qualify/{who}/qualify-1.html?user={('etudiant', 'entreprise')[employer]}"
    if kind == "CHECKLIST":
        return f"/qualify/{who}/qualify-2.html?department={dep}" if not era else f"/{who}?link={slug}"
    if kind == "FAIL":
        return f"/qualify/fail.html?department={dep}" if not era else f"/fail?departement={dep}"
    if kind == "FAQ":
        return "/faq.html" if not era else "/faq" + (m.FAQ_ANCHORS[variant - 1] if variant else "")
    if kind == "CGU":
        return "/cgu.html" if not era else "/cgu"
    return {"STATS": "/stats", "VALIDITY": "/validitycheck", "INTRO": "/introduction"}[kind]


def _url(kind: int, era: int, employer: int, dep_index: int, variant: int, slugs: np.ndarray) -> str:
    name = m.KINDS[kind]
    dep = departements()[dep_index].code
    slug = slugs[dep_index, employer] if slugs[dep_index, employer] else ""
    if name == "DL":
        path = m.PDF["mandat"] if variant else m.PDF[("etudiant", "employeur")[employer]]
        return m.SITE_URL + path
    if name == "DS":
        return f"{m.DS_URL}/commencer/{slug}"
    if name == "OUT":
        return m.OTHER_OUTLINKS[variant][0]
    return m.SITE_URL + _page_url(name, era, employer, dep, variant, slug)


def _title(kind: int, employer: int) -> str:
    name = m.KINDS[kind]
    if name == "CHECKLIST":
        return m.TITLES[f"CHECKLIST_{('etudiant', 'employeur')[employer]}"]
    return m.TITLES[name]


def urls(rng: np.random.Generator, period: Period, j: Journeys, v: Visitors, order: np.ndarray) -> Urls:
    """URL of every action; ``order`` is the actions' chronological order (for Matomo's id numbering)."""
    n = len(j.kind)
    kind = j.kind.astype(np.int64)
    era = (j.day[j.visit] >= period.month_day(m.STATIC_SITE_MONTHS)).astype(np.int64)
    employer = j.employer[j.visit].astype(np.int64)
    dep = j.dep[j.visit].astype(np.int64)
    variant = np.zeros(n, dtype=np.int64)
    special = np.zeros(n, dtype=bool)
    u = rng.random(n)

    campaign = np.array([r[0] == "campaign" for r in m.REFERRERS])[v.referrer]
    landing = (j.position == 0) & (kind == HOME) & campaign[j.visit]
    variant[landing] = 1 + v.campaign_content[j.visit[landing]]
    faq = (kind == FAQ) & (era == 1) & (u < m.FAQ_ANCHOR_SHARE)
    variant[faq] = 1 + (rng.integers(0, len(m.FAQ_ANCHORS), n)[faq])
    dl = kind == K["DL"]
    variant[dl] = ((j.page[dl] != CHECKLIST) | (u[dl] < 0.38)).astype(np.int64)
    out = kind == K["OUT"]
    cdf = np.cumsum([w for _, w in m.OTHER_OUTLINKS])
    variant[out] = np.searchsorted(cdf / cdf[-1], u[out], side="right")
    previous = np.concatenate([[END], kind[:-1]])
    special |= (kind == K["VALIDITY"]) & (previous == K["VALIDITY"]) & (j.position > 0)
    special |= (kind == K["FAIL"]) & (era == 1) & (u < m.FAIL_EMAIL_SHARE)

    uses_employer = np.isin(kind, [K["QUALIFY"], CHECKLIST, DS]) | (dl & (variant == 0))
    uses_dep = np.isin(kind, [CHECKLIST, K["FAIL"], DS])
    uses_era = IS_PAGE[kind]
    key = ((((kind * 2 + era * uses_era) * 2 + employer * uses_employer) * 512 + dep * uses_dep) * 8 + variant)
    key = np.where(special, -1 - np.arange(n), key)
    uniques, inverse = np.unique(key, return_inverse=True)

    slugs = np.array([[""] * 2 for _ in departements()], dtype=object)
    for d in demarches(period):
        slugs[d.dep_index, int(d.employer)] = d.slug
    strings = []
    extra = rng.integers(0, 10**9, len(uniques))
    for k, value in enumerate(uniques.tolist()):
        if value < 0:
            a = -1 - value
            code = departements()[dep[a]].code
            if kind[a] == K["VALIDITY"]:
                strings.append(f"{m.SITE_URL}/validitycheck?numero={fake.titre_number(int(extra[k]), code)}")
            else:
                first, last = fake.FIRST_NAMES["maghreb"][extra[k] % 20], fake.LAST_NAMES["africa"][extra[k] % 16]
                mail = fake.email(first, last, fake.MAIL_DOMAINS[extra[k] % len(fake.MAIL_DOMAINS)], int(extra[k]))
                strings.append(f"{m.SITE_URL}/fail?departement={code}&email={mail.replace('@', '%40')}")
            continue
        var, rest = value % 8, value // 8
        dep_i, rest = rest % 512, rest // 512
        emp, rest = rest % 2, rest // 2
        era_k, kind_k = rest % 2, rest // 2
        strings.append(_url(kind_k, era_k, emp, dep_i, var, slugs))

    # Matomo numbers actions (log_action) as it first sees them: page URLs take two ids (URL and title)
    first_seen = np.full(len(uniques), n, dtype=np.int64)
    np.minimum.at(first_seen, inverse[order], np.arange(n))
    is_page_url = np.zeros(len(uniques), dtype=bool)
    is_page_url[inverse[IS_PAGE[kind]]] = True
    seen_order = np.argsort(first_seen, kind="stable")
    id_action = np.empty(len(uniques), dtype=np.int64)
    id_action[seen_order] = np.cumsum(np.where(is_page_url[seen_order], 2, 1)) + 1

    title_keys = np.where(IS_PAGE[kind], kind * 2 + employer * (kind == CHECKLIST), -1)
    t_uniques, t_inverse = np.unique(title_keys, return_inverse=True)
    titles = [_title(int(t) // 2, int(t) % 2) if t >= 0 else "" for t in t_uniques.tolist()]
    title_of_action = np.where(title_keys >= 0, t_inverse, -1)
    return Urls(strings, inverse, id_action, titles, title_of_action)


# ---------------------------------------------------------------------------- per-visit blocks
def _since(day: date, y: int, mo: int, d: int) -> int:
    return (day - date(y, mo, d)).days


def chrome_major(day: date) -> int:
    """Chrome (and Chromium Edge) major version: 6-week cycle from Chrome 65, 4-week from Chrome 94."""
    return 65 + _since(day, 2018, 3, 6) // 42 if day < date(2021, 9, 21) else 94 + _since(day, 2021, 9, 21) // 28


def firefox_major(day: date) -> int:
    return 59 + _since(day, 2018, 3, 13) // 49 if day < date(2020, 1, 7) else 72 + _since(day, 2020, 1, 7) // 28


def apple_major(day: date) -> int:
    """iOS / Safari major: a new one each September (12 in 2018 … 18 in 2024, then 26)."""
    major = 11 + max(0, _since(day, 2017, 9, 19)) // 365
    return major + 7 if major >= 19 else major


def android_major(day: date) -> int:
    return 8 + max(0, _since(day, 2017, 8, 21)) // 365


def os_version(code: str, day: date, pick: float) -> str:
    """The OS version a visitor has at ``day``; ``pick`` (0-1) places them among late upgraders."""
    if code == "WIN":
        if day > date(2021, 10, 5) and pick < min(0.6, _since(day, 2021, 10, 5) / 1500):
            return "11"
        return "7" if day < date(2020, 1, 14) and pick > 0.85 else "10"
    if code == "MAC":
        return "10.15" if day > date(2019, 10, 7) else "10.14"
    if code == "AND":
        return str(android_major(day) - int(pick * 4))
    if code in ("IOS", "IPA"):
        return f"{apple_major(day) - int(pick * 2)}.{int(pick * 17) % 4}"
    return ""


def browser_version(code: str, day: date, pick: float, os_ver: str) -> str:
    """'120.0'-style version of a browser at ``day``."""
    if code in ("CH", "CM", "PS"):
        major = chrome_major(day) - int(pick * 3)
    elif code == "FF":
        major = firefox_major(day) - int(pick * 2)
    elif code == "MF":
        return os_ver
    elif code == "SF":
        return f"{apple_major(day) - int(pick * 2)}.{int(pick * 13) % 2}"
    elif code == "SB":
        major = 7 + max(0, _since(day, 2018, 6, 1)) // 120
    else:  # Opera
        major = 52 + max(0, _since(day, 2018, 3, 22)) // 40
    return f"{major}.0"


@cache
def device_block(device: int, month: int, pick_bucket: int) -> dict:
    """The 16 DevicesDetection keys of a visit; versions follow the calendar (``month`` since 1970-01)."""
    kind, brand, model_name, os_name, os_code, browser, b_code, _ = m.DEVICES[device]
    day = date(1970 + month // 12, month % 12 + 1, 15)
    pick = pick_bucket / 10
    os_ver = os_version(os_code, day, pick)
    family, family_desc = m.BROWSER_FAMILY[b_code]
    version = browser_version(b_code, day, pick, os_ver)
    if b_code == "PS" and day < date(2020, 1, 15):   # before Chromium Edge: Internet Explorer 11
        browser, b_code, family, family_desc, version = "Internet Explorer", "IE", "Trident", "Trident (IE)", "11.0"
    os_icon = "IOS" if os_code == "IPA" else os_code
    return {
        "deviceType": kind, "deviceTypeIcon": f"{ICONS}/devices/{kind.lower()}.png", "deviceBrand": brand,
        "deviceModel": model_name, "operatingSystem": f"{os_name} {os_ver}".strip(),
        "operatingSystemName": os_name, "operatingSystemIcon": f"{ICONS}/os/{os_icon}.png",
        "operatingSystemCode": os_code, "operatingSystemVersion": os_ver, "browserFamily": family,
        "browserFamilyDescription": family_desc, "browser": f"{browser} {version}", "browserName": browser,
        "browserIcon": f"{ICONS}/browsers/{b_code}.png", "browserCode": b_code, "browserVersion": version,
    }


@cache
def geo_block(abroad: int, region: int, city_dep: int, dom_dep: int) -> dict:
    """The UserCountry keys: continent … longitude (coordinates as Matomo's decimal strings)."""
    def coord(x):
        return None if x is None else f"{x:.6f}"

    if abroad >= 0:
        code, country, cont_code, continent, city, lat, lon, _ = m.ABROAD[abroad]
        city, lat, lon = (city, lat, lon) if city_dep >= 0 else (None, None, None)
        region_name = region_code = None
    else:
        code, country, cont_code, continent = "fr", "France", "eur", "Europe"
        if dom_dep >= 0:
            region_code, region_name = m.MATOMO_REGIONS[departements()[dom_dep].code]
        else:
            region_code = FRENCH_REGIONS[region]
            region_name = m.MATOMO_REGIONS[region_code]
        lat, lon = m.REGION_CENTRES[region_code]
        city = None
        if city_dep >= 0:
            city, lat, lon = m.CITIES[departements()[city_dep].code]
    location = ", ".join(p for p in (city, region_name, country) if p)
    return {
        "continent": continent, "continentCode": cont_code, "country": country, "countryCode": code,
        "countryFlag": f"{ICONS}/flags/{code}.png", "region": region_name, "regionCode": region_code,
        "city": city, "location": location, "latitude": coord(lat), "longitude": coord(lon),
    }


def _search_url(name: str, query: str | None) -> str:
    host = {"Google": "https://www.google.fr", "Bing": "https://www.bing.com", "Ecosia": "https://www.ecosia.org",
            "Qwant": "https://www.qwant.com", "DuckDuckGo": "https://duckduckgo.com"}[name]
    if query is None:
        return m.SEARCH_ENGINES[name][1]
    tail = {"Google": "&sca_esv=1&source=hp&ei=Zk3vY8qW", "Bing": "&form=QBLH&sp=-1", "Ecosia": "&addon=opensearch"}
    return f"{host}/search?q={quote_plus(query)}{tail.get(name, '')}"


@cache
def referrer_block(referrer: int, pick: int) -> dict:
    """The 10 Referrers keys of a visit; ``pick`` (0-999) chooses the URL / keyword variant."""
    rtype, name, _ = m.REFERRERS[referrer]
    keyword, url, engine_url, engine_icon, social_url, social_icon = "", None, None, None, None, None
    type_name = {"direct": "Direct Entry", "search": "Search Engines", "website": "Websites",
                 "social": "Social Networks", "campaign": "Campaigns"}[rtype]
    if rtype == "search":
        main, _, visible = m.SEARCH_ENGINES[name]
        query = m.SEARCH_QUERIES[pick % len(m.SEARCH_QUERIES)] if pick < visible * 1000 else None
        keyword = query if query else "Keyword not defined"
        url = _search_url(name, query)
        engine_url, engine_icon = f"http://{main}", f"{ICONS}/searchEngines/{main}.png"
    elif rtype == "website":
        paths = m.REFERRER_PATHS.get(name, ("/",))
        url = f"https://{name}{paths[pick % len(paths)]}"
    elif rtype == "social":
        social_url, url = m.SOCIALS[name]
        social_icon = f"{ICONS}/socials/{social_url}.png"
    elif rtype == "campaign":
        keyword = ("", "rentree", "apprentissage")[pick % 3]
    return {
        "referrerType": rtype, "referrerTypeName": type_name, "referrerName": name, "referrerKeyword": keyword,
        "referrerKeywordPosition": None, "referrerUrl": url, "referrerSearchEngineUrl": engine_url,
        "referrerSearchEngineIcon": engine_icon, "referrerSocialNetworkUrl": social_url,
        "referrerSocialNetworkIcon": social_icon,
    }


@cache
def language_name(code: str) -> str:
    """Matomo's languageTranslate(): a translated name for 'fr', 'Language code fr-fr' for region variants."""
    return m.LANGUAGE_NAMES.get(code, f"Language code {code}")


def ip_text(a: int, b: int) -> str:
    """Anonymised IP (2 bytes masked), IPv4 or IPv6 as Matomo shows it."""
    if a >= 0:
        return f"{a}.{b}.0.0"
    return f"{m.IPV6_PREFIXES[-1 - a]}:{b:x}::"


# ---------------------------------------------------------------------------- everything Matomo knows
@dataclass
class Matomo:
    """Arrays the writers format: ids, times and per-action metrics, aligned with the journeys."""

    period: Period
    j: Journeys
    v: Visitors
    urls: Urls
    page_id: np.ndarray          # idlink_va per action
    pageview_position: np.ndarray
    pageview_hex: np.ndarray     # per action: random id of its page view (24 bits)
    local: np.ndarray            # per action: local wall-clock seconds (Europe/Paris) since 1970
    time_spent: np.ndarray       # per action (page views; 0 for links)
    ref_gap: np.ndarray          # per action: seconds since the previous action (0 for the first)
    duration: np.ndarray         # per visit
    since_first: np.ndarray      # per visit: seconds since the visitor's first visit (Matomo's visitor history)
    since_last: np.ndarray       # per visit: seconds since the end of the visitor's previous visit
    visit_local_offset: np.ndarray  # per visit: seconds to add to UTC for the visitor's clock
    tracked: np.ndarray          # per day: Matomo recorded the visits (False during the outage)
    raw_kept: np.ndarray         # per day: the raw visit log still exists (False when purged)


def prepare(rng: np.random.Generator, period: Period, j: Journeys, v: Visitors) -> Matomo:
    n = len(j.kind)
    order = np.lexsort((j.position, j.visit, j.ts))
    page_id = np.empty(n, dtype=np.int64)
    page_id[order] = np.arange(1, n + 1)
    is_page = IS_PAGE[j.kind]
    ordinal = np.cumsum(is_page) - np.cumsum(is_page)[j.action_start][j.visit] + is_page[j.action_start][j.visit]
    pageview_position = ordinal[j.page_row]
    hex_ids = rng.integers(0, 2**24, n)[j.page_row]

    ref_gap = np.diff(j.ts, prepend=j.ts[:1])
    ref_gap[j.action_start] = 0
    duration = np.where(j.n_actions > 1, j.last - j.first + 1, 0)
    # time spent on a page view: until the next page view; for the last one, Matomo's rule
    next_page = np.full(n, -1, dtype=np.int64)
    page_idx = np.flatnonzero(is_page)
    same_visit = j.visit[page_idx[1:]] == j.visit[page_idx[:-1]]
    next_page[page_idx[:-1][same_visit]] = page_idx[1:][same_visit]
    last_ts = j.last[j.visit]
    to_end = last_ts - j.ts
    last_rule = np.where(duration[j.visit] - (j.ts - j.first[j.visit]) > 10, to_end + 1, to_end)
    last_rule = np.where(j.n_actions[j.visit] > 1, last_rule, 0)
    time_spent = np.where(next_page >= 0, j.ts[np.maximum(next_page, 0)] - j.ts, last_rule)
    time_spent = np.where(is_page, time_spent, 0)

    since_first, since_last = visitor_history(rng, j)
    offsets = np.array([(m.ABROAD_UTC_OFFSET[a[0]] if m.ABROAD_UTC_OFFSET[a[0]] is not None else np.nan)
                        for a in m.ABROAD] + [np.nan])[v.abroad]
    paris = Period.utc_offsets(j.first)
    local_offset = np.where(np.isnan(offsets), paris, np.nan_to_num(offsets) * 3600).astype(np.int64)

    tracked = np.ones(period.n_days, dtype=bool)
    tracked[list(period.block(*m.OUTAGE_BLOCK))] = False
    raw_kept = np.ones(period.n_days, dtype=bool)
    raw_kept[list(period.block(*m.PURGED_BLOCK))] = False
    return Matomo(period, j, v, urls(rng, period, j, v, order), page_id, pageview_position, hex_ids,
                  Period.epoch_to_local(j.ts), time_spent,
                  ref_gap, duration, since_first, since_last, local_offset, tracked, raw_kept)


def visitor_history(rng: np.random.Generator, j: Journeys) -> tuple[np.ndarray, np.ndarray]:
    """(seconds since the first visit, seconds since the previous visit) of each visit's visitor.

    Visitors whose first visit in the period is already a return (``visitCount`` > 1) get a history drawn
    before the period (3 days to 7 months).
    """
    n = j.n_visits
    prior_first = np.where(j.count > 1, rng.integers(3 * 86_400, 210 * 86_400, n), 0)
    prior_last = (prior_first * rng.uniform(0.05, 1.0, n)).astype(np.int64)
    root = np.full(int(j.visitor.max()) + 1 if n else 0, -1, dtype=np.int64)
    firsts = np.flatnonzero(j.parent < 0)
    root[j.visitor[firsts]] = firsts
    origin = root[j.visitor]
    since_first = j.first - j.first[origin] + prior_first[origin]
    since_last = np.where(j.parent >= 0, j.first - j.last[np.maximum(j.parent, 0)], prior_last)
    return np.maximum(since_first, 0), np.maximum(since_last, 0)


# ---------------------------------------------------------------------------- Live
def _actions(mt: Matomo, lo: int, hi: int) -> list[dict]:
    """actionDetails dicts of actions ``lo:hi`` (whole visits)."""
    j, u = mt.j, mt.urls
    local = mt.local[lo:hi]
    days, sods = (local // DAY).tolist(), (local % DAY).tolist()
    kinds = j.kind[lo:hi].tolist()
    url_idx = u.of_action[lo:hi].tolist()
    title_idx = u.title_of_action[lo:hi].tolist()
    id_action = u.id_action[u.of_action[lo:hi]].tolist()
    hexes = mt.pageview_hex[lo:hi].tolist()
    page_ids = mt.page_id[lo:hi].tolist()
    spent = mt.time_spent[lo:hi].tolist()
    positions = mt.pageview_position[lo:hi].tolist()
    stamps = j.ts[lo:hi].tolist()
    out = []
    for i, kind in enumerate(kinds):
        url = u.strings[url_idx[i]]
        when = _short_date(days[i]) + TIME_OF_DAY[sods[i]]
        if kind in LINK_TYPES:
            kind_name, title, icon = LINK_TYPES[kind]
            out.append({
                "type": kind_name, "url": url, "pageTitle": None, "pageIdAction": id_action[i],
                "idpageview": f"{hexes[i]:06x}", "serverTimePretty": when, "pageId": page_ids[i],
                "pageviewPosition": positions[i], "icon": f"{icon}.png", "iconSVG": f"{icon}.svg", "title": title,
                "subtitle": url, "timestamp": stamps[i],
            })
        else:
            title = u.titles[title_idx[i]]
            out.append({
                "type": "action", "url": url, "pageTitle": title, "pageIdAction": id_action[i],
                "idpageview": f"{hexes[i]:06x}", "serverTimePretty": when, "pageId": page_ids[i],
                "timeSpent": spent[i], "timeSpentPretty": _pretty(spent[i]), "pageviewPosition": positions[i],
                "title": title, "subtitle": url, "icon": "", "iconSVG": "plugins/Morpheus/images/action.svg",
                "timestamp": stamps[i],
            })
    return out


_short_date = cache(matomo_short_date)
_long_date = cache(matomo_long_date)
_iso_day = cache(iso_day)
_pretty = cache(pretty_seconds)


def live_day(mt: Matomo, day: int) -> list[dict]:
    """Live.getLastVisitsDetails(period=day, date=day, filter_limit=-1): the day's visits, newest first."""
    j, v = mt.j, mt.v
    a, b = np.searchsorted(j.day, [day, day + 1])
    if a == b:
        return []
    vs = np.arange(a, b)
    vs = vs[np.lexsort((-vs, -j.last[vs]))]
    starts = j.action_start
    lo, hi = int(starts[a]), int(starts[b]) if b < len(starts) else len(j.kind)
    actions = _actions(mt, lo, hi)
    first, last = j.first[vs], j.last[vs]
    first_local = mt.local[starts[vs]]
    last_local = mt.local[starts[vs] + j.n_actions[vs] - 1]
    visitor_local = first + mt.visit_local_offset[vs]
    month = first.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    languages = language_codes()
    resolutions = [[r for r, _ in m.RESOLUTIONS[d[0]]] for d in m.DEVICES]
    dom = _dom_dep(j.dep[vs], v.abroad[vs])
    city_dep = np.where(v.with_city[vs] & ((v.abroad[vs] >= 0) | _has_city(j.dep[vs])), j.dep[vs], -1)

    ref_pick = (v.ref_pick[vs] * 1000).astype(np.int64)
    cols = (
        (vs + 1).tolist(), first.tolist(), last.tolist(), (starts[vs] - lo).tolist(), j.n_actions[vs].tolist(),
        j.n_pages[vs].tolist(), [ip_text(a, b) for a, b in v.ipv4[vs].tolist()],
        [f"{x:016x}" for x in v.visitor_id[vs].tolist()], [f"{x:016x}" for x in v.fingerprint[vs].tolist()],
        (last // DAY).tolist(), (last % DAY).tolist(), (last_local // DAY).tolist(), (last_local % DAY).tolist(),
        (first_local // DAY).tolist(), (first_local % DAY).tolist(), (visitor_local % DAY).tolist(),
        j.count[vs].tolist(), mt.since_first[vs].tolist(), mt.since_last[vs].tolist(), mt.duration[vs].tolist(),
        v.referrer[vs].tolist(), ref_pick.tolist(), v.language[vs].tolist(), v.device[vs].tolist(), month.tolist(),
        (v.os_pick[vs] * 10).astype(np.int64).tolist(), v.resolution[vs].tolist(), v.abroad[vs].tolist(),
        v.region[vs].tolist(), city_dep.tolist(), dom.tolist(),
    )
    records = []
    for (id_visit, t_first, t_last, a_start, n, pages, ip, visitor_id, fingerprint, utc_day, utc_sod, l_day, l_sod,
         f_day, f_sod, v_sod, count, since_first, since_last, duration, ref, pick, lang, device, month_, os_pick,
         res, abroad, region, city, dom_dep) in zip(*cols, strict=True):
        returning = count > 1
        utc_date = _iso_day(utc_day)
        records.append({
            "idSite": m.SITE_ID, "idVisit": id_visit, "visitIp": ip, "visitorId": visitor_id,
            "fingerprint": fingerprint, "actionDetails": actions[a_start:a_start + n],
            "goalConversions": 0, "siteCurrency": "EUR", "siteCurrencySymbol": "€",
            "serverDate": utc_date, "visitServerHour": str(utc_sod // 3600), "lastActionTimestamp": t_last,
            "lastActionDateTime": f"{utc_date} {TIME_OF_DAY[utc_sod]}", "siteName": m.SITE_NAME,
            "serverTimestamp": t_last, "firstActionTimestamp": t_first, "serverTimePretty": TIME_OF_DAY[l_sod],
            "serverDatePretty": _long_date(l_day), "serverDatePrettyFirstAction": _long_date(f_day),
            "serverTimePrettyFirstAction": TIME_OF_DAY[f_sod], "userId": None,
            "visitorType": "returning" if returning else "new",
            "visitorTypeIcon": "plugins/Live/images/returningVisitor.png" if returning else None,
            "visitConverted": 0, "visitConvertedIcon": None, "visitCount": count,
            "visitEcommerceStatus": "none", "visitEcommerceStatusIcon": None,
            "daysSinceFirstVisit": since_first // 86_400, "secondsSinceFirstVisit": since_first,
            "daysSinceLastEcommerceOrder": 0, "secondsSinceLastEcommerceOrder": None,
            "visitDuration": duration, "visitDurationPretty": _pretty(duration), "searches": 0, "actions": n,
            "interactions": pages,
            **referrer_block(ref, pick),
            "languageCode": languages[lang], "language": language_name(languages[lang]),
            **device_block(device, month_, os_pick),
            "events": 0,
            **geo_block(abroad, region, city, dom_dep),
            "visitLocalTime": TIME_OF_DAY[v_sod], "visitLocalHour": str(v_sod // 3600),
            "daysSinceLastVisit": since_last // 86_400, "secondsSinceLastVisit": since_last,
            "resolution": resolutions[device][res], "plugins": "", "pluginsIcons": None,
        })
    return records


def _has_city(dep: np.ndarray) -> np.ndarray:
    return np.array([d.code in m.CITIES for d in departements()])[dep]


def _dom_dep(dep: np.ndarray, abroad: np.ndarray) -> np.ndarray:
    is_dom = np.array([d.code in m.MATOMO_REGIONS for d in departements()])[dep]
    return np.where(is_dom & (abroad < 0), dep, -1)


# ---------------------------------------------------------------------------- daily reports
def _pct(part: int, whole: int) -> str:
    """Matomo's rate: quotient rounded to 2 decimals, shown as a whole percentage."""
    return f"{(200 * part + whole) // (2 * whole) if whole else 0}%"


def _round1(x: float):
    value = np.floor(x * 10 + 0.5) / 10
    return int(value) if value == int(value) else float(value)


def visits_summary(mt: Matomo) -> dict:
    """VisitsSummary.get over the period, multi-day form: {day: metrics | []}."""
    j = mt.j
    n = mt.period.n_days
    nb_visits = np.bincount(j.day, minlength=n)
    nb_actions = np.bincount(j.day, weights=j.n_actions, minlength=n).astype(np.int64)
    bounces = np.bincount(j.day, weights=j.n_actions == 1, minlength=n).astype(np.int64)
    length = np.bincount(j.day, weights=mt.duration, minlength=n).astype(np.int64)
    max_actions = np.zeros(n, dtype=np.int64)
    np.maximum.at(max_actions, j.day, j.n_actions)
    pairs = np.unique(np.stack([j.day, mt.v.visitor_id.astype(np.int64)], axis=1), axis=0)
    uniq = np.bincount(pairs[:, 0], minlength=n)
    out = {}
    for d in range(n):
        day = mt.period.day(d).isoformat()
        if not mt.tracked[d] or not nb_visits[d]:
            out[day] = []
            continue
        v, a, L = int(nb_visits[d]), int(nb_actions[d]), int(length[d])
        out[day] = {
            "nb_uniq_visitors": int(uniq[d]), "nb_users": 0, "nb_visits": v, "nb_actions": a,
            "nb_visits_converted": 0, "bounce_count": int(bounces[d]), "sum_visit_length": L,
            "max_actions": int(max_actions[d]), "bounce_rate": _pct(int(bounces[d]), v),
            "nb_actions_per_visit": _round1(a / v), "avg_time_on_site": (2 * L + v) // (2 * v),
        }
    return out


def _php_urlencode(text: str) -> str:
    return quote_plus(text, safe="").replace("~", "%7E")


def page_table(mt: Matomo) -> pd.DataFrame:
    """Per (day, page URL) metrics of the three Actions reports, from the same visits as Live."""
    j, u = mt.j, mt.urls
    is_page = IS_PAGE[j.kind]
    visitor = mt.v.visitor_id.astype(np.int64)
    pv = pd.DataFrame({"day": j.day[j.visit][is_page], "url": u.of_action[is_page], "visit": j.visit[is_page],
                       "visitor": visitor[j.visit][is_page]})
    g = pv.groupby(["day", "url"], sort=False)
    table = pd.DataFrame({"nb_hits": g.size(), "nb_visits": g["visit"].nunique(),
                          "nb_uniq_visitors": g["visitor"].nunique()})
    # time spent: each action's gap since the previous one, credited to the page viewed before it
    prev_page_url = u.of_action[j.page_row[np.maximum(np.arange(len(j.kind)) - 1, 0)]]
    gaps = pd.DataFrame({"day": j.day[j.visit], "url": prev_page_url, "t": mt.ref_gap})
    table["sum_time_spent"] = gaps[gaps["t"] > 0].groupby(["day", "url"])["t"].sum()
    visits = pd.DataFrame({"day": j.day, "visitor": visitor, "n": j.n_actions, "dur": mt.duration,
                           "bounce": (j.n_actions == 1).astype(np.int64), "entry": u.of_action[j.action_start]})
    last_page = j.page_row[j.action_start + j.n_actions - 1]
    visits["exit"] = u.of_action[last_page]
    e = visits.groupby(["day", "entry"])
    table = table.join(pd.DataFrame({
        "entry_nb_uniq_visitors": e["visitor"].nunique(), "entry_nb_visits": e.size(),
        "entry_nb_actions": e["n"].sum(), "entry_sum_visit_length": e["dur"].sum(),
        "entry_bounce_count": e["bounce"].sum(),
    }).rename_axis(["day", "url"]))
    x = visits.groupby(["day", "exit"])
    table = table.join(pd.DataFrame({"exit_nb_uniq_visitors": x["visitor"].nunique(), "exit_nb_visits": x.size()})
                       .rename_axis(["day", "url"]))
    table = table.fillna(0).astype(np.int64).reset_index()
    label = pd.Series(u.strings, dtype=object).str.slice(len(m.SITE_URL))
    table["label"] = label.to_numpy()[table["url"].to_numpy()]
    return table.sort_values(["day", "nb_hits", "label"], ascending=[True, False, True], kind="stable")


def page_reports(mt: Matomo) -> dict[str, dict]:
    """The three Actions reports (flat=1, period=day) over the period, multi-day form."""
    table = page_table(mt)
    used = np.unique(table["url"].to_numpy())
    label = {int(i): mt.urls.strings[i][len(m.SITE_URL):] for i in used}
    segment = {int(i): _php_urlencode(_php_urlencode(mt.urls.strings[i])) for i in used}
    columns = ["day", "url", "nb_visits", "nb_uniq_visitors", "nb_hits", "sum_time_spent", "entry_nb_uniq_visitors",
               "entry_nb_visits", "entry_nb_actions", "entry_sum_visit_length", "entry_bounce_count",
               "exit_nb_uniq_visitors", "exit_nb_visits"]
    rows = zip(*(table[c].tolist() for c in columns), strict=True)
    reports = {name: {mt.period.day(d).isoformat(): [] for d in range(mt.period.n_days)} for name in REPORTS}
    pages_by_day, entries_by_day, exits_by_day = reports.values()
    for (d, u, visits, uniq, hits, spent, e_uniq, e_visits, e_actions, e_length, e_bounces, x_uniq,
         x_visits) in rows:
        if not mt.tracked[d]:
            continue
        day, url, lab, seg = mt.period.day(d).isoformat(), mt.urls.strings[u], label[u], segment[u]
        row = {"label": lab, "nb_visits": visits, "nb_uniq_visitors": uniq, "nb_hits": hits, "sum_time_spent": spent}
        if e_visits:
            row.update(entry_nb_uniq_visitors=e_uniq, entry_nb_visits=str(e_visits), entry_nb_actions=str(e_actions),
                       entry_sum_visit_length=str(e_length), entry_bounce_count=str(e_bounces))
            entries_by_day[day].append({
                "label": lab, "entry_nb_visits": str(e_visits), "entry_bounce_count": str(e_bounces),
                "bounce_rate": _pct(e_bounces, e_visits), "url": url, "Actions_EntryPageUrl": lab,
                "segment": f"entryPageUrl=={seg}"})
        if x_visits:
            row.update(exit_nb_uniq_visitors=x_uniq, exit_nb_visits=str(x_visits))
            exits_by_day[day].append({
                "label": lab, "nb_visits": visits, "exit_nb_visits": str(x_visits),
                "exit_rate": _pct(x_visits, visits), "url": url, "Actions_ExitPageUrl": lab,
                "segment": f"exitPageUrl=={seg}"})
        row.update(avg_page_load_time=0, avg_time_on_page=(2 * spent + hits) // (2 * hits),
                   bounce_rate=_pct(e_bounces, e_visits), exit_rate=_pct(x_visits, visits), url=url,
                   Actions_PageUrl=lab, segment=f"pageUrl=={seg}")
        pages_by_day[day].append(row)
    return reports


# ---------------------------------------------------------------------------- files
def write_live_day(folder: Path, mt: Matomo, d: int) -> tuple[int, int]:
    """Write ``live/<day>.json`` (none when the raw log is purged); returns the (visits, actions) written."""
    if not mt.raw_kept[d]:
        return 0, 0
    records = live_day(mt, d) if mt.tracked[d] else []
    (folder / "live" / f"{mt.period.day(d).isoformat()}.json").write_bytes(orjson.dumps(records))
    return len(records), sum(len(r["actionDetails"]) for r in records)


def write_reports(folder: Path, mt: Matomo) -> None:
    """Write VisitsSummary.get.json and the three Actions reports."""
    (folder / "VisitsSummary.get.json").write_bytes(orjson.dumps(visits_summary(mt)))
    for name, report in page_reports(mt).items():
        (folder / f"{name}.json").write_bytes(orjson.dumps(report))


def special_days(mt: Matomo) -> dict[str, list[str]]:
    """Days without raw visits although Matomo counted some (purged) and days Matomo saw nothing (outage)."""
    days = [mt.period.day(d).isoformat() for d in range(mt.period.n_days)]
    return {"purged_days": [day for day, kept in zip(days, mt.raw_kept, strict=True) if not kept],
            "outage_days": [day for day, seen in zip(days, mt.tracked, strict=True) if not seen]}
