"""A fake Matomo 5.3 reporting API for tests, replaying real answer formats.

``MatomoReplay`` serves ``POST /index.php`` on 127.0.0.1 like a Matomo 5.3 server: ``token_auth`` checked in the
form body, ``Live.getLastVisitsDetails`` paginated with ``filter_limit`` (default 100, as the real server)
and ``filter_offset``, ``VisitsSummary.get`` and the ``Actions.get*Urls`` reports for ``period=day`` over a
date range (multi-day dict form, ``[]`` for empty days), ``API.getBulkRequest`` and the ``{"result":"error"}``
answers of ``/work/shared/reference/matomo-5.3/err_*.json``. Anything else under the server answers an HTML
page, as a web server does for a wrong ``MATOMO_URL``.

Failures are scripted with ``fail_next`` (status, body, headers, delay), consumed in order. Every request
is recorded (path, query string, form) so tests can check where the token went.

Data comes from a directory in the demo layout (``live/YYYY-MM-DD.json``, ``VisitsSummary.get.json``,
``Actions.*.json``) or is set directly on ``live`` / ``summary`` / ``reports``. ``wif_visit`` builds a visit
in the exact shape of the reference ``Live.getLastVisitsDetails.json`` for WIF URLs.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "matomo-5.3"
if not REFERENCE.exists():  # checkout elsewhere: the path documented in DEVELOPERS.md
    REFERENCE = Path("/work/shared/reference/matomo-5.3")
TOKEN = "0123456789abcdef0123456789abcdef"
PARIS = ZoneInfo("Europe/Paris")
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Page introuvable</title></head>"
             b"<body><h1>Not Found</h1></body></html>")
REPORT_METHODS = ("Actions.getPageUrls", "Actions.getEntryPageUrls", "Actions.getExitPageUrls")


def reference(name: str):
    """Decoded JSON of a reference answer file."""
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


def reference_error(name: str) -> dict:
    """One of the ``err_*.json`` answers (``{"result":"error","message":…}``)."""
    return reference(f"err_{name}.json")


@dataclass
class Fault:
    status: int = 500
    body: bytes | str | dict | list | None = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    method: str | None = None       # only requests for this API method (None: any)


@dataclass
class Recorded:
    path: str
    query: str
    form: dict
    headers: dict


class MatomoReplay:
    """The fake server; use as a context manager (``with MatomoReplay() as m: m.url``)."""

    def __init__(self, token: str = TOKEN, site_id: int = 1):
        self.token = token
        self.site_id = site_id
        self.live: dict[str, list[dict]] = {}
        self.summary: dict[str, dict | list] = {}
        self.reports: dict[str, dict[str, list]] = {m: {} for m in REPORT_METHODS}
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self.ignore_offset = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> MatomoReplay:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ data
    def load_dir(self, matomo_dir: Path) -> MatomoReplay:
        """Serve the files of a directory in the demo layout."""
        matomo_dir = Path(matomo_dir)
        for path in sorted((matomo_dir / "live").glob("*.json")):
            self.live[path.stem] = json.loads(path.read_bytes())
        self.summary = json.loads((matomo_dir / "VisitsSummary.get.json").read_bytes())
        for method in REPORT_METHODS:
            path = matomo_dir / f"{method}.json"
            self.reports[method] = json.loads(path.read_bytes()) if path.exists() else {}
        return self

    def load_reference(self) -> MatomoReplay:
        """Serve the reference answers: the real Live visits by serverDate and the last-7-days summary.

        2026-11-18 has visits in the summary but none in the raw log: a purged day.
        """
        for name in ("Live.getLastVisitsDetails.json", "Live.getLastVisitsDetails_conv.json", "Live_flat.json"):
            for visit in reference(name):
                self.live.setdefault(visit["serverDate"], []).append(visit)
        for visits in self.live.values():
            visits.sort(key=lambda v: v["lastActionTimestamp"])
        self.summary = reference("VisitsSummary.get_last7.json")
        self.reports["Actions.getPageUrls"] = {"2026-11-19": reference("Actions.getPageUrls_flat.json"),
                                               **reference("pageurls_multiperiod.json")}
        self.reports["Actions.getEntryPageUrls"] = {"2026-11-19": reference("Actions.getEntryPageUrls_day_flat.json")}
        self.reports["Actions.getExitPageUrls"] = {"2026-11-19": reference("Actions.getExitPageUrls_day_flat.json")}
        return self

    def fail_next(self, status: int = 500, body=None, *, headers: dict | None = None, delay: float = 0.0,
                  method: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with this failure instead of data."""
        for _ in range(times):
            self.faults.append(Fault(status, body, dict(headers or {}), delay, method))

    def calls(self, method: str | None = None) -> list[dict]:
        """Forms of the recorded API requests (sub-requests of bulk calls included), optionally for one method."""
        out = []
        for req in self.requests:
            form = req.form
            if form.get("method") == "API.getBulkRequest":
                subs = [dict(parse_qsl(v)) for k, v in sorted(form.items()) if k.startswith("urls[")]
                out.extend(subs if method else [form])
            else:
                out.append(form)
        return [f for f in out if method is None or f.get("method") == method]

    # ------------------------------------------------------------------ API emulation
    def _error(self, name: str, status: int) -> tuple[int, dict]:
        return status, reference_error(name)

    def _dates(self, params: dict) -> list[str] | None:
        value = params.get("date", "")
        if "," not in value:
            try:
                return [date.fromisoformat(value).isoformat()]
            except ValueError:
                return None
        a, b = value.split(",", 1)
        try:
            first, last = date.fromisoformat(a), date.fromisoformat(b)
        except ValueError:
            return None
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

    def answer(self, params: dict) -> tuple[int, object]:
        """(HTTP status, JSON answer) of one API request, as Matomo 5.3 gives it."""
        method = params.get("method", "")
        if method == "API.getBulkRequest":
            subs = [dict(parse_qsl(v)) for k, v in sorted(params.items(), key=lambda kv: _url_index(kv[0]))
                    if k.startswith("urls[")]
            return 200, [self.answer({**sub, "token_auth": params.get("token_auth")})[1] for sub in subs]
        if not params.get("token_auth"):
            return self._error("no_token", 401)
        if params["token_auth"] != self.token:
            return self._error("bad_token", 401)
        if not str(params.get("idSite", "")).isdigit():
            return self._error("idsite_text", 400)
        if int(params["idSite"]) != self.site_id:
            return 400, {"result": "error", "message": "An unexpected website was found in the request: "
                                                         f"website id was set to '{params['idSite']}' ."}
        if params.get("period") not in (None, "day"):
            return self._error("bad_period", 400)
        days = self._dates(params)
        if days is None:
            return self._error("bad_date", 400)
        if method == "Live.getLastVisitsDetails":
            visits = list(self.live.get(days[0], []))
            if params.get("filter_sort_order", "desc").lower() != "asc":
                visits.reverse()
            limit = int(params.get("filter_limit", 100))
            offset = 0 if self.ignore_offset else int(params.get("filter_offset", 0))
            hidden = set(filter(None, params.get("hideColumns", "").split(",")))
            page = visits[offset:] if limit < 0 else visits[offset:offset + limit]
            return 200, [{k: v for k, v in visit.items() if k not in hidden} for visit in page]
        if method == "VisitsSummary.get":
            if len(days) == 1 and "," not in params["date"]:
                return 200, self.summary.get(days[0]) or reference("VisitsSummary.get_emptyday.json")
            return 200, {d: self.summary.get(d, []) for d in days}
        if method in REPORT_METHODS:
            limit = int(params.get("filter_limit", 100))
            by_day = {d: self.reports[method].get(d, []) for d in days}
            by_day = {d: rows if limit < 0 else rows[:limit] for d, rows in by_day.items()}
            return 200, by_day if "," in params["date"] else by_day[days[0]]
        return 400, {"result": "error", "message": f"The method '{method.split('.')[-1]}' does not exist or is not "
                                                   f"available in the module '\\Piwik\\Plugins\\"
                                                   f"{method.split('.')[0]}\\API'."}

    def _next_fault(self, method: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self.faults):
                if fault.method is None or fault.method == method:
                    return self.faults.pop(i)
        return None

    def _handler_class(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                parts = urlsplit(self.path)
                replay.requests.append(Recorded(parts.path, parts.query, {}, dict(self.headers)))
                self._send(404, HTML_PAGE, "text/html; charset=utf-8")

            def do_POST(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
                replay.requests.append(Recorded(parts.path, parts.query, form, dict(self.headers)))
                if parts.path != "/index.php" or form.get("module") != "API":
                    self._send(404 if parts.path != "/index.php" else 200, HTML_PAGE, "text/html; charset=utf-8")
                    return
                fault = replay._next_fault(form.get("method", ""))
                if fault is not None:
                    if fault.delay:
                        time.sleep(fault.delay)
                    body = fault.body
                    if isinstance(body, (dict, list)):
                        body = json.dumps(body).encode()
                    elif isinstance(body, str):
                        body = body.encode()
                    body = body if body is not None else b'{"result":"error","message":"Internal Server Error"}'
                    ctype = fault.headers.pop("Content-Type", None) or (
                        "text/html; charset=utf-8" if body.lstrip()[:1] == b"<" else "application/json; charset=utf-8")
                    self._send(fault.status, body, ctype, fault.headers)
                    return
                status, data = replay.answer(form)
                self._send(status, json.dumps(data).encode(), "application/json; charset=utf-8")

        return Handler


def _url_index(key: str) -> int:
    return int(key[5:-1]) if key.startswith("urls[") and key.endswith("]") and key[5:-1].isdigit() else -1


# ---------------------------------------------------------------------------- WIF visits in Matomo's shape
_TEMPLATE = reference("Live.getLastVisitsDetails.json")[0]


def wif_visit(id_visit: int, day: str, hour: int, steps: list[tuple[str, str]], *, minute: int = 0,
              step_seconds: int = 40, **fields) -> dict:
    """A Live visit shaped exactly like the reference file, with WIF actions.

    ``steps`` are (type, url) pairs: ``("action", "https://…/student?link=ud075-apt-etudiants")``,
    ``("outlink", "https://www.demarches-simplifiees.fr/commencer/ud075-apt-etudiants")``… The personal
    fields of the template (visitIp, visitorId, fingerprint, latitude/longitude, city…) are filled with
    recognisable values so privacy tests can look for them.
    """
    visit = copy.deepcopy(_TEMPLATE)
    start = datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=PARIS)
    t0 = int(start.timestamp())
    actions = []
    for i, (kind, url) in enumerate(steps):
        ts = t0 + i * step_seconds
        if kind == "action":
            action = copy.deepcopy(_TEMPLATE["actionDetails"][0])
            action.update(url=url, pageTitle=f"Work in France {i + 1}", title=f"Work in France {i + 1}",
                          subtitle=url, timestamp=ts, timeSpent=step_seconds, pageviewPosition=i + 1)
        elif kind == "event":
            action = copy.deepcopy(_TEMPLATE["actionDetails"][3])
            action.update(url=url, timestamp=ts, eventName="jean.dupont@example.com")
        else:
            action = {"type": kind, "url": url, "pageIdAction": 90 + i, "idpageview": "a1b2c3",
                      "serverTimePretty": "", "pageId": 900 + i, "pageviewPosition": i, "timestamp": ts,
                      "icon": "", "iconSVG": "", "title": "Outlink" if kind == "outlink" else "Download",
                      "subtitle": url}
        actions.append(action)
    visit.update(
        idVisit=id_visit, visitIp="203.0.113.77", visitorId="5e6f7a8b9c0d1e2f", fingerprint="a1b2c3d4e5f60718",
        actionDetails=actions, serverDate=day, firstActionTimestamp=t0,
        lastActionTimestamp=t0 + step_seconds * max(len(steps) - 1, 0), serverTimestamp=t0,
        visitDuration=step_seconds * max(len(steps) - 1, 0), actions=len(steps), userId="jean.dupont",
        latitude="48.8566", longitude="2.3522", city="Paris", region="Île-de-France", regionCode="IDF",
        country="France", countryCode="fr", deviceType="Smartphone", referrerType="website",
        referrerName="www.etudiant.gouv.fr", referrerUrl="https://www.etudiant.gouv.fr/fr/apt?email=jean@x.fr#top",
        referrerKeyword="jean dupont", customVariables={"1": {"customVariableName1": "nom",
                                                               "customVariableValue1": "Dupont"}},
        dimension1="0612345678",
    )
    visit.update(fields)
    return visit


# ---------------------------------------------------------------------------- small WIF data sets
JOURNEYS = [
    [("action", "{site}/"), ("action", "{site}/student?link=ud{dep3}-apt-etudiants"),
     ("download", "{site}/static/pdf/checklist-etudiant.pdf"),
     ("outlink", "https://www.demarches-simplifiees.fr/commencer/ud{dep3}-apt-etudiants")],
    [("action", "{site}/"), ("action", "{site}/company?link=ud{dep3}-apt-etudiants-employeur"),
     ("outlink", "https://www.demarches-simplifiees.fr/commencer/ud{dep3}-apt-etudiants-employeur")],
    [("action", "{site}/"), ("action", "{site}/fail?departement=12")],
    [("action", "{site}/faq")],
    [("action", "{site}/qualify/student/qualify-1.html?user=etudiant"),
     ("action", "{site}/qualify/student/qualify-2.html?department={dep}"),
     ("outlink", " https://www.demarches-simplifiees.fr/commencer/ud{dep3}-apt-etudiants")],
    [("action", "{site}/?utm_source=newsletter#top"), ("action", "{site}/cgu")],
]


def wif_day(day: str, n: int, seed: int = 0, first_id: int = 1) -> list[dict]:
    """``n`` WIF visits of ``day`` in Live's shape, oldest first, deterministic for a seed."""
    import random

    rng = random.Random(f"{day}-{seed}")
    site = "https://workinfrance.beta.gouv.fr"
    out = []
    for i in range(n):
        dep = rng.choice(["75", "69", "13", "92"])
        steps = [(kind, url.format(site=site, dep=dep, dep3=dep.zfill(3)))
                 for kind, url in rng.choice(JOURNEYS)]
        minute_of_day = 7 * 60 + (i * (14 * 60)) // max(n, 1)
        out.append(wif_visit(first_id + i, day, minute_of_day // 60, steps, minute=minute_of_day % 60,
                             step_seconds=rng.randint(5, 90),
                             deviceType=rng.choice(["Desktop", "Smartphone", "Tablet"])))
    return out


def summary_of(visits: list[dict]) -> dict | list:
    """VisitsSummary.get metrics of one day's visits, as Matomo writes them (zero metrics omitted)."""
    if not visits:
        return []
    n_actions = [len(v["actionDetails"]) for v in visits]
    metrics = {"nb_uniq_visitors": len(visits), "nb_users": 0, "nb_visits": len(visits), "nb_actions": sum(n_actions),
               "bounce_count": sum(1 for a in n_actions if a == 1),
               "sum_visit_length": sum(v["visitDuration"] for v in visits), "max_actions": max(n_actions),
               "bounce_rate": f"{round(100 * sum(1 for a in n_actions if a == 1) / len(visits))}%"}
    return {k: v for k, v in metrics.items() if v != 0}


def reports_of(visits: list[dict]) -> dict[str, list]:
    """Flat Actions page reports of one day's visits (numbers partly as strings, as Matomo does)."""
    pages: dict[str, dict] = {}
    entry: dict[str, dict] = {}
    exit_: dict[str, dict] = {}
    for visit in visits:
        views = [a for a in visit["actionDetails"] if a["type"] == "action"]
        for action in views:
            label = "/" + action["url"].strip().split("/", 3)[3]
            row = pages.setdefault(action["url"], {"label": label, "url": action["url"], "nb_visits": 0,
                                                   "nb_hits": 0, "sum_time_spent": 0})
            row["nb_hits"] += 1
            row["sum_time_spent"] += action.get("timeSpent", 0)
        for url in {a["url"] for a in views}:
            pages[url]["nb_visits"] += 1
        if views:
            e = entry.setdefault(views[0]["url"], {"label": pages[views[0]["url"]]["label"], "url": views[0]["url"],
                                                   "entry_nb_visits": 0})
            e["entry_nb_visits"] += 1
            x = exit_.setdefault(views[-1]["url"], {"label": pages[views[-1]["url"]]["label"],
                                                    "url": views[-1]["url"], "exit_nb_visits": 0})
            x["exit_nb_visits"] += 1
    for rows in (entry, exit_):
        for row in rows.values():
            for key in ("entry_nb_visits", "exit_nb_visits"):
                if key in row:
                    row[key] = str(row[key])
    return {"Actions.getPageUrls": list(pages.values()), "Actions.getEntryPageUrls": list(entry.values()),
            "Actions.getExitPageUrls": list(exit_.values())}


def write_matomo_dir(root: Path, live: dict[str, list[dict]], purged: dict[str, int] | None = None,
                     empty: list[str] = ()) -> Path:
    """Write Matomo answers in the demo layout (docs/architecture.md) and return ``root``.

    ``live``: day → visits (a ``live/<day>.json`` file each); ``purged``: day → visits counted by the summary
    but absent from the raw log (no live file); ``empty``: days without any visit.
    """
    purged = purged or {}
    root = Path(root)
    (root / "live").mkdir(parents=True, exist_ok=True)
    days = sorted(set(live) | set(purged) | set(empty))
    summary, reports = {}, {m: {} for m in REPORT_METHODS}
    for day in days:
        visits = live.get(day, [])
        if visits:
            (root / "live" / f"{day}.json").write_text(json.dumps(visits), encoding="utf-8")
        summary[day] = summary_of(visits)
        if day in purged:
            summary[day] = {"nb_uniq_visitors": purged[day], "nb_visits": purged[day],
                            "nb_actions": 3 * purged[day], "sum_visit_length": 60 * purged[day], "max_actions": 5}
        for method, rows in reports_of(visits).items():
            reports[method][day] = rows
    (root / "VisitsSummary.get.json").write_text(json.dumps(summary), encoding="utf-8")
    for method, by_day in reports.items():
        (root / f"{method}.json").write_text(json.dumps(by_day), encoding="utf-8")
    return root
