"""Démarches Simplifiées GraphQL v2 answers (``demarche.dossiers`` pages) for the simulated dossiers.

Field names and champ types follow DS's published schema (``app/graphql/schema.graphql``): dossier dates are
ISO 8601 with the Paris offset, ``traitements`` list the state changes, champs carry ``id`` (base64 of
``Champ-<stable id>``), ``label``, ``__typename``, ``stringValue`` (DS's API rendering: '75 - Paris',
'13 septembre 2018', 'true') and the typed value of their type (``departement``/``pays`` objects, ``date``,
``value``; number and checkbox values aliased — ``integerNumber``, ``decimalNumber``, ``checked``,
``civilite`` — as a query selecting several champ types must). Pages hold 100 dossiers in DS's default
order (dépôt date), chained by DS's cursors (url-safe base64 of '<depose_at UTC>;<id>').

The form changes over time like WIF's did (three revisions): curly vs straight apostrophes, case, renamed
labels, the department and nationality becoming typed champs, and the personal champs (names, birth, e-mail,
phones, employer, titre de séjour number, free text) a real form holds — the loaders must drop them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import orjson

from etl.demo import fake
from etl.demo import model as m
from etl.demo.demarches import DemoDemarche, demarches
from etl.demo.dossiers import CATEGORIES, STATES, Dossiers
from etl.demo.journeys import departements
from etl.demo.period import Period, iso_offset

PAGE_SIZE = 100
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
DECISION_EVENT = {"accepte": "accepte", "refuse": "refuse", "sans_suite": "classe_sans_suite"}
# Labels by revision (None: the champ does not exist in that revision); "{who}" is the person the form is about.
LABELS = {
    "civilite": (None, "Civilité", "Civilité"),
    "nom": ("Nom", "Nom", "Nom {who}"),
    "prenom": ("Prénom", "Prénom", "Prénom {who}"),
    "naissance": ("Date et lieu de naissance", None, None),
    "date_naissance": (None, "Date de naissance", "Date de naissance"),
    "lieu_naissance": (None, "Lieu de naissance", "Lieu de naissance"),
    "email": ("Adresse e-mail", "E-mail", "E-mail"),
    "telephone": ("Téléphone", "Téléphone", "Téléphone"),
    "nationalite": ("Nationalité", "Nationalité", "Nationalité {who}"),
    "titre": ("Numéro du titre de séjour", "Numéro du titre de séjour", "Numéro du titre de séjour"),
    "departement": ("Département qui figure sur le titre de séjour", "Département qui figure sur le titre de séjour",
                    "Département figurant sur le titre de séjour"),
    "demande": ("Demande", "Demande", "Type de demande"),
    "contrat": ("Type de contrat", "Type de Contrat", "Type de contrat"),
    "debut": ("Date de début", "Date de début", "Date de début du contrat"),
    "fin": ("Date de fin", "Date de fin", "Date de fin du contrat"),
    "heures": ("Nombre d'heures", "Nombre d’heures", "Nombre d'heures par semaine"),
    "salaire": ("Salaire brut", "Salaire brut mensuel", "Salaire brut mensuel"),
    "emploi": ("Emploi occupé", "Emploi occupé", "Emploi occupé"),
    "employeur": ("Nom de l'employeur", "Nom de l’employeur", "Raison sociale de l'employeur"),
    "siret": (None, "SIRET de l'employeur", "SIRET de l'employeur"),
    "adresse": ("Adresse de l'employeur", "Adresse de l’employeur", "Adresse de l'employeur"),
    "email_employeur": ("E-mail de l'employeur", "E-mail de l’employeur", "E-mail de l'employeur"),
    "telephone_employeur": ("Téléphone de l'employeur", "Téléphone de l’employeur", "Téléphone de l'employeur"),
    "motivation": ("Motivation", "Motivation de la demande", "Motivation de la demande"),
    "attestation": ("J'atteste sur l'honneur l'exactitude des informations fournies",
                    "J’atteste sur l’honneur l’exactitude des informations fournies",
                    "J'atteste sur l'honneur l'exactitude des informations fournies"),
}
ANNOTATIONS = {"apt_debut": "Date de début APT", "apt_fin": "Date de fin APT", "commentaire": "Commentaire"}
STABLE = {key: k for k, key in enumerate([*LABELS, *ANNOTATIONS])}
WHO = {False: "de l'étudiant", True: "du salarié"}
COMMENTS = ("", "", "Pièce manquante : contrat signé", "Dossier complet", "Relance envoyée à l'employeur",
            "Titre de séjour expiré, attente du récépissé")


def champ_id(demarche_rank: int, key: str) -> str:
    """GraphQL id of a champ: base64 of 'Champ-<stable id>' (stable across revisions, as in DS)."""
    return base64.b64encode(f"Champ-{1_040_000 + demarche_rank * 64 + STABLE[key]}".encode()).decode()


def cursor(depose_epoch: int, number: int) -> str:
    """DS's cursor of a dossier in the dépôt-date order: url-safe base64 of '<depose_at UTC>;<id>'."""
    stamp = np.datetime_as_string(np.datetime64(int(depose_epoch), "s"), unit="s")
    micros = number * 7919 % 1_000_000
    return base64.urlsafe_b64encode(f"{stamp}.{micros:06d}000Z;{number}".encode()).decode().rstrip("=")


@cache
def french_date(iso: str) -> str:
    """DS's rendering of a date champ: '2018-09-01' → '01 septembre 2018'."""
    y, mo, d = iso.split("-")
    return f"{d} {MONTHS_FR[int(mo) - 1]} {y}"


ROW_FIELDS = ("number", "state", "revision", "instruction", "decision", "archived", "contract", "contract_label",
              "renewal", "nationality", "hours", "apt_invalid", "annotated", "pick")


class NodeBuilder:
    """Builds the GraphQL nodes of one démarche's dossiers."""

    def __init__(self, d: Dossiers, demarche: DemoDemarche, rank: int):
        self.d, self.demarche, self.rank = d, demarche, rank
        self.dep = departements()[demarche.dep_index]
        self.city = m.CITIES.get(self.dep.code, (self.dep.name,))[0]
        labels = {**LABELS, **{key: (label,) * 3 for key, label in ANNOTATIONS.items()}}
        who = WHO[demarche.employer]
        self.labels = {(key, rev): (label[rev].format(who=who) if label[rev] else None)
                       for key, label in labels.items() for rev in range(3)}
        self.ids = {key: champ_id(rank, key) for key in STABLE}
        self.groupe = {"number": 20_400 + rank, "label": demarche.slug}

    def champ(self, key: str, rev: int, typename: str, text: str | None, **typed) -> dict | None:
        label = self.labels[key, rev]
        if label is None:
            return None
        return {"id": self.ids[key], "label": label, "__typename": typename, "stringValue": text, **typed}

    def date_champ(self, key: str, rev: int, iso: str | None, text_form: bool = False, invalid: bool = False):
        """A date as DS renders it; in the 2018 form, annotations were free text (sometimes impossible)."""
        if not iso or iso == "NaT":
            return self.champ(key, rev, "TextChamp" if text_form else "DateChamp", "",
                              **({"value": None} if text_form else {"date": None}))
        if text_form:
            y, mo, dd = iso.split("-")
            text = f"{y}-{mo}-0{dd}" if invalid else (f"{dd}/{mo}/{y}" if int(dd) % 3 else iso)
            return self.champ(key, rev, "TextChamp", text, value=text)
        return self.champ(key, rev, "DateChamp", french_date(iso), date=iso)

    def rows(self, rows: np.ndarray) -> list[dict]:
        """Plain-Python values of the dossiers ``rows`` (timestamps already rendered), one dict each."""
        d = self.d
        columns = [getattr(d, f)[rows].tolist() for f in ROW_FIELDS]
        columns += [iso_offset(np.maximum(getattr(d, f)[rows], 0)) for f in ("depose", "instruction", "decision",
                                                                              "modified")]
        columns += [np.datetime_as_string(d.apt_start[rows]).tolist(), np.datetime_as_string(d.apt_end[rows]).tolist()]
        names = (*ROW_FIELDS, "depose_iso", "instruction_iso", "decision_iso", "modified_iso", "start", "end")
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]

    def node(self, r: dict) -> dict:
        state = STATES[r["state"]]
        rev = r["revision"]
        traitements = [{"state": "en_construction", "event": "depose", "dateTraitement": r["depose_iso"]}]
        if r["instruction"] >= 0:
            traitements.append({"state": "en_instruction", "event": "passe_en_instruction",
                                "dateTraitement": r["instruction_iso"]})
        if r["decision"] >= 0:
            traitements.append({"state": state, "event": DECISION_EVENT[state], "dateTraitement": r["decision_iso"]})
        person = self.person(r)
        return {
            "number": r["number"], "state": state, "archived": r["archived"],
            "dateDepot": r["depose_iso"], "datePassageEnConstruction": r["depose_iso"],
            "datePassageEnInstruction": r["instruction_iso"] if r["instruction"] >= 0 else None,
            "dateTraitement": r["decision_iso"] if r["decision"] >= 0 else None,
            "dateDerniereModification": r["modified_iso"],
            "groupeInstructeur": self.groupe,
            "traitements": traitements,
            "usager": {"email": person["employer_email"] if self.demarche.employer else person["email"]},
            "demandeur": {"__typename": "PersonnePhysique", "civilite": person["civilite"], "nom": person["nom"],
                          "prenom": person["prenom"], "dateDeNaissance": person["birth"] if rev else None},
            "champs": [c for c in self.champs(r, person) if c is not None],
            "annotations": [c for c in self.annotations(r) if c is not None],
        }

    def person(self, r: dict) -> dict:
        """Fake identity and employer of a dossier (deterministic from its draw)."""
        a = int(r["pick"] * 2**40)
        code, ds_name, _, _ = m.NATIONALITIES[r["nationality"]]
        group = fake.GROUP_OF.get(code, "other")
        first = fake.FIRST_NAMES[group][a % len(fake.FIRST_NAMES[group])]
        last = fake.LAST_NAMES[group][(a >> 8) % len(fake.LAST_NAMES[group])]
        employer = fake.EMPLOYERS[(a >> 16) % len(fake.EMPLOYERS)]
        cities = fake.BIRTH_CITIES.get(code, (ds_name,))
        jobs = fake.JOBS[CATEGORIES[r["contract"]]]
        return {
            "civilite": ("M", "Mme")[a % 2], "nom": last.upper(), "prenom": first,
            "birth": _birth(a >> 4), "birth_city": cities[(a >> 3) % len(cities)],
            "email": fake.email(first, last, fake.MAIL_DOMAINS[(a >> 5) % len(fake.MAIL_DOMAINS)], a),
            "phone": fake.phone(a >> 2), "titre": fake.titre_number(a >> 6, self.dep.code),
            "employer": employer, "employer_email": f"rh@{fake.mail_host(employer)}",
            "employer_phone": fake.phone(a >> 12), "siret": f"{(a >> 3) % 10**9:09d}{(a >> 7) % 10**5:05d}",
            "address": f"{1 + a % 140} {fake.STREETS[(a >> 9) % len(fake.STREETS)]}",
            "postcode": f"{self.dep.code.zfill(2)[:2]}{(a >> 11) % 10}{(a >> 13) % 10 * 10:02d}",
            "job": jobs[(a >> 10) % len(jobs)],
            "motivation": fake.MOTIVATIONS[(a >> 14) % len(fake.MOTIVATIONS)] if (a >> 20) % 5 else "",
        }

    def champs(self, r: dict, p: dict) -> list[dict | None]:
        dep, rev = self.dep, r["revision"]
        code, ds_name, upper, _ = m.NATIONALITIES[r["nationality"]]
        category = CATEGORIES[r["contract"]]
        label_i = r["contract_label"]
        contract = (m.CONTRACT_LABELS[category][rev][label_i] if label_i >= 0
                    else m.UNKNOWN_CONTRACTS[int(r["pick"] * 1000) % len(m.UNKNOWN_CONTRACTS)])
        demande = (("première demande", "renouvellement"), ("Première demande", "Renouvellement"),
                   ("Première demande", "Renouvellement"))[rev][int(r["renewal"])]
        dep_text = f"{dep.code} - {dep.name}"
        hours = str(r["hours"])
        pay = (900 + int(r["pick"] * 7000) % 700) if category in ("apprentissage", "professionnalisation") \
            else 1600 + int(r["pick"] * 9000) % 1400
        cents = int(r["pick"] * 10**6) % 100
        address = f"{p['address']}, {p['postcode']} {self.city}"
        motivation = p["motivation"].format(**p)
        salary_text = f"{pay // 1000} {pay % 1000:03d},{cents:02d} €".lstrip("0 ")
        nationality_text = upper if r["pick"] > 0.15 else ds_name
        birth_text = f"{_fr_numeric(p['birth'])} à {p['birth_city']}"
        return [
            self.champ("civilite", rev, "CiviliteChamp", ("M.", "Mme")[p["civilite"] == "Mme"], civilite=p["civilite"]),
            self.champ("nom", rev, "TextChamp", p["nom"], value=p["nom"]),
            self.champ("prenom", rev, "TextChamp", p["prenom"], value=p["prenom"]),
            self.champ("naissance", rev, "TextChamp", birth_text, value=birth_text),
            self.champ("date_naissance", rev, "DateChamp", french_date(p["birth"]), date=p["birth"]),
            self.champ("lieu_naissance", rev, "TextChamp", p["birth_city"], value=p["birth_city"]),
            self.champ("email", rev, "TextChamp", p["email"], value=p["email"]),
            self.champ("telephone", rev, "TextChamp", p["phone"], value=p["phone"]),
            (self.champ("nationalite", rev, "TextChamp", nationality_text, value=nationality_text) if rev == 0 else
             self.champ("nationalite", rev, "PaysChamp", ds_name, pays={"code": code, "name": ds_name})),
            self.champ("titre", rev, "TextChamp", p["titre"], value=p["titre"]),
            (self.champ("departement", rev, "DropDownListChamp", dep_text, value=dep_text) if rev == 0 else
             self.champ("departement", rev, "DepartementChamp", dep_text,
                        departement={"code": dep.code, "name": dep.name})),
            self.champ("demande", rev, "DropDownListChamp", demande, value=demande),
            self.champ("contrat", rev, "DropDownListChamp", contract, value=contract),
            self.date_champ("debut", rev, r["start"]),
            self.date_champ("fin", rev, r["end"]),
            self.champ("heures", rev, "IntegerNumberChamp", hours, integerNumber=hours),
            (self.champ("salaire", rev, "TextChamp", salary_text, value=salary_text) if rev == 0 else
             self.champ("salaire", rev, "DecimalNumberChamp", f"{pay}.{cents:02d}", decimalNumber=pay + cents / 100)),
            self.champ("emploi", rev, "TextChamp", p["job"], value=p["job"]),
            self.champ("employeur", rev, "TextChamp", p["employer"], value=p["employer"]),
            self.champ("siret", rev, "TextChamp", p["siret"], value=p["siret"]),
            (self.champ("adresse", rev, "AddressChamp", address, address={
                "label": address, "type": "housenumber", "streetAddress": p["address"],
                "streetNumber": p["address"].split()[0], "streetName": p["address"].split(" ", 1)[1],
                "postalCode": p["postcode"], "cityName": self.city, "cityCode": p["postcode"],
                "departmentName": dep.name, "departmentCode": dep.code,
            }) if rev == 2 else self.champ("adresse", rev, "TextChamp", address, value=address)),
            self.champ("email_employeur", rev, "TextChamp", p["employer_email"], value=p["employer_email"]),
            self.champ("telephone_employeur", rev, "TextChamp", p["employer_phone"], value=p["employer_phone"]),
            self.champ("motivation", rev, "TextChamp", motivation, value=motivation or None),
            self.champ("attestation", rev, "CheckboxChamp", "true", checked=True),
        ]

    def annotations(self, r: dict) -> list[dict | None]:
        rev = r["revision"]
        start, end = (r["start"], r["end"]) if r["annotated"] else (None, None)
        comment = COMMENTS[int(r["pick"] * 10**5) % len(COMMENTS)] if r["state"] >= 1 else ""
        return [
            self.date_champ("apt_debut", rev, start, text_form=rev == 0, invalid=r["apt_invalid"]),
            self.date_champ("apt_fin", rev, end, text_form=rev == 0),
            self.champ("commentaire", rev, "TextChamp", comment, value=comment or None),
        ]


def _birth(n: int) -> str:
    return _birth_day(n % (13 * 365))


@cache
def _birth_day(offset: int) -> str:
    return str(np.datetime64("1990-01-01") + offset)


def _fr_numeric(iso: str) -> str:
    y, mo, d = iso.split("-")
    return f"{d}/{mo}/{y}"


def pages(period: Period, d: Dossiers, k: int, rows: np.ndarray) -> Iterator[dict]:
    """The GraphQL answers paging through démarche ``k``'s dossiers (``rows`` in DS order), one at a time."""
    demarche = demarches(period)[k]
    builder = NodeBuilder(d, demarche, k)
    values = builder.rows(rows)
    n_pages = max(1, -(-len(rows) // PAGE_SIZE))
    for p in range(n_pages):
        chunk = values[p * PAGE_SIZE:(p + 1) * PAGE_SIZE]
        last = rows[min((p + 1) * PAGE_SIZE, len(rows)) - 1] if chunk else None
        info = {"hasNextPage": p < n_pages - 1,
                "endCursor": cursor(d.depose[last], int(d.number[last])) if chunk else None}
        yield {"data": {"demarche": {"number": demarche.number,
                                     "dossiers": {"pageInfo": info, "nodes": [builder.node(r) for r in chunk]}}}}


def write_demarche(folder: Path, period: Period, d: Dossiers, k: int, rows: np.ndarray) -> int:
    """Write ``<number>/page-NNNN.json`` for démarche ``k`` (``rows`` in DS order); returns the page count."""
    target = folder / str(demarches(period)[k].number)
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for count, page in enumerate(pages(period, d, k, rows), start=1):
        (target / f"page-{count:04d}.json").write_bytes(orjson.dumps(page))
    return count
