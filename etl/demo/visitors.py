"""Who the visitors are: device, screen, place, language, referrer, IP — drawn per visitor or per visit.

A returning visit keeps the device, place and language of the visitor's first visit (same visitorId);
its referrer is mostly direct. Categorical draws are kept as small integer codes; the Matomo blocks they
stand for are built (and cached) by :mod:`etl.demo.matomo_payloads`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.demo import model as m
from etl.demo.journeys import Journeys, choice, departements, weights

FRENCH_REGIONS = tuple(sorted({d.region for d in departements() if not d.region.isdigit()}))


@dataclass
class Visitors:
    """Per-visit codes (aligned with ``Journeys`` visits)."""

    device: np.ndarray        # index into model.DEVICES
    os_pick: np.ndarray       # uniform draw choosing the OS / browser version among those of the time
    resolution: np.ndarray    # index into model.RESOLUTIONS[device type]
    abroad: np.ndarray        # index into model.ABROAD, -1 in France
    region: np.ndarray        # index into FRENCH_REGIONS (France), -1 abroad / DOM region by department
    with_city: np.ndarray     # bool: GeoIP knows the city
    language: np.ndarray      # index into the language table of the visit (see language_codes)
    referrer: np.ndarray      # index into model.REFERRERS
    ref_pick: np.ndarray      # uniform draw choosing the referrer URL / keyword variant
    ipv4: np.ndarray          # (visits, 2) first two bytes; ipv4[:, 0] < 0 → IPv6 (prefix index, group)
    visitor_id: np.ndarray    # uint64 per visit (same for a visitor)
    fingerprint: np.ndarray   # uint64 per visit
    campaign_content: np.ndarray  # index into model.CAMPAIGN_CONTENT


def language_codes() -> tuple[str, ...]:
    """All browser languages a visit can have: France's mix then one per foreign country."""
    return tuple(code for code, _ in m.LANGUAGES_FR) + tuple(m.LANGUAGES_ABROAD[a[0]] for a in m.ABROAD)


def draw(rng: np.random.Generator, journeys: Journeys) -> Visitors:
    """Codes for every visit of ``journeys``."""
    n_visitors = int(journeys.visitor.max()) + 1 if journeys.n_visits else 0
    who = journeys.visitor
    n = journeys.n_visits

    device_v = choice(rng, weights(m.DEVICES), n_visitors)
    os_pick_v = rng.random(n_visitors)
    res_pick_v = rng.random(n_visitors)
    abroad_v = np.where(rng.random(n_visitors) < m.ABROAD_SHARE, choice(rng, weights(m.ABROAD), n_visitors), -1)
    lang_fr_v = choice(rng, weights(m.LANGUAGES_FR), n_visitors)
    city_v = rng.random(n_visitors) < 0.8
    home_v = rng.random(n_visitors) < m.HOME_REGION_SHARE
    other_region_v = rng.integers(0, len(FRENCH_REGIONS), n_visitors)
    ipv4_v = np.stack([np.array(m.IPV4_PREFIXES)[rng.integers(0, len(m.IPV4_PREFIXES), n_visitors)],
                       rng.integers(0, 256, n_visitors)], axis=1)
    ipv6_v = rng.random(n_visitors) < m.IPV6_SHARE
    ipv4_v[ipv6_v, 0] = -1 - rng.integers(0, len(m.IPV6_PREFIXES), int(ipv6_v.sum()))
    ipv4_v[ipv6_v, 1] = rng.integers(0, 65536, int(ipv6_v.sum()))
    visitor_id_v = rng.integers(0, 2**64, n_visitors, dtype=np.uint64)

    device = device_v[who]
    dev_type = np.array([d[0] for d in m.DEVICES])[device]
    resolution = np.zeros(n, dtype=np.int64)
    for kind, table in m.RESOLUTIONS.items():
        sel = dev_type == kind
        cdf = np.cumsum(weights(table))
        resolution[sel] = np.minimum(np.searchsorted(cdf, res_pick_v[who][sel], side="right"), len(table) - 1)

    abroad = abroad_v[who]
    dep_region = np.array([FRENCH_REGIONS.index(d.region) if d.region in FRENCH_REGIONS else -1
                           for d in departements()])[journeys.dep]
    region = np.where(home_v[who] | (dep_region < 0), dep_region, other_region_v[who])
    region = np.where(abroad >= 0, -1, region)
    language = np.where(abroad >= 0, len(m.LANGUAGES_FR) + np.maximum(abroad, 0), lang_fr_v[who])

    # IP: a returning visitor is often on another network (phone, office)
    new_ip = (journeys.count > 1) & (rng.random(n) < 0.3)
    ipv4 = ipv4_v[who].copy()
    ipv4[new_ip, 1] = rng.integers(0, 256, int(new_ip.sum()))

    returning = journeys.parent >= 0
    referrer = choice(rng, weights(m.REFERRERS), n)
    direct = next(i for i, r in enumerate(m.REFERRERS) if r[0] == "direct")
    referrer = np.where(returning & (rng.random(n) < m.RETURN_DIRECT_SHARE), direct, referrer)
    return Visitors(
        device=device, os_pick=os_pick_v[who], resolution=resolution, abroad=abroad, region=region,
        with_city=city_v[who] & (home_v[who] | (abroad >= 0)), language=language, referrer=referrer,
        ref_pick=rng.random(n), ipv4=ipv4, visitor_id=visitor_id_v[who],
        fingerprint=rng.integers(0, 2**64, n, dtype=np.uint64),
        campaign_content=rng.integers(0, len(m.CAMPAIGN_CONTENT), n),
    )
