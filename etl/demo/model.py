"""Realism parameters of the demo data: rollout, seasonality, mixes and the label variants of real forms.

Everything the generator draws from lives here, so a product person can read (and argue with) the
assumptions in one place. Sources: WIF's public record (../shared/reference/wif-facts.md).
"""

from __future__ import annotations

SITE_URL = "https://workinfrance.beta.gouv.fr"
DS_URL = "https://www.demarches-simplifiees.fr"
SITE_ID = 1
MONTHS = 36
OLD_SITE_MONTHS = 8  # the 2018-19 static site (/qualify/…) before the 2019-21 site

# Rollout order (wif-facts.md). Paris opens at month 0, Rhône at month 6, then one about every 0.6 month.
ROLLOUT = ["75", "69", "45", "77", "95", "13", "92", "76", "91", "78", "54", "88", "57", "67", "94", "10", "93",
           "42", "55", "35", "52", "63", "68", "25", "33", "51", "62", "59", "02", "80", "60", "36", "74", "21"]
FIRST_MONTHS = {"75": 0.0, "69": 6.0}
ROLLOUT_START, ROLLOUT_STEP = 8.0, 0.55
# Relative demand (foreign students and apprentices), Paris first.
WEIGHTS = {"75": 12.0, "69": 5.0, "13": 4.0, "92": 3.5, "93": 2.5, "94": 2.5, "59": 3.0, "33": 3.0, "67": 2.5,
           "35": 2.0, "91": 2.0, "78": 1.8, "95": 1.6, "77": 1.6, "76": 1.5, "54": 1.5, "63": 1.3, "42": 1.0,
           "38": 2.5, "31": 3.0, "34": 2.5, "44": 2.0, "06": 1.5}
DEFAULT_WEIGHT = 0.8
RAMP_DAYS = 60  # a newly opened department reaches its full volume after about two months

SEASON = {1: 1.0, 2: 0.95, 3: 0.95, 4: 0.85, 5: 0.8, 6: 0.9, 7: 0.9, 8: 0.55, 9: 1.7, 10: 1.5, 11: 1.1, 12: 0.7}
WEEKDAY = [1.15, 1.1, 1.05, 1.0, 0.95, 0.35, 0.25]
HOURS = [0.1, 0.05, 0.03, 0.03, 0.05, 0.2, 0.5, 1.2, 2.6, 3.4, 3.6, 3.3, 2.2, 2.7, 3.3, 3.3, 3.0, 2.6, 2.0,
         1.6, 1.5, 1.3, 0.9, 0.4]

AUDIENCE_SHARE_STUDENT = 0.6
# Processing (working-day-ish calendar days, log-normal): construction then instruction stage.
CONSTRUCTION_MEDIAN_DAYS, CONSTRUCTION_SIGMA = 1.2, 0.9
INSTRUCTION_MEDIAN_DAYS, INSTRUCTION_SIGMA = 4.0, 0.75
REFUSAL_BASE, SANS_SUITE_BASE = 0.08, 0.05
FORGOTTEN_SHARE = 0.004  # dossiers nobody ever opened

CONTRACTS = {  # category: (share, refusal factor, APT length in days (median), label variants)
    "apprentissage": (0.34, 0.7, 365, ["contrat d'apprentissage", "Contrat d’apprentissage", "Contrat d'apprentissage",
                                       "apprentissage", "CONTRAT D'APPRENTISSAGE"]),
    "professionnalisation": (0.2, 0.8, 300, ["contrat de professionnalisation", "Contrat de professionnalisation",
                                             "Contrat de pro", "contrat de professionalisation"]),
    "cdd": (0.14, 1.3, 75, ["contrat à durée déterminée (CDD)", "CDD", "Contrat à durée déterminée"]),
    "cdi": (0.07, 1.6, 365, ["contrat à durée indéterminée (CDI)", "CDI"]),
    "doctorat": (0.09, 0.4, 365, ["CIFRE", "Doctorant contractuel", "doctorat (CIFRE)", "Contrat doctoral"]),
    "ater": (0.03, 0.5, 300, ["ATER", "Attaché temporaire d'enseignement et de recherche (ATER)"]),
    "interne": (0.04, 0.5, 180, ["Interne en médecine", "interne en pharmacie", "Interne en médecine / pharmacie"]),
    "autre": (0.09, 2.0, 60, ["Autre : job étudiant", "Stage", "Vacataire", "autre"]),
}
NATIONALITIES = [("MA", "Maroc", 0.18), ("DZ", "Algérie", 0.16), ("TN", "Tunisie", 0.1), ("CN", "Chine", 0.08),
                 ("SN", "Sénégal", 0.07), ("CI", "Côte d'Ivoire", 0.06), ("CM", "Cameroun", 0.06),
                 ("IN", "Inde", 0.04), ("LB", "Liban", 0.04), ("VN", "Viêt Nam", 0.03), ("BR", "Brésil", 0.03),
                 ("CO", "Colombie", 0.03), ("RU", "Russie", 0.02), ("TR", "Turquie", 0.02), ("MG", "Madagascar", 0.02),
                 ("GA", "Gabon", 0.02), ("BJ", "Bénin", 0.02), ("US", "États-Unis", 0.01), ("MX", "Mexique", 0.01)]

# Champ labels drift over time (apostrophes, case, renamings). (since month, label)
LABELS = {
    "departement": [(0, "Département qui figure sur le titre de séjour"),
                    (14, "Département figurant sur le titre de séjour")],
    "contract": [(0, "Type de contrat"), (20, "Type du contrat")],
    "demande": [(0, "Demande"), (18, "Première demande ou renouvellement")],
    "nationality": [(0, "Nationalité"), (12, "Nationalité de l'étudiant"), (24, "Nationalité de l’étudiant")],
    "apt_start": [(0, "Date de début"), (16, "Date de début du contrat")],
    "apt_end": [(0, "Date de fin"), (16, "Date de fin du contrat")],
    "hours": [(0, "Nombre d'heures"), (22, "Nombre d’heures")],
}
FIRST_NAMES = ["Amina", "Yassine", "Wei", "Fatou", "Karim", "Mei", "Moussa", "Leila", "Arjun", "Sofia", "Omar",
               "Ines", "Thanh", "Ana", "Youssef", "Awa", "Mehdi", "Lina", "Kofi", "Sara"]
LAST_NAMES = ["Benali", "Zhang", "Diop", "Haddad", "Nguyen", "Traoré", "Kumar", "Silva", "El Amrani", "Mbarga",
              "Ouedraogo", "Rossi", "Boukhari", "Chen", "Mensah", "Kone", "Rahmani", "Petrov", "Gomez", "Sy"]
EMPLOYERS = ["Boulangerie du Marais", "Société Générale de Services", "Laboratoire Pasteur-Lyon",
             "Hôtel Bellevue", "Cabinet Durand Conseil", "Université Paris Cité", "CHU de Lille",
             "Restaurant Le Zinc", "Atelier Numérique"]
CITIES = ["Paris", "Lyon", "Marseille", "Lille", "Bordeaux", "Nantes", "Strasbourg", "Rennes", "Orléans", "Nancy"]

# Matomo-side mixes.
# (deviceType, brand, model, os name, os code, os version, browser name, code, version, family, resolution, share)
DEVICES = [
    ("Desktop", "", "", "Windows", "WIN", "10", "Chrome", "CH", "120.0", "Blink", "1920x1080", 0.30),
    ("Desktop", "", "", "Windows", "WIN", "11", "Microsoft Edge", "PS", "121.0", "Blink", "1536x864", 0.12),
    ("Desktop", "", "", "Windows", "WIN", "10", "Firefox", "FF", "122.0", "Gecko", "1366x768", 0.07),
    ("Desktop", "Apple", "", "Mac", "MAC", "10.15", "Safari", "SF", "17.2", "WebKit", "1440x900", 0.08),
    ("Desktop", "", "", "GNU/Linux", "LIN", "", "Firefox", "FF", "121.0", "Gecko", "1920x1080", 0.03),
    ("Smartphone", "Samsung", "Galaxy A52", "Android", "AND", "13", "Chrome Mobile", "CM", "120.0", "Blink",
     "412x915", 0.18),
    ("Smartphone", "Apple", "iPhone", "iOS", "IOS", "17.1", "Mobile Safari", "MF", "17.1", "WebKit", "390x844", 0.14),
    ("Smartphone", "Xiaomi", "Redmi Note 12", "Android", "AND", "13", "Chrome Mobile", "CM", "119.0", "Blink",
     "393x873", 0.03),
    ("Tablet", "Apple", "iPad", "iOS", "IPA", "17.1", "Mobile Safari", "MF", "17.1", "WebKit", "820x1180", 0.05),
]
REFERRERS = [  # (type, type name, name, url, share)
    ("direct", "Direct Entry", "", "", 0.45),
    ("search", "Search Engines", "Google", "https://www.google.com/search?q=autorisation+provisoire+de+travail", 0.29),
    ("search", "Search Engines", "Bing", "https://www.bing.com/search?q=apt+etudiant+etranger", 0.03),
    ("search", "Search Engines", "Qwant", "https://www.qwant.com/?q=work+in+france", 0.02),
    ("website", "Websites", "www.service-public.fr",
     "https://www.service-public.fr/particuliers/vosdroits/F2713?utm_source=newsletter", 0.09),
    ("website", "Websites", "www.campusfrance.org",
     "https://www.campusfrance.org/fr/travailler-en-france-etudiant", 0.05),
    ("website", "Websites", "etudiant.gouv.fr", "https://www.etudiant.gouv.fr/fr/etudiants-etrangers", 0.03),
    ("website", "Websites", "mail.google.com", "https://mail.google.com/mail/u/0/#inbox/FMfcgz", 0.02),
    ("social", "Social Networks", "LinkedIn", "https://www.linkedin.com/", 0.015),
    ("social", "Social Networks", "Facebook", "https://m.facebook.com/", 0.005),
]
ABROAD = [("ma", "Morocco", "Africa", "afr"), ("dz", "Algeria", "Africa", "afr"), ("tn", "Tunisia", "Africa", "afr"),
          ("sn", "Senegal", "Africa", "afr"), ("cn", "China", "Asia", "asi"), ("be", "Belgium", "Europe", "eur")]
ABROAD_SHARE = 0.07
REGION_NAMES = {"IDF": "Île-de-France", "ARA": "Auvergne-Rhône-Alpes", "HDF": "Hauts-de-France",
                "PAC": "Provence-Alpes-Côte d'Azur", "NAQ": "Nouvelle-Aquitaine", "OCC": "Occitanie",
                "GES": "Grand Est", "BRE": "Bretagne", "NOR": "Normandie", "PDL": "Pays de la Loire",
                "CVL": "Centre-Val de Loire", "BFC": "Bourgogne-Franche-Comté", "COR": "Corse"}

# Visit kinds: (share of non-departure visits, description). Departure visits are drawn from the dossiers.
VISIT_KINDS = {"bounce": 0.33, "checklist_exit": 0.34, "fail": 0.13, "info": 0.2}
DEPARTURES_PER_DOSSIER = 1.4
TIME_TO_DS_MEDIAN_S, TIME_TO_DS_SIGMA = 300.0, 1.0  # ~75 % under ten minutes
PURGED_DAYS = (120, 10)  # raw log purged for 10 days starting 120 days after the start
OUTAGE_DAYS = (400, 2)   # tracking outage: no visit recorded at all
DOCUMENTS = ["liste-des-pieces-etudiant.pdf", "liste-des-pieces-employeur.pdf", "modele-attestation-employeur.pdf",
             "notice-apt.pdf"]
INFO_PAGES = [("/faq", "Questions fréquentes - Work in France", 0.55), ("/cgu", "Conditions générales d'utilisation",
              0.08), ("/stats", "Statistiques - Work in France", 0.1), ("/validitycheck", "Vérifier une autorisation",
              0.17), ("/introduction", "Introduction - Work in France", 0.1)]
