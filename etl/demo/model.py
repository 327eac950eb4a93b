"""Realism parameters of the demo generator: rollout, volumes, seasonality, journeys, audience, dossiers.

Everything a product person might want to tune lives here, as plain data. Probabilities are relative
weights (normalised where used). Months are counted from the first day of the generated range ("month 0").
Sources: ``../shared/reference/wif-facts.md`` (timeline, URLs, form labels), the public code of the
original WIF site (démarche slugs, PDF names, button label) and Matomo / DS source code (field shapes).
"""

from __future__ import annotations

# ---------------------------------------------------------------------------- volumes
VISITS_PER_SCALE = 50_000          # Live visits at scale 1 (the ~14k DS clicks give ~10k dossiers)
DOSSIERS_PER_CLICK = 1 / 1.4       # DS outlink clicks ≈ 1.4 × dossiers déposés (not every departure files)
MONTHS = 36
SITE_ID = 1
SITE_URL = "https://workinfrance.beta.gouv.fr"
SITE_NAME = "Work in France"
DS_URL = "https://www.demarches-simplifiees.fr"
STATIC_SITE_MONTHS = 8             # the 2018-19 static site (/qualify/…), then the 2019-21 Next.js site
# (month, weekday 0=Monday, days): the block starts on the first such weekday of that month of the period
PURGED_BLOCK = (1, 0, 10)          # raw visit log deleted (Live answers nothing), reports kept
OUTAGE_BLOCK = (20, 1, 2)          # tracking down: Matomo saw nothing that Tuesday and Wednesday

# ---------------------------------------------------------------------------- rollout
# (department, month of opening, day of the month offset). Paris first, Rhône six months later, then
# batches of one to three departments (about 35 open by month 24).
ROLLOUT = (
    ("75", 0, 0), ("69", 6, 3), ("45", 7, 8), ("77", 7, 22), ("95", 8, 5), ("13", 8, 19), ("92", 9, 2),
    ("76", 9, 23), ("91", 10, 7), ("78", 10, 21), ("54", 11, 4), ("88", 11, 18), ("57", 12, 1),
    ("67", 12, 15), ("94", 13, 6), ("10", 13, 20), ("93", 14, 3), ("42", 14, 24), ("55", 15, 9),
    ("35", 15, 23), ("52", 16, 6), ("63", 16, 20), ("68", 17, 4), ("25", 17, 18), ("33", 18, 2),
    ("51", 18, 16), ("62", 19, 7), ("59", 19, 21), ("02", 20, 11), ("80", 21, 1), ("60", 21, 15),
    ("36", 22, 6), ("74", 23, 3), ("21", 24, 9), ("64", 25, 14), ("38", 27, 5),
)
# Slugs of the original site (constants/departements.js); the default is udNNN-apt-etudiants[-employeur].
SLUG_OVERRIDES = {
    "92": ("ud092-apt-etudiants-v0", "ud092-apt-etudiants-employeur-v0"),
    "13": ("ud013-apt-etudiants-v0", "ud013-apt-etudiants-employeur-v0"),
    "91": ("ud091-apt-etudiants-v0", "ud091-apt-etudiants-employeur-v0"),
    "76": ("ud076-apt-etudiants-employeur-v0", "ud076-apt-etudiants-employeur-emp-v0"),
}
FIRST_DEMARCHE_NUMBER = 5108
RAMP_DAYS = 50                     # awareness of a newly opened department grows over ~2 months
UNCOVERED_DEMAND = 0.3             # visitors of departments not yet open (they land on the fail page)

# Student population proxy (thousands) driving the demand per department; others weigh DEFAULT_DEMAND.
DEMAND = {
    "75": 340, "69": 165, "59": 120, "31": 115, "13": 110, "33": 105, "34": 80, "35": 70, "67": 65, "44": 65,
    "38": 65, "92": 60, "54": 50, "94": 45, "93": 45, "91": 45, "76": 45, "63": 42, "06": 40, "49": 38,
    "78": 35, "21": 35, "95": 32, "37": 32, "14": 32, "86": 30, "51": 30, "77": 28, "29": 28, "25": 26,
    "80": 25, "57": 25, "45": 24, "42": 22, "62": 22, "87": 20, "68": 20, "64": 20, "30": 15, "83": 15,
    "60": 14, "72": 14, "66": 12, "84": 12, "74": 12, "17": 12, "56": 10, "73": 9, "02": 8, "10": 8,
    "26": 7, "88": 6, "974": 6, "22": 6, "71": 6, "18": 6, "90": 5, "81": 5, "79": 5, "41": 5, "28": 5,
    "27": 5, "50": 5, "36": 4, "55": 4, "01": 4, "03": 4, "08": 4, "89": 4, "11": 4, "65": 4, "40": 4,
    "47": 4, "24": 4, "53": 4, "85": 4, "52": 3,
}
DEFAULT_DEMAND = 2.5

# ---------------------------------------------------------------------------- seasonality
MONTH_FACTOR = (0.95, 0.9, 0.95, 0.9, 0.85, 1.0, 0.95, 0.62, 1.55, 1.45, 1.1, 0.72)  # Jan..Dec
WEEKDAY_FACTOR = (1.12, 1.1, 1.05, 1.02, 0.9, 0.33, 0.28)                         # Mon..Sun
HOLIDAY_FACTOR = 0.4
CHRISTMAS_FACTOR = 0.5             # 24 Dec – 1 Jan
GROWTH = (0.8, 1.25)               # overall adoption from the first to the last day
# Hour of the first page view (local time), weekdays and weekends.
HOURS_WEEKDAY = (1, 0.5, 0.3, 0.2, 0.3, 0.8, 2, 5, 9, 13, 15, 14, 10, 11, 14, 15, 14, 12, 9, 8, 8, 7, 5, 2.5)
HOURS_WEEKEND = (2, 1, 0.6, 0.4, 0.4, 0.6, 1.5, 3, 6, 9, 11, 11, 10, 10, 11, 11, 11, 10, 9, 9, 9, 8, 6, 3.5)
OFFICE_HOURS = (9, 10, 10, 11, 11, 12, 14, 14, 15, 15, 16, 16, 17)  # instructors' working hours

# ---------------------------------------------------------------------------- journeys
# Page kinds (page views), link kinds (downloads / outlinks) and END. QUALIFY is the 2018-19 department
# choice page; CHECKLIST resolves to FAIL when the visitor's department is not open yet.
KINDS = ("HOME", "QUALIFY", "CHECKLIST", "FAIL", "FAQ", "CGU", "STATS", "VALIDITY", "INTRO",
         "DL", "DS", "OUT", "END")
K = {name: i for i, name in enumerate(KINDS)}
PAGE_KINDS = tuple(K[k] for k in KINDS[:9])
MAX_STEPS = 18
EMPLOYER_SHARE = 0.42

# Entry page of a first visit, per site generation.
ENTRY_STATIC = {"HOME": 80, "QUALIFY": 4, "CHECKLIST": 8, "FAIL": 1, "FAQ": 5, "CGU": 1}
ENTRY_NEXT = {"HOME": 64, "CHECKLIST": 14, "FAIL": 2.5, "FAQ": 7, "STATS": 3, "VALIDITY": 6, "INTRO": 2.5,
              "CGU": 0.5}
ENTRY_RETURN = {"HOME": 45, "CHECKLIST": 50, "FAQ": 5}
# Next step after each kind: {from: {to: weight}}; student and employer rows differ on the checklist
# (employers drop off more there). "_e" rows are the employer variants.
TRANSITIONS = {
    "HOME": {"QUALIFY": 0, "CHECKLIST": 62, "FAQ": 7, "CGU": 0.5, "STATS": 1.5, "VALIDITY": 2, "INTRO": 1.5,
             "END": 23},
    "HOME_static": {"QUALIFY": 67, "FAQ": 5, "CGU": 1, "END": 27},
    "QUALIFY": {"CHECKLIST": 78, "HOME": 5, "END": 17},
    "CHECKLIST": {"DL": 46, "DS": 17, "OUT": 2, "HOME": 15, "FAQ": 7, "END": 13},
    "CHECKLIST_e": {"DL": 38, "DS": 12, "OUT": 1, "HOME": 12, "FAQ": 8, "END": 29},
    "DL": {"DL": 42, "DS": 22, "OUT": 1, "HOME": 5, "FAQ": 4, "END": 26},
    "DS": {"END": 68, "DS": 7, "HOME": 7, "FAQ": 4, "CHECKLIST": 4, "DL": 10},
    "FAIL": {"HOME": 36, "FAQ": 11, "END": 53},
    "FAQ": {"HOME": 33, "CHECKLIST": 10, "CGU": 3, "OUT": 3, "FAQ": 24, "DL": 5, "END": 28},
    "CGU": {"HOME": 30, "FAQ": 5, "END": 65},
    "STATS": {"HOME": 24, "STATS": 16, "END": 60},
    "VALIDITY": {"VALIDITY": 52, "HOME": 12, "END": 36},
    "INTRO": {"HOME": 32, "OUT": 15, "FAQ": 8, "END": 45},
    "OUT": {"END": 68, "HOME": 14, "DL": 6, "DS": 12},
}
RETURN_BOOST = {"DS": 1.6, "END": 0.7}       # returning visitors come back to finish
# Seconds before the next action, by the kind just done: lognormal median (sigma GAP_SIGMA); a visit-wide
# pace factor (lognormal, sigma PACE_SIGMA) makes some visitors slow readers.
GAP_MEDIAN = {"HOME": 44, "QUALIFY": 24, "CHECKLIST": 105, "FAIL": 28, "FAQ": 70, "CGU": 55, "STATS": 60,
              "VALIDITY": 32, "INTRO": 75, "DL": 62, "DS": 150, "OUT": 140}
GAP_TO_DS = 1.6                    # reading the checklist before the DS button takes longer
GAP_SIGMA = 0.75
PACE_SIGMA = 0.72
MAX_GAP = 1750                     # Matomo closes a visit after 30 minutes of inactivity
RETURN_SHARE = 0.2                 # first visits followed by a return visit (then 15 % of those again)
RETURN_AGAIN = 0.15
RETURN_DELAY_DAYS = (2.0, 1.1)     # lognormal median, sigma
VISITS_PER_FIRST_VISIT = 1.215    # first visits + their returns (measured), to size the first draw
PRIOR_RETURNING = 0.06             # first visits in range whose visitor came before (visitCount 2-4)

# ---------------------------------------------------------------------------- URLs
PDF = {"etudiant": "/static/pdf/checklist-etudiant.pdf", "employeur": "/static/pdf/checklist-employeur.pdf",
       "mandat": "/static/pdf/mandat.pdf"}
OTHER_OUTLINKS = (
    ("http://www.ciep.fr/enic-naric-page/verifier-si-profession-est-reglementee", 5),
    ("https://www.service-public.fr/particuliers/vosdroits/F2728", 3),
    ("https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000033219357", 1),
    ("https://www.service-public.fr/particuliers/vosdroits/F2728#fragment-titre-de-sejour", 1),
)
FAQ_ANCHORS = ("#qui-peut-faire-la-demande", "#delai-de-traitement", "#renouvellement", "#pieces-justificatives")
TITLES = {
    "HOME": "Work in France - Autorisation provisoire de travail",
    "QUALIFY": "Work in France - Choix du département",
    "CHECKLIST_etudiant": "Work in France - Documents à fournir (étudiant)",
    "CHECKLIST_employeur": "Work in France - Documents à fournir (employeur)",
    "FAIL": "Work in France - Département non couvert",
    "FAQ": "Work in France - Questions fréquentes",
    "CGU": "Work in France - Conditions générales d'utilisation",
    "STATS": "Work in France - Statistiques",
    "VALIDITY": "Work in France - Vérifier une autorisation de travail",
    "INTRO": "Work in France - Introduction d'un salarié étranger",
}
# Share of page views carrying what a privacy filter must remove.
FAIL_EMAIL_SHARE = 0.01            # /fail?departement=NN&email=… ("prévenez-moi")
FAQ_ANCHOR_SHARE = 0.12
CAMPAIGN_CONTENT = ("bouton-accueil", "fiche-apt", "lien-footer")

# ---------------------------------------------------------------------------- referrers
# (type, name, weight); websites give the host as name.
REFERRERS = (
    ("direct", "", 38), ("search", "Google", 29), ("search", "Bing", 2.5), ("search", "Qwant", 1.5),
    ("search", "DuckDuckGo", 0.6), ("search", "Ecosia", 0.5),
    ("website", "www.service-public.fr", 6), ("website", "www.campusfrance.org", 5),
    ("website", "www.etudiant.gouv.fr", 3), ("website", "travail-emploi.gouv.fr", 2),
    ("website", "idf.direccte.gouv.fr", 2), ("website", "www.welcometofrance.com", 1),
    ("website", "www.interieur.gouv.fr", 1), ("website", "www.sorbonne-universite.fr", 1.2),
    ("website", "u-paris.fr", 1), ("website", "www.univ-lyon1.fr", 0.8), ("website", "www.demarches-simplifiees.fr", 1),
    ("social", "Facebook", 2), ("social", "LinkedIn", 0.7), ("social", "Twitter", 0.3),
    ("campaign", "newsletter-direccte", 1.5),
)
REFERRER_PATHS = {
    "www.service-public.fr": ("/particuliers/vosdroits/F2728", "/professionnels-entreprises/vosdroits/F22772"),
    "www.campusfrance.org": ("/fr/travailler-en-france-pendant-ses-etudes",
                             "/fr/travailler-en-france-pendant-ses-etudes?utm_source=newsletter&utm_medium=email"),
    "www.etudiant.gouv.fr": ("/fr/travailler-pendant-ses-etudes-1426",),
    "travail-emploi.gouv.fr": ("/emploi-et-insertion/mobilite-internationale/autorisation-de-travail",),
    "idf.direccte.gouv.fr": ("/Autorisation-provisoire-de-travail-etudiants",),
    "www.welcometofrance.com": ("/fr/fiche/travailler-pendant-vos-etudes",),
    "www.interieur.gouv.fr": ("/Demarches/Etrangers",),
    "www.sorbonne-universite.fr": ("/etudiants/international/travailler-pendant-ses-etudes?session=8f3a92c1e4",),
    "u-paris.fr": ("/travailler-pendant-ses-etudes/",),
    "www.univ-lyon1.fr": ("/vie-etudiante/etudiants-internationaux",),
    "www.demarches-simplifiees.fr": ("/commencer/ud075-apt-etudiants", "/dossiers"),
}
SEARCH_ENGINES = {  # name → (main url for Matomo, referrer url, keyword visible share)
    "Google": ("google.com", "https://www.google.com/", 0.15),
    "Bing": ("bing.com", "https://www.bing.com/", 0.5),
    "Qwant": ("qwant.com", "https://www.qwant.com/", 0.0),
    "DuckDuckGo": ("duckduckgo.com", "https://duckduckgo.com/", 0.0),
    "Ecosia": ("ecosia.org", "https://www.ecosia.org/", 0.3),
}
SEARCH_QUERIES = (
    "autorisation provisoire de travail etudiant", "apt etudiant etranger", "work in france",
    "autorisation de travail alternance etudiant etranger", "direccte autorisation provisoire de travail",
    "apt paris etudiant", "autorisation de travail apprentissage etranger", "workinfrance",
    "demande autorisation provisoire de travail en ligne", "titre de sejour etudiant travailler plus de 964 heures",
)
SOCIALS = {"Facebook": ("facebook.com", "https://l.facebook.com/l.php?u=https%3A%2F%2Fworkinfrance.beta.gouv.fr%2F"),
           "LinkedIn": ("linkedin.com", "https://www.linkedin.com/"),
           "Twitter": ("twitter.com", "https://t.co/3kLp9x2QaZ")}
RETURN_DIRECT_SHARE = 0.75         # returning visits mostly come back directly

# ---------------------------------------------------------------------------- devices
# (type, brand, model, os name, os code, browser name, browser code, family, weight, since month offset
# from 2018-01, until). Versions follow the calendar (see journeys.browser_version / os_version).
DEVICES = (
    ("Desktop", "Unknown", "Generic Desktop", "Windows", "WIN", "Chrome", "CH", 30),
    ("Desktop", "Unknown", "Generic Desktop", "Windows", "WIN", "Firefox", "FF", 9),
    ("Desktop", "Unknown", "Generic Desktop", "Windows", "WIN", "Microsoft Edge", "PS", 7),
    ("Desktop", "Apple", "Generic Desktop", "Mac", "MAC", "Safari", "SF", 6),
    ("Desktop", "Apple", "Generic Desktop", "Mac", "MAC", "Chrome", "CH", 5),
    ("Desktop", "Unknown", "Generic Desktop", "GNU/Linux", "LIN", "Firefox", "FF", 2),
    ("Desktop", "Unknown", "Generic Desktop", "Windows", "WIN", "Opera", "OP", 1),
    ("Smartphone", "Samsung", "Galaxy A50", "Android", "AND", "Chrome Mobile", "CM", 10),
    ("Smartphone", "Samsung", "Galaxy S10", "Android", "AND", "Samsung Browser", "SB", 2),
    ("Smartphone", "Xiaomi", "Redmi Note 8", "Android", "AND", "Chrome Mobile", "CM", 6),
    ("Smartphone", "Huawei", "P20 lite", "Android", "AND", "Chrome Mobile", "CM", 3),
    ("Smartphone", "Apple", "iPhone", "iOS", "IOS", "Mobile Safari", "MF", 12),
    ("Smartphone", "Oppo", "A5 2020", "Android", "AND", "Chrome Mobile", "CM", 2),
    ("Tablet", "Apple", "iPad", "iOS", "IPA", "Mobile Safari", "MF", 3.5),
    ("Tablet", "Samsung", "Galaxy Tab A", "Android", "AND", "Chrome", "CH", 1.5),
)
BROWSER_FAMILY = {
    "CH": ("Blink", "Blink (Chrome, Opera)"), "CM": ("Blink", "Blink (Chrome, Opera)"),
    "PS": ("Blink", "Blink (Chrome, Opera)"), "OP": ("Blink", "Blink (Chrome, Opera)"),
    "SB": ("Blink", "Blink (Chrome, Opera)"), "FF": ("Gecko", "Gecko (Firefox)"),
    "SF": ("WebKit", "WebKit (Safari)"), "MF": ("WebKit", "WebKit (Safari)"),
}
RESOLUTIONS = {
    "Desktop": (("1920x1080", 40), ("1366x768", 22), ("1536x864", 15), ("1440x900", 8), ("2560x1440", 6),
                ("1280x720", 5), ("1680x1050", 4)),
    "Smartphone": (("390x844", 25), ("412x915", 25), ("360x800", 25), ("414x896", 15), ("375x667", 10)),
    "Tablet": (("820x1180", 45), ("768x1024", 35), ("800x1280", 20)),
}

# ---------------------------------------------------------------------------- geography
ABROAD_SHARE = 0.11
HOME_REGION_SHARE = 0.86           # French visitors located in the region of the department they ask for
# (country code, English name as Matomo shows it, continent code, continent name, city, lat, lon, weight)
ABROAD = (
    ("ma", "Morocco", "afr", "Africa", "Casablanca", 33.5731, -7.5898, 18),
    ("dz", "Algeria", "afr", "Africa", "Algiers", 36.7538, 3.0588, 14),
    ("tn", "Tunisia", "afr", "Africa", "Tunis", 36.8065, 10.1815, 8),
    ("sn", "Senegal", "afr", "Africa", "Dakar", 14.7167, -17.4677, 6),
    ("ci", "Côte d’Ivoire", "afr", "Africa", "Abidjan", 5.3600, -4.0083, 5),
    ("cm", "Cameroon", "afr", "Africa", "Douala", 4.0511, 9.7679, 5),
    ("cn", "China", "asi", "Asia", "Beijing", 39.9042, 116.4074, 8),
    ("in", "India", "asi", "Asia", "Mumbai", 19.0760, 72.8777, 5),
    ("lb", "Lebanon", "asi", "Asia", "Beirut", 33.8938, 35.5018, 4),
    ("vn", "Vietnam", "asi", "Asia", "Hanoi", 21.0278, 105.8342, 3),
    ("br", "Brazil", "ams", "South America", "São Paulo", -23.5505, -46.6333, 2.5),
    ("co", "Colombia", "ams", "South America", "Bogotá", 4.7110, -74.0721, 2),
    ("be", "Belgium", "eur", "Europe", "Brussels", 50.8503, 4.3517, 4),
    ("de", "Germany", "eur", "Europe", "Frankfurt am Main", 50.1109, 8.6821, 3),
    ("gb", "United Kingdom", "eur", "Europe", "London", 51.5074, -0.1278, 2),
    ("us", "United States", "amn", "North America", "Ashburn", 39.0438, -77.4874, 3),
)
# Hours from UTC of the visitor's clock abroad (visitLocalTime); None = same as Paris.
ABROAD_UTC_OFFSET = {"ma": 1, "dz": 1, "tn": 1, "sn": 0, "ci": 0, "cm": 1, "cn": 8, "in": 5.5, "lb": 2, "vn": 7,
                     "br": -3, "co": -5, "be": None, "de": None, "gb": 0, "us": -5}
# Matomo's names of the French regions (plugins/GeoIp2/data/isoRegionNames.php) by warehouse region code.
MATOMO_REGIONS = {
    "ARA": "Auvergne-Rhône-Alpes", "BFC": "Bourgogne-Franche-Comté", "BRE": "Bretagne",
    "CVL": "Centre-Val de Loire", "COR": "Corse", "GES": "Grand-Est", "HDF": "Hauts-de-France",
    "IDF": "Île-de-France", "NAQ": "Nouvelle-Aquitaine", "NOR": "Normandie", "OCC": "Occitanie",
    "PAC": "Provence-Alpes-Côte-d’Azur", "PDL": "Pays-de-la-Loire",
    "971": ("GUA", "Guadeloupe"), "972": ("MQ", "Martinique"), "973": ("GF", "Guyane (française)"),
    "974": ("LRE", "La Réunion"), "976": ("MAY", "Mayotte"),
}
# City Matomo's GeoIP database gives for visitors of a department (main city, lat, lon); other departments
# get the region without a city.
CITIES = {
    "75": ("Paris", 48.8566, 2.3522), "69": ("Lyon", 45.7640, 4.8357), "45": ("Orléans", 47.9030, 1.9093),
    "77": ("Meaux", 48.9601, 2.8788), "95": ("Cergy", 49.0364, 2.0761), "13": ("Marseille", 43.2965, 5.3698),
    "92": ("Nanterre", 48.8924, 2.2071), "76": ("Rouen", 49.4432, 1.0999), "91": ("Évry", 48.6290, 2.4410),
    "78": ("Versailles", 48.8049, 2.1204), "54": ("Nancy", 48.6921, 6.1844), "88": ("Épinal", 48.1724, 6.4496),
    "57": ("Metz", 49.1193, 6.1757), "67": ("Strasbourg", 48.5734, 7.7521), "94": ("Créteil", 48.7904, 2.4556),
    "10": ("Troyes", 48.2973, 4.0744), "93": ("Saint-Denis", 48.9362, 2.3574),
    "42": ("Saint-Étienne", 45.4397, 4.3872), "55": ("Bar-le-Duc", 48.7727, 5.1600),
    "35": ("Rennes", 48.1173, -1.6778), "52": ("Chaumont", 48.1113, 5.1392),
    "63": ("Clermont-Ferrand", 45.7772, 3.0870), "68": ("Mulhouse", 47.7508, 7.3359),
    "25": ("Besançon", 47.2378, 6.0241), "33": ("Bordeaux", 44.8378, -0.5792), "51": ("Reims", 49.2583, 4.0317),
    "62": ("Arras", 50.2910, 2.7775), "59": ("Lille", 50.6292, 3.0573), "02": ("Saint-Quentin", 49.8465, 3.2876),
    "80": ("Amiens", 49.8941, 2.2958), "60": ("Beauvais", 49.4300, 2.0823), "36": ("Châteauroux", 46.8103, 1.6913),
    "74": ("Annecy", 45.8992, 6.1294), "21": ("Dijon", 47.3220, 5.0415), "64": ("Pau", 43.2951, -0.3708),
    "38": ("Grenoble", 45.1885, 5.7245), "31": ("Toulouse", 43.6047, 1.4442),
    "34": ("Montpellier", 43.6108, 3.8767), "44": ("Nantes", 47.2184, -1.5536), "06": ("Nice", 43.7102, 7.2620),
    "49": ("Angers", 47.4784, -0.5632), "37": ("Tours", 47.3941, 0.6848), "86": ("Poitiers", 46.5802, 0.3404),
    "87": ("Limoges", 45.8336, 1.2611), "14": ("Caen", 49.1829, -0.3707), "29": ("Brest", 48.3904, -4.4861),
    "30": ("Nîmes", 43.8367, 4.3601), "66": ("Perpignan", 42.6887, 2.8948), "84": ("Avignon", 43.9493, 4.8055),
    "83": ("Toulon", 43.1242, 5.9280), "17": ("La Rochelle", 46.1603, -1.1511), "72": ("Le Mans", 48.0061, 0.1996),
}
REGION_CENTRES = {
    "ARA": (45.4472, 4.3856), "BFC": (47.2805, 4.9994), "BRE": (48.2020, -2.9326), "CVL": (47.7516, 1.6751),
    "COR": (42.0396, 9.0129), "GES": (48.6998, 6.1878), "HDF": (49.9660, 2.7800), "IDF": (48.8499, 2.6370),
    "NAQ": (45.7087, 0.6269), "NOR": (49.1829, 0.3707), "OCC": (43.8927, 3.2828), "PAC": (43.9352, 6.0679),
    "PDL": (47.7633, -0.3300), "GUA": (16.2650, -61.5510), "MQ": (14.6415, -61.0242), "GF": (3.9339, -53.1258),
    "LRE": (-21.1151, 55.5364), "MAY": (-12.8275, 45.1662),
}
# Browser language of visitors: France / abroad by country (language code, weight).
LANGUAGES_FR = (("fr-fr", 70), ("fr", 14), ("en-us", 5), ("en-gb", 2), ("ar", 2), ("zh-cn", 2.5),
                ("es-es", 1.5), ("pt-br", 1), ("en", 2))
LANGUAGES_ABROAD = {"ma": "fr-fr", "dz": "fr-fr", "tn": "fr-fr", "sn": "fr-fr", "ci": "fr-fr", "cm": "fr-fr",
                    "cn": "zh-cn", "in": "en-in", "lb": "fr-fr", "vn": "vi", "br": "pt-br", "co": "es-co",
                    "be": "fr-be", "de": "de-de", "gb": "en-gb", "us": "en-us"}
LANGUAGE_NAMES = {"fr": "French", "en": "English", "ar": "Arabic", "vi": "Vietnamese", "zh": "Chinese"}
IPV4_PREFIXES = (2, 5, 31, 37, 46, 62, 77, 78, 80, 81, 82, 83, 84, 85, 86, 88, 90, 91, 92, 109, 176, 185, 193)
IPV6_SHARE = 0.12
IPV6_PREFIXES = ("2a01:cb00", "2a01:e0a", "2a02:8428", "2a04:cec0", "2001:861")

# ---------------------------------------------------------------------------- dossiers
# Contract categories: (code, share among student démarches, among employer démarches).
CONTRACTS = (
    ("apprentissage", 33, 38), ("professionnalisation", 19, 21), ("cdd", 14, 14), ("cdi", 6, 9),
    ("doctorat", 10, 6), ("ater", 3, 2), ("interne", 6, 3), ("autre", 9, 7),
)
# Raw option labels per form revision (0: 2018 form, 1: 2019 form, 2: 2020 form). The loader maps them.
CONTRACT_LABELS = {
    "apprentissage": (("contrat d'apprentissage",), ("Contrat d’apprentissage",), ("Contrat d'apprentissage",)),
    "professionnalisation": (("contrat de professionnalisation",), ("Contrat de professionnalisation",),
                             ("Contrat de professionnalisation", "contrat de Professionnalisation")),
    "cdd": (("contrat à durée déterminée (CDD)",), ("CDD",), ("CDD", "Contrat à durée déterminée")),
    "cdi": (("contrat à durée indéterminée (CDI)",), ("CDI",), ("CDI",)),
    "doctorat": (("doctorant contractuel", "CIFRE"), ("Contrat doctoral", "CIFRE"),
                 ("Doctorant contractuel", "Convention CIFRE")),
    "ater": (("ATER",), ("ATER",), ("ATER (attaché temporaire d'enseignement et de recherche)",)),
    "interne": (("interne en médecine",), ("Interne en médecine / pharmacie",),
                ("Interne en médecine", "Interne en pharmacie")),
    "autre": (("autre",), ("Autre : job étudiant", "Autre"), ("Autre : job étudiant", "Autre : stage rémunéré")),
}
UNKNOWN_CONTRACTS = ("Saisonnier", "Vacataire", "Contrat d'engagement éducatif")
UNKNOWN_CONTRACT_SHARE = 0.01
RENEWAL_SHARE = 0.27
# Nationality: (ISO-2, DS name, upper-case text of the 2018 form, weight).
NATIONALITIES = (
    ("MA", "Maroc", "MAROC", 17), ("DZ", "Algérie", "ALGERIE", 14), ("TN", "Tunisie", "TUNISIE", 8),
    ("CN", "Chine", "CHINE", 8), ("SN", "Sénégal", "SENEGAL", 6), ("CI", "Côte d'Ivoire", "COTE D'IVOIRE", 5),
    ("CM", "Cameroun", "CAMEROUN", 5), ("IN", "Inde", "INDE", 5), ("LB", "Liban", "LIBAN", 4),
    ("VN", "Viêt Nam", "VIETNAM", 3), ("BR", "Brésil", "BRESIL", 2.5), ("CO", "Colombie", "COLOMBIE", 2),
    ("GA", "Gabon", "GABON", 2), ("GN", "Guinée", "GUINEE", 2), ("ML", "Mali", "MALI", 1.5),
    ("MG", "Madagascar", "MADAGASCAR", 1.5), ("BJ", "Bénin", "BENIN", 1.5), ("CG", "Congo", "CONGO", 1.2),
    ("CD", "République démocratique du Congo", "RDC", 1), ("RU", "Russie", "RUSSIE", 1.5),
    ("TR", "Turquie", "TURQUIE", 1.2), ("MX", "Mexique", "MEXIQUE", 1), ("IR", "Iran", "IRAN", 1),
    ("EG", "Égypte", "EGYPTE", 1), ("PK", "Pakistan", "PAKISTAN", 0.8), ("US", "États-Unis", "ETATS-UNIS", 0.8),
    ("UA", "Ukraine", "UKRAINE", 0.8), ("HT", "Haïti", "HAITI", 0.7), ("PE", "Pérou", "PEROU", 0.6),
)
# Processing in working days: construction (until "passé en instruction") and instruction stages,
# lognormal; department factors are drawn once per department (lognormal sigma DEP_SPEED_SIGMA).
CONSTRUCTION_WD = (1.6, 0.9)       # median, sigma
INSTRUCTION_WD = (2.9, 0.75)
DEP_SPEED_SIGMA = 0.3
DEP_SPEED = {"75": 1.35, "69": 1.1, "93": 1.3}   # known slow units
FORGOTTEN_SHARE = 0.006            # dossiers nobody touches for months
REFUSAL_RATE = 0.09
SANS_SUITE_RATE = 0.05
DEP_RATE_SIGMA = 0.35
CONTRACT_REFUSAL = {"apprentissage": 0.75, "professionnalisation": 0.85, "cdd": 1.3, "cdi": 1.7, "doctorat": 0.4,
                    "ater": 0.5, "interne": 0.45, "autre": 2.0}
CONTRACT_SANS_SUITE = {"apprentissage": 0.9, "professionnalisation": 0.9, "cdd": 1.1, "cdi": 1.2, "doctorat": 0.6,
                       "ater": 0.6, "interne": 0.7, "autre": 1.6}
RENEWAL_REFUSAL = 0.7
SAME_SESSION_SHARE = 0.6           # dossiers filed right after the DS click; others days later
SAME_SESSION_MINUTES = (22, 0.5)   # lognormal median, sigma
LATER_DAYS = (3.0, 0.9)
MODIFIED_AFTER_DECISION = 0.04     # a message or annotation after the decision
ARCHIVE_AFTER_DAYS = 120
ARCHIVED_SHARE = 0.45
APT_MONTHS = {  # contract → ((months, weight), …) of the APT asked for
    "apprentissage": ((12, 80), (24, 4), (6, 8), (36, 2), (10, 6)),
    "professionnalisation": ((12, 60), (6, 20), (24, 8), (9, 12)),
    "cdd": ((12, 35), (6, 25), (3, 15), (2, 12), (1, 8), (18, 5)),
    "cdi": ((12, 80), (24, 10), (6, 10)),
    "doctorat": ((12, 70), (36, 20), (6, 10)),
    "ater": ((12, 90), (6, 10)),
    "interne": ((6, 80), (12, 20)),
    "autre": ((12, 30), (3, 25), (2, 25), (1, 20)),
}
APT_MISSING_SHARE = 0.02
APT_INVERTED_SHARE = 0.006
APT_INVALID_SHARE = 0.015          # annotations typed as text in the 2018 form: '2018-09-013'
HOURS = {  # weekly hours asked (value, weight); 151 is a monthly figure typed by mistake
    "apprentissage": ((35, 90), (39, 5), (151, 2), (30, 3)),
    "professionnalisation": ((35, 90), (39, 5), (151, 5)),
    "cdd": ((35, 50), (20, 25), (24, 15), (28, 10)),
    "cdi": ((35, 80), (20, 10), (24, 10)),
    "doctorat": ((35, 100),), "ater": ((35, 100),), "interne": ((48, 60), (35, 40)),
    "autre": ((20, 40), (15, 25), (10, 20), (964, 5), (17, 10)),
}
# Form revisions: month from which a démarche created before uses the next revision.
REVISION_MONTHS = (0, 11, 22)
