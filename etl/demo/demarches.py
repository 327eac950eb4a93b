"""The DS démarches of the demo: two per department of the rollout (students, employers).

Numbers grow with the opening date like real DS procedure numbers; slugs are those of the original site
(``ud075-apt-etudiants``, ``ud075-apt-etudiants-employeur``, with its ``-v0`` oddities).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from etl.demo import model as m
from etl.demo.journeys import departements, opening_days
from etl.demo.period import Period

AUDIENCES = ("etudiant", "employeur")


@dataclass(frozen=True)
class DemoDemarche:
    number: int
    dep_index: int           # index into journeys.departements()
    departement: str
    employer: bool
    slug: str
    title: str
    opens: int               # day index of the opening (may be after the period's end)

    @property
    def audience(self) -> str:
        return AUDIENCES[self.employer]


def slug(code: str, employer: bool) -> str:
    if code in m.SLUG_OVERRIDES:
        return m.SLUG_OVERRIDES[code][employer]
    return f"ud{int(code):03d}-apt-etudiants" + ("-employeur" if employer else "")


@cache
def demarches(period: Period) -> tuple[DemoDemarche, ...]:
    """The démarches in number order (opening order, student then employer)."""
    deps = departements()
    codes = [d.code for d in deps]
    opening = opening_days(period)
    out = []
    for rank, (code, _, _) in enumerate(m.ROLLOUT):
        i = codes.index(code)
        number = m.FIRST_DEMARCHE_NUMBER + 2 * rank + int(max(opening[i], 0) * 9.7)
        who = ("étudiants étrangers", "employeurs d'étudiants étrangers")
        for employer in (False, True):
            out.append(DemoDemarche(
                number=number + employer, dep_index=i, departement=code, employer=employer,
                slug=slug(code, employer), opens=int(opening[i]),
                title=f"Autorisation provisoire de travail – {who[employer]} – {deps[i].name} ({code})",
            ))
    return tuple(out)


def lookup(period: Period) -> np.ndarray:
    """[department index, employer] → position in :func:`demarches` (-1 where the department has none)."""
    table = np.full((len(departements()), 2), -1, dtype=np.int64)
    for k, d in enumerate(demarches(period)):
        table[d.dep_index, int(d.employer)] = k
    return table
