"""Demo visits written as Matomo 5.3 answers: Live.getLastVisitsDetails per day, VisitsSummary.get and the
three Actions page reports (period=day, flat, multi-day dict form), all consistent with each other."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import pandas as pd
from tqdm import tqdm

from etl.demo import model as m

PARIS = ZoneInfo("Europe/Paris")
ALL_DEPARTEMENTS = pd.read_csv(Path(__file__).resolve().parent.parent / "reference" / "departements.csv",
                               dtype=str)
REGION_OF = dict(zip(ALL_DEPARTEMENTS.code, ALL_DEPARTEMENTS.region_code, strict=True))
TITLES = {"accueil": "Work in France - Autorisation provisoire de travail", "etudiant": "Étudiant - Work in France",
          "employeur": "Employeur - Work in France", "fail": "Département non couvert - Work in France"}


def draw_visits(rng: np.random.Generator, days: pd.DatetimeIndex, deps: list[str], opens: dict[str, int],
                weights: np.ndarray, dossiers: pd.DataFrame, total: float) -> pd.DataFrame:
    """One row per visit: day, start time, kind of journey, department and audience asked for."""
    n_days = len(days)
    day0 = days[0]
    # Departures to DS: DEPARTURES_PER_DOSSIER per dossier, 0–2 days before its deposit.
    n_dep = int(round(len(dossiers) * m.DEPARTURES_PER_DOSSIER))
    pick = rng.integers(0, len(dossiers), n_dep)
    dep_day = ((dossiers.depot.to_numpy()[pick] - np.datetime64(day0)) // np.timedelta64(1, "D")) - rng.integers(
        0, 3, n_dep)
    first_open = np.array([opens[d] for d in dossiers.dep.to_numpy()[pick]])
    departures = pd.DataFrame({"day": np.maximum(dep_day, first_open), "kind": "depart",
                               "dep": dossiers.dep.to_numpy()[pick], "audience": dossiers.audience.to_numpy()[pick]})
    # Other visits, spread like the demand of open departments, plus the demand of those not yet open.
    n_other = max(int(total) - n_dep, 0)
    kinds = list(m.VISIT_KINDS)
    kind = np.array(kinds)[rng.choice(len(kinds), n_other, p=list(m.VISIT_KINDS.values()))]
    per_day = weights.sum(axis=0) + 0.15 * weights.max()
    day = rng.choice(n_days, n_other, p=per_day / per_day.sum())
    share = weights[:, day]
    cum = np.cumsum(share, axis=0) / share.sum(axis=0)
    dep = np.array(deps)[(rng.random(n_other) > cum).sum(axis=0).clip(max=len(deps) - 1)]
    fail = kind == "fail"
    closed = list(ALL_DEPARTEMENTS.code)
    closed_w = np.array([m.WEIGHTS.get(c, m.DEFAULT_WEIGHT) for c in closed])
    fail_dep = np.array(closed)[rng.choice(len(closed), fail.sum(), p=closed_w / closed_w.sum())]
    fail_day = day[fail]
    still_closed = np.array([opens.get(c, n_days + 1) > d for c, d in zip(fail_dep, fail_day, strict=True)])
    dep[fail] = np.where(still_closed, fail_dep, dep[fail])
    kind[fail] = np.where(still_closed, "fail", "checklist_exit")
    audience = np.where(rng.random(n_other) < np.where(kind == "checklist_exit", 0.45, m.AUDIENCE_SHARE_STUDENT),
                        "etudiant", "employeur")
    others = pd.DataFrame({"day": day, "kind": kind, "dep": dep, "audience": audience})
    visits = pd.concat([departures, others], ignore_index=True)
    outage_start, outage_len = m.OUTAGE_DAYS
    visits = visits[(visits.day < outage_start) | (visits.day >= outage_start + outage_len)]
    n = len(visits)
    hours = rng.choice(24, n, p=np.array(m.HOURS) / sum(m.HOURS))
    seconds = hours * 3600 + rng.integers(0, 3600, n)
    visits = visits.assign(start=pd.Series(days[visits.day.to_numpy()]).to_numpy()
                           + pd.to_timedelta(seconds, unit="s").to_numpy())
    return visits.sort_values(["start", "dep"], kind="stable").reset_index(drop=True)


def _slug(dep: str, audience: str) -> str:
    return f"ud{dep.lower()}-apt-etudiants" + ("-employeur" if audience == "employeur" else "")


def _noisy(url: str, r: float) -> str:
    """Add what a privacy filter must strip: campaign parameters, user-entered values, fragments."""
    if r < 0.04:
        return url + ("&" if "?" in url else "?") + "utm_source=newsletter&utm_campaign=rentree"
    if r < 0.05:
        return url + ("&" if "?" in url else "?") + "email=etudiant.test%40example.org"
    if r < 0.07:
        return url + "#documents"
    return url


def journey(kind: str, dep: str, audience: str, old_site: bool, r: np.random.Generator) -> list[tuple]:
    """Steps of a visit: (type, url, title, page key for the reports)."""
    site = m.SITE_URL
    who = "student" if audience == "etudiant" else "company"
    key = "etudiant" if audience == "etudiant" else "employeur"
    home = ("action", site + "/", TITLES["accueil"])
    if old_site:
        checklist = [("action", f"{site}/qualify/{who}/qualify-1.html?user={key}", TITLES[key]),
                     ("action", f"{site}/qualify/{who}/qualify-2.html?department={dep}", TITLES[key])]
        fail = [("action", f"{site}/qualify/{who}/qualify-1.html?user={key}", TITLES[key]),
                ("action", f"{site}/qualify/fail.html", TITLES["fail"])]
    else:
        checklist = [("action", _noisy(f"{site}/{who}?link={_slug(dep, audience)}", r.random()), TITLES[key])]
        fail = [("action", f"{site}/fail?departement={dep}", TITLES["fail"])]
    docs = [("download", f"{site}/static/pdf/{d}", d) for d in m.DOCUMENTS]
    outlink = ("outlink", f"{m.DS_URL}/commencer/{_slug(dep, audience)}",
               "Je finalise ma demande sur Démarches Simplifiées")
    if kind == "bounce":
        return [home]
    if kind == "fail":
        return [home, *fail]
    if kind == "info":
        url, title, _ = m.INFO_PAGES[r.choice(len(m.INFO_PAGES), p=[p for *_, p in m.INFO_PAGES])]
        if url == "/validitycheck" and r.random() < 0.6:
            url += f"?numero={7500000000 + int(r.integers(0, 10**9))}"
        steps = [("action", site + url, title)]
        return steps + ([home] if r.random() < 0.35 else [])
    picked = [docs[i] for i in r.choice(len(docs), int(r.integers(0, 3)), replace=False)]
    steps = [home, *checklist, *picked]
    if kind == "depart":
        if r.random() < 0.15:
            steps += [("action", site + "/faq", m.INFO_PAGES[0][1]), checklist[-1]]
        return [*steps, outlink]
    return steps


def _pretty(seconds: int) -> str:
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes} min {sec}s" if minutes else f"{sec}s"


def _location(dep: str, r: np.random.Generator) -> dict:
    if r.random() < m.ABROAD_SHARE:
        code, country, continent, cont_code = m.ABROAD[int(r.integers(0, len(m.ABROAD)))]
        return {"continent": continent, "continentCode": cont_code, "country": country, "countryCode": code,
                "region": None, "regionCode": None, "city": None}
    region = REGION_OF.get(dep, "IDF")
    return {"continent": "Europe", "continentCode": "eur", "country": "France", "countryCode": "fr",
            "region": m.REGION_NAMES.get(region, region), "regionCode": region,
            "city": m.CITIES[int(r.integers(0, len(m.CITIES)))]}


def visit_record(id_visit: int, steps: list[tuple], start: pd.Timestamp, r: np.random.Generator,
                 kind: str) -> tuple[dict, list[tuple]]:
    """A Live.getLastVisitsDetails record shaped like Matomo 5.3's, and its page views for the reports."""
    n = len(steps)
    if kind == "depart":
        total = float(r.lognormal(np.log(m.TIME_TO_DS_MEDIAN_S), m.TIME_TO_DS_SIGMA))
        gaps = r.dirichlet(np.ones(n - 1)) * total if n > 1 else np.array([])
    else:
        gaps = r.lognormal(np.log(40), 0.9, n - 1)
    gaps = np.maximum(gaps.astype(int), 1)
    first = int(pd.Timestamp(start).tz_localize(PARIS, nonexistent="shift_forward", ambiguous=False).timestamp())
    stamps = first + np.concatenate([[0], np.cumsum(gaps)]).astype(int)
    details, pageviews, position = [], [], 0
    for i, (typ, url, title) in enumerate(steps):
        ts = int(stamps[i])
        pretty = datetime.fromtimestamp(ts, PARIS).strftime("%b %-d, %Y %H:%M:%S")
        if typ == "action":
            position += 1
            spent = int(stamps[i + 1] - ts) if i + 1 < n else 0
            details.append({
                "type": "action", "url": url, "pageTitle": title, "pageIdAction": 2 + (hash_url(url) % 400),
                "idpageview": f"{(id_visit * 31 + i) % 16**6:06x}", "serverTimePretty": pretty,
                "pageId": id_visit * 8 + i, "timeSpent": spent, "timeSpentPretty": _pretty(spent),
                "pageviewPosition": position, "title": title, "subtitle": url, "icon": "",
                "iconSVG": "plugins/Morpheus/images/action.svg", "timestamp": ts})
            pageviews.append((url, spent))
        else:
            details.append({
                "type": typ, "url": url, "pageIdAction": 2 + (hash_url(url) % 400),
                "idpageview": f"{(id_visit * 31 + i - 1) % 16**6:06x}", "serverTimePretty": pretty,
                "pageId": id_visit * 8 + i, "pageviewPosition": position, "title": title, "subtitle": url,
                "icon": None, "iconSVG": f"plugins/Morpheus/images/{'download' if typ == 'download' else 'link'}.svg",
                "timestamp": ts})
    last = int(stamps[-1])
    device = m.DEVICES[r.choice(len(m.DEVICES), p=[d[-1] for d in m.DEVICES])]
    ref = m.REFERRERS[r.choice(len(m.REFERRERS), p=[x[-1] for x in m.REFERRERS])]
    returning = r.random() < 0.2
    first_dt = datetime.fromtimestamp(first, PARIS)
    last_dt = datetime.fromtimestamp(last, PARIS)
    loc = _location(steps_dep(steps), r)
    record = {
        "idSite": m.SITE_ID, "idVisit": id_visit,
        "visitIp": f"{r.integers(2, 223)}.{r.integers(0, 255)}.{r.integers(0, 255)}.0",
        "visitorId": f"{int(r.integers(0, 2**63)):016x}", "fingerprint": f"{int(r.integers(0, 2**63)):016x}",
        "actionDetails": details, "goalConversions": 0, "siteCurrency": "EUR", "siteCurrencySymbol": "€",
        "serverDate": first_dt.strftime("%Y-%m-%d"), "visitServerHour": str(first_dt.hour),
        "lastActionTimestamp": last, "lastActionDateTime": last_dt.strftime("%Y-%m-%d %H:%M:%S"),
        "siteName": "Work in France", "serverTimestamp": last, "firstActionTimestamp": first,
        "serverTimePretty": last_dt.strftime("%H:%M:%S"), "serverDatePretty": last_dt.strftime("%A, %B %-d, %Y"),
        "serverDatePrettyFirstAction": first_dt.strftime("%A, %B %-d, %Y"),
        "serverTimePrettyFirstAction": first_dt.strftime("%H:%M:%S"), "userId": None,
        "visitorType": "returning" if returning else "new", "visitorTypeIcon": None, "visitConverted": 0,
        "visitConvertedIcon": None, "visitCount": int(r.integers(2, 6)) if returning else 1,
        "visitEcommerceStatus": "none", "visitEcommerceStatusIcon": None,
        "daysSinceFirstVisit": int(r.integers(1, 30)) if returning else 0,
        "secondsSinceFirstVisit": int(r.integers(86400, 2592000)) if returning else 0,
        "daysSinceLastEcommerceOrder": 0, "secondsSinceLastEcommerceOrder": None,
        "visitDuration": last - first, "visitDurationPretty": _pretty(last - first), "searches": 0,
        "actions": n, "interactions": n, "referrerType": ref[0], "referrerTypeName": ref[1],
        "referrerName": ref[2], "referrerKeyword": "" if ref[0] != "search" else "Keyword not defined",
        "referrerKeywordPosition": None, "referrerUrl": ref[3],
        "referrerSearchEngineUrl": f"http://{ref[2].lower()}.com" if ref[0] == "search" else None,
        "referrerSearchEngineIcon": None, "referrerSocialNetworkUrl": ref[3] if ref[0] == "social" else None,
        "referrerSocialNetworkIcon": None, "languageCode": "fr-fr", "language": "Code langue fr-fr",
        "deviceType": device[0], "deviceTypeIcon": f"plugins/Morpheus/icons/dist/devices/{device[0].lower()}.png",
        "deviceBrand": device[1] or "Unknown", "deviceModel": device[2] or "Generic Desktop",
        "operatingSystem": f"{device[3]} {device[5]}".strip(), "operatingSystemName": device[3],
        "operatingSystemIcon": f"plugins/Morpheus/icons/dist/os/{device[4]}.png", "operatingSystemCode": device[4],
        "operatingSystemVersion": device[5], "browserFamily": device[9],
        "browserFamilyDescription": device[9], "browser": f"{device[6]} {device[8]}", "browserName": device[6],
        "browserIcon": f"plugins/Morpheus/icons/dist/browsers/{device[7]}.png", "browserCode": device[7],
        "browserVersion": device[8], "events": 0, **{k: loc[k] for k in ("continent", "continentCode", "country",
                                                                          "countryCode")},
        "countryFlag": f"plugins/Morpheus/icons/dist/flags/{loc['countryCode']}.png",
        "region": loc["region"], "regionCode": loc["regionCode"], "city": loc["city"],
        "location": ", ".join(x for x in (loc["city"], loc["region"], loc["country"]) if x),
        "latitude": round(float(r.uniform(42.5, 50.9)), 3) if loc["city"] else None,
        "longitude": round(float(r.uniform(-4.5, 7.8)), 3) if loc["city"] else None,
        "visitLocalTime": first_dt.strftime("%H:%M:%S"), "visitLocalHour": str(first_dt.hour),
        "daysSinceLastVisit": int(r.integers(1, 20)) if returning else 0,
        "secondsSinceLastVisit": int(r.integers(3600, 1728000)) if returning else 0,
        "resolution": device[10], "plugins": "", "pluginsIcons": None,
    }
    return record, pageviews


def hash_url(url: str) -> int:
    """Stable small integer for an URL (Python's hash() is salted per process)."""
    h = 0
    for ch in url.split("#")[0]:
        h = (h * 131 + ord(ch)) % 1_000_003
    return h


def steps_dep(steps: list[tuple]) -> str:
    for _, url, _ in steps:
        for marker in ("departement=", "department=", "/commencer/ud", "link=ud"):
            if marker in url:
                code = url.split(marker, 1)[1][:3].split("-")[0].split("&")[0].upper()
                return code if code in REGION_OF else "75"
    return "75"


def _label(url: str) -> str:
    """Matomo's flat page label: the path and query of the URL, without the fragment."""
    rest = url.split("://", 1)[1].split("#")[0]
    return rest[rest.find("/"):] if "/" in rest else "/"


def _reports(pv: pd.DataFrame) -> tuple[dict, dict, dict]:
    """Actions.getPageUrls / getEntryPageUrls / getExitPageUrls rows per day (flat), as Matomo shapes them."""
    pages, entries, exits = {}, {}, {}
    pv = pv.assign(label=pv.url.map(_label), clean=pv.url.str.split("#").str[0])
    grouped = pv.groupby(["day", "label"], sort=True).agg(
        url=("clean", "first"), nb_visits=("visit", "nunique"), nb_hits=("visit", "size"),
        sum_time_spent=("spent", "sum"), entry=("is_entry", "sum"), exit=("is_exit", "sum"),
        bounce=("is_bounce", "sum"))
    for (day, label), g in grouped.iterrows():
        seg = "pageUrl==" + g.url.replace(":", "%253A").replace("/", "%252F")
        row = {"label": label, "nb_visits": int(g.nb_visits), "nb_uniq_visitors": int(g.nb_visits),
               "nb_hits": int(g.nb_hits), "sum_time_spent": int(g.sum_time_spent)}
        if g.entry:
            row.update({"entry_nb_uniq_visitors": int(g.entry), "entry_nb_visits": str(int(g.entry)),
                        "entry_bounce_count": str(int(g.bounce))})
            entries.setdefault(day, []).append({
                "label": label, "entry_nb_visits": str(int(g.entry)), "entry_bounce_count": str(int(g.bounce)),
                "bounce_rate": f"{round(100 * g.bounce / g.entry)}%", "url": g.url, "segment": "entry" + seg[0].upper()
                + seg[1:]})
        if g.exit:
            row.update({"exit_nb_uniq_visitors": int(g.exit), "exit_nb_visits": str(int(g.exit))})
            exits.setdefault(day, []).append({
                "label": label, "exit_nb_visits": str(int(g.exit)),
                "exit_rate": f"{round(100 * g.exit / g.nb_visits)}%", "url": g.url,
                "segment": "exit" + seg[0].upper() + seg[1:]})
        row.update({"avg_time_on_page": int(round(g.sum_time_spent / g.nb_hits)),
                    "bounce_rate": f"{round(100 * g.bounce / g.entry) if g.entry else 0}%",
                    "exit_rate": f"{round(100 * g.exit / g.nb_visits)}%", "url": g.url, "segment": seg})
        pages.setdefault(day, []).append(row)
    order = lambda rows, key: sorted(rows, key=lambda x: (-int(x[key]), x["label"]))  # noqa: E731
    return ({d: order(v, "nb_visits") for d, v in pages.items()},
            {d: order(v, "entry_nb_visits") for d, v in entries.items()},
            {d: order(v, "exit_nb_visits") for d, v in exits.items()})


def write_matomo(matomo_dir: Path, visits: pd.DataFrame, days: pd.DatetimeIndex, rng: np.random.Generator,
                 progress: bool) -> tuple[int, int]:
    """Write the Live files and daily reports; returns (visits, actions) written in the Live files."""
    old_site_end = m.OLD_SITE_MONTHS * 30
    purge_start, purge_len = m.PURGED_DAYS
    summaries: dict[str, dict] = {}
    pv_rows: list[tuple] = []
    n_actions_live = n_visits_live = 0
    by_day = visits.groupby("day", sort=True)
    for day_idx, group in tqdm(by_day, total=by_day.ngroups, desc="Matomo (jours)", unit=" jour",
                               disable=not progress):
        day = str(days[day_idx].date())
        records, lengths, actions, bounces = [], [], [], 0
        for i, row in enumerate(group.itertuples(index=False)):
            id_visit = int(group.index[i]) + 1
            steps = journey(row.kind, row.dep, row.audience, row.day < old_site_end, rng)
            record, pageviews = visit_record(id_visit, steps, row.start, rng, row.kind)
            records.append(record)
            lengths.append(record["visitDuration"])
            actions.append(record["actions"])
            bounces += record["actions"] == 1
            last = len(pageviews) - 1
            for j, (url, spent) in enumerate(pageviews):
                pv_rows.append((day, id_visit, url, spent, j == 0, j == last, j == 0 and record["actions"] == 1))
        nb = len(records)
        summaries[day] = {
            "nb_uniq_visitors": nb, "nb_users": 0, "nb_visits": nb, "nb_actions": int(sum(actions)),
            "nb_visits_converted": 0, "bounce_count": int(bounces), "sum_visit_length": int(sum(lengths)),
            "max_actions": int(max(actions)), "bounce_rate": f"{round(100 * bounces / nb)}%",
            "nb_actions_per_visit": round(sum(actions) / nb, 1), "avg_time_on_site": round(sum(lengths) / nb)}
        if not purge_start <= day_idx < purge_start + purge_len:
            records.sort(key=lambda v: (-v["firstActionTimestamp"], -v["idVisit"]))  # Matomo: newest first
            (matomo_dir / "live" / f"{day}.json").write_bytes(orjson.dumps(records))
            n_visits_live += nb
            n_actions_live += int(sum(actions))
    summary = {str(d.date()): summaries.get(str(d.date()), []) for d in days}
    (matomo_dir / "VisitsSummary.get.json").write_bytes(orjson.dumps(summary))
    pv = pd.DataFrame(pv_rows, columns=["day", "visit", "url", "spent", "is_entry", "is_exit", "is_bounce"])
    for name, report in zip(("Actions.getPageUrls", "Actions.getEntryPageUrls", "Actions.getExitPageUrls"),
                            _reports(pv), strict=True):
        full = {str(d.date()): report.get(str(d.date()), []) for d in days}
        (matomo_dir / f"{name}.json").write_bytes(orjson.dumps(full))
    return n_visits_live, n_actions_live
