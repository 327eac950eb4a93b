"""Raw Matomo URL → WIF page key, department, audience and DS démarche slug.

The mapping is data: ``reference/url_rules.csv``, read top to bottom, first match wins. Columns:

``kind``
    ``url`` — matched on the URL of an action; ``slug`` — matched on a DS démarche slug (from a
    ``/commencer/<slug>`` outlink or a ``?link=<slug>`` parameter); ``user`` — matched on the value of the
    old static site's ``?user=`` parameter.
``types``
    (``url`` rules) action types the rule applies to, space separated (``action event``, ``outlink``,
    ``download``) or ``*``.
``host``
    (``url`` rules) regular expression the host must fully match; empty = any host. Page rules leave it
    empty on purpose: Matomo only records WIF's own pages for the site, whatever host served them
    (work-in-france.beta.gouv.fr, workinfrance.beta.gouv.fr, work-in-france.fabrique.social.gouv.fr…).
``pattern``
    regular expression fully matching the lower-case path without trailing slash (``url``), the slug
    (``slug``) or the value (``user``). Named groups ``dep`` (department) and ``slug`` are picked up.
``page_key``, ``audience``
    what a match gives (``ref_pages.page_key``; ``etudiant`` | ``employeur``); empty = nothing.

Department: from the path (``dep`` group), else the ``departement``/``department`` parameter, else the
slug. Audience: from the path rule, else the ``user`` parameter, else the slug. ``ds_slug`` is set for DS
outlinks only. Every URL is first cut down by ``etl.privacy.sanitize_url``; ``classify`` is memoised and
``classify_many`` works once per distinct (type, URL) pair, so 25 M actions cost a few hundred look-ups.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd

from etl.privacy import normalize_departement, sanitize_url

RULES_PATH = Path(__file__).with_name("reference") / "url_rules.csv"
ACTION_TYPES = ("action", "outlink", "download", "event")
INFO_COLUMNS = ("url", "page_key", "departement", "audience", "ds_slug")


@dataclass(frozen=True)
class Rule:
    kind: str
    types: frozenset[str]
    host: re.Pattern | None
    pattern: re.Pattern
    page_key: str | None
    audience: str | None

    def applies(self, action_type: str, host: str) -> bool:
        return ("*" in self.types or action_type in self.types) and (
            self.host is None or bool(self.host.fullmatch(host))
        )


@dataclass(frozen=True)
class UrlInfo:
    """What a URL says about the journey."""

    url: str | None          # sanitised URL (etl.privacy.sanitize_url)
    page_key: str            # ref_pages.page_key, 'depart_ds' for DS outlinks, 'document' for downloads
    departement: str | None
    audience: str | None     # 'etudiant' | 'employeur'
    ds_slug: str | None      # DS outlinks only


@cache
def load_rules(path: Path = RULES_PATH) -> tuple[Rule, ...]:
    """The rules of ``url_rules.csv`` in file order."""
    rules = []
    with Path(path).open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            if None in row or row["kind"] not in ("url", "slug", "user"):
                raise ValueError(f"{path}:{line}: règle mal formée (7 colonnes, kind url|slug|user)")
            rules.append(Rule(
                kind=row["kind"],
                types=frozenset((row["types"] or "*").split()),
                host=re.compile(row["host"], re.IGNORECASE) if row["host"] else None,
                pattern=re.compile(row["pattern"], re.IGNORECASE),
                page_key=row["page_key"] or None,
                audience=row["audience"] or None,
            ))
    return tuple(rules)


def _first(kind: str, text: str, action_type: str = "action", host: str = "") -> tuple[Rule, re.Match] | None:
    for rule in load_rules():
        if rule.kind == kind and (kind != "url" or rule.applies(action_type, host)):
            match = rule.pattern.fullmatch(text)
            if match:
                return rule, match
    return None


@lru_cache(maxsize=4096)
def classify_slug(slug: str) -> tuple[str | None, str | None]:
    """(department, audience) of a DS démarche slug such as ``ud075-apt-etudiants-employeur``."""
    hit = _first("slug", slug.lower())
    if hit is None:
        return None, None
    rule, match = hit
    dep = match.groupdict().get("dep")
    return (normalize_departement(dep) if dep else None), rule.audience


def classify_user(value: str) -> str | None:
    """Audience of the old static site's ``?user=`` value (``etudiant`` / ``entreprise``)."""
    hit = _first("user", value.strip().lower())
    return hit[0].audience if hit else None


def _group_of(action_type: str | None) -> str:
    return action_type if action_type in ("outlink", "download") else "action"


@lru_cache(maxsize=200_000)
def classify(url: str | None, action_type: str = "action") -> UrlInfo:
    """Sanitise ``url`` and map it to the journey (see the module docstring)."""
    return _classify_clean(sanitize_url(url), _group_of(action_type))


@lru_cache(maxsize=20_000)
def _classify_clean(clean: str | None, group: str) -> UrlInfo:
    """``classify`` of a sanitised URL: memoised apart, since many raw URLs (differing only by what users typed in
    their query strings) are cut down to the same few hundred sanitised ones."""
    if clean is None or not (clean.startswith("/") or "://" in clean):
        page = {"outlink": "autre", "download": "document"}.get(group, "autre")
        return UrlInfo(clean, page, None, None, None)
    parts = urlsplit(clean)
    path = parts.path.lower()
    if len(path) > 1:
        path = path.rstrip("/")
    hit = _first("url", path, group, parts.hostname or "")
    rule, match = hit if hit else (None, None)
    groups = match.groupdict() if match else {}
    params = {k: v for k, v in parse_qsl(parts.query)}

    slug = groups.get("slug") or params.get("link")
    slug_dep, slug_audience = classify_slug(slug) if slug else (None, None)
    dep = normalize_departement(groups.get("dep")) if groups.get("dep") else None
    dep = dep or normalize_departement(params.get("departement") or params.get("department")) or slug_dep
    audience = (rule.audience if rule else None) or (
        classify_user(params["user"]) if "user" in params else None) or slug_audience
    page_key = rule.page_key if rule and rule.page_key else "autre"
    return UrlInfo(clean, page_key, dep, audience, groups.get("slug") if page_key == "depart_ds" else None)


def classify_many(urls, action_types=None) -> pd.DataFrame:
    """``classify`` over two aligned columns, once per distinct (type group, URL) pair.

    Returns a frame with the columns of ``INFO_COLUMNS`` (strings), aligned with the input; each column is the
    distinct answers taken by code, so no per-row Python string is made.
    """
    urls = pd.Series(urls, dtype=object).reset_index(drop=True)
    if action_types is None:
        groups = np.zeros(len(urls), dtype=np.int64)
    else:
        types = pd.Series(action_types, dtype=object).reset_index(drop=True)
        groups = np.select([types.eq("outlink").to_numpy(), types.eq("download").to_numpy()], [1, 2], 0)
    url_codes, url_uniques = pd.factorize(urls, use_na_sentinel=True)
    url_codes = np.where(url_codes < 0, len(url_uniques), url_codes)   # missing URL → one extra slot
    pair_codes, pair_uniques = pd.factorize(url_codes.astype(np.int64) * 3 + groups)
    names = ("action", "outlink", "download")
    url_values = list(url_uniques) + [None]
    infos = [classify(url_values[int(p) // 3], names[int(p) % 3]) for p in pair_uniques]
    return pd.DataFrame({col: pd.array([getattr(i, col) for i in infos], dtype="str").take(pair_codes)
                         for col in INFO_COLUMNS})
