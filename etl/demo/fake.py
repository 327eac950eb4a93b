"""Fake but realistic personal data: what real payloads carry and the loaders must never keep.

Names follow the nationality mix of the dossiers; e-mails and phone numbers are derived from them; employer
names, streets and titre de séjour numbers look like French ones. Nothing here is a real person.
"""

from __future__ import annotations

import unicodedata
from functools import cache

FIRST_NAMES = {
    "maghreb": ("Yasmine", "Mohamed", "Amine", "Salma", "Youssef", "Imane", "Karim", "Nour", "Mehdi", "Sara",
                "Anas", "Ines", "Rayan", "Lina", "Hamza", "Meriem", "Walid", "Khadija", "Ilyes", "Hiba"),
    "africa": ("Aminata", "Moussa", "Fatou", "Ibrahima", "Awa", "Mamadou", "Mariam", "Cheikh", "Aïcha", "Ousmane",
               "Grâce", "Serge", "Christelle", "Junior", "Prisca", "Arnaud"),
    "china": ("Wei", "Jing", "Xiaoyu", "Hao", "Mei", "Yifan", "Zihan", "Jiayi", "Haoran", "Yutong"),
    "india": ("Priya", "Arjun", "Rahul", "Ananya", "Aditya", "Sneha", "Vikram", "Pooja", "Karan", "Divya"),
    "vietnam": ("Thi Lan", "Minh", "Huong", "Tuan", "Linh", "Duc", "Thao", "Quang"),
    "levant": ("Rami", "Maya", "Karim", "Nadine", "Elie", "Rita", "Georges", "Lara"),
    "other": ("Camila", "Mateo", "Valentina", "Santiago", "Ana", "Lucas", "Olga", "Dmitri", "Elif", "Emre",
              "Sofia", "Daniel", "Maria", "Reza", "Leila", "Ahmed"),
}
LAST_NAMES = {
    "maghreb": ("Benali", "El Amrani", "Haddad", "Boukhari", "Rahmani", "Benjelloun", "Tazi", "Mansouri",
                "Cherif", "Belkacem", "Ait Said", "Ouali", "Zerrouki", "Trabelsi", "Gharbi", "Ben Salah"),
    "africa": ("Diop", "Traoré", "Ndiaye", "Koné", "Mbarga", "Ouedraogo", "Diallo", "Kouassi", "Fofana",
               "Nkoulou", "Sow", "Camara", "Mensah", "Kabila", "Tchamba", "Sylla"),
    "china": ("Zhang", "Wang", "Li", "Chen", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou"),
    "india": ("Kumar", "Sharma", "Patel", "Singh", "Gupta", "Iyer", "Reddy", "Nair"),
    "vietnam": ("Nguyen", "Tran", "Pham", "Le", "Hoang", "Vu", "Dang", "Bui"),
    "levant": ("Haddad", "Khoury", "Saad", "Nassar", "Aoun", "Karam", "Frem", "Chidiac"),
    "other": ("Silva", "Santos", "Gómez", "Rodríguez", "Ivanova", "Petrov", "Yılmaz", "Demir", "Hernández",
              "Moreno", "Torres", "Kovalenko", "Rahimi", "Farouk", "Oliveira", "Castro"),
}
GROUP_OF = {"MA": "maghreb", "DZ": "maghreb", "TN": "maghreb", "EG": "maghreb", "SN": "africa", "CI": "africa",
            "CM": "africa", "GA": "africa", "GN": "africa", "ML": "africa", "MG": "africa", "BJ": "africa",
            "CG": "africa", "CD": "africa", "HT": "africa", "CN": "china", "IN": "india", "PK": "india",
            "VN": "vietnam", "LB": "levant"}
MAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "hotmail.fr", "yahoo.fr", "outlook.fr", "hotmail.com",
                "icloud.com", "etu.univ-paris1.fr", "edu.univ-lyon1.fr", "laposte.net", "qq.com")
BIRTH_CITIES = {"MA": ("Casablanca", "Rabat", "Fès", "Marrakech", "Agadir"), "DZ": ("Alger", "Oran", "Constantine"),
                "TN": ("Tunis", "Sfax", "Sousse"), "SN": ("Dakar", "Thiès"), "CI": ("Abidjan", "Bouaké"),
                "CM": ("Douala", "Yaoundé"), "CN": ("Pékin", "Shanghai", "Wuhan", "Chengdu"),
                "IN": ("Mumbai", "New Delhi", "Bangalore"), "LB": ("Beyrouth", "Tripoli"),
                "VN": ("Hanoï", "Hô Chi Minh-Ville"),
                "BR": ("São Paulo", "Rio de Janeiro"), "CO": ("Bogotá", "Medellín")}
EMPLOYERS = (
    "Boulangerie Au Pain Doré", "SARL Martin Rénovation", "Atelier Lumière SAS", "Hôtel des Voyageurs",
    "Brasserie du Commerce", "Cabinet Durand & Associés", "Laboratoire BioNova", "Groupe Hôtelier Bellevue",
    "Transports Lefèvre", "Pharmacie de la Gare", "Agence Webfactory", "Restaurant Le Petit Zinc",
    "Institut de Recherche Atlantique", "Clinique Saint-Roch", "Supermarché Proxi Centre", "Garage Moderne SARL",
    "Société Nouvelle d'Électricité", "Studio Graphique Kappa", "Crèche Les Petits Pas", "Logistique Express",
    "Fromagerie Dubois", "Bureau d'études Hydrotec", "Centre Hospitalier Universitaire", "Université (service RH)",
)
STREETS = ("rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue Pasteur", "rue du Moulin",
           "avenue de la Gare", "rue des Écoles", "place du Marché", "rue Nationale", "allée des Tilleuls",
           "quai de la Seine", "rue Voltaire")
JOBS = {  # by contract category
    "apprentissage": ("Développeur web en alternance", "Data analyst en apprentissage",
                      "Assistant commercial en alternance", "Technicien de maintenance apprenti",
                      "Chargée de recrutement en alternance"),
    "professionnalisation": ("Assistante comptable", "Chargé de communication", "Conseiller clientèle",
                             "Assistant RH"),
    "cdd": ("Serveur", "Préparateur de commandes", "Ingénieur d'études", "Vendeuse", "Employé polyvalent",
            "Post-doctorant"),
    "cdi": ("Chef de projet junior", "Ingénieur logiciel", "Employé polyvalent", "Cuisinier"),
    "doctorat": ("Doctorant en chimie", "Doctorant en informatique", "Doctorante en sociologie"),
    "ater": ("Attaché temporaire d'enseignement et de recherche",),
    "interne": ("Interne en pharmacie", "Interne en médecine générale"),
    "autre": ("Employé polyvalent", "Vendeuse", "Serveur", "Animateur périscolaire", "Baby-sitter"),
}
MOTIVATIONS = (
    "Je suis étudiant en master et je souhaite effectuer mon alternance au sein de l'entreprise {employer}.",
    "Demande d'autorisation pour un contrat de {job} pendant mes études, joignable au {phone}.",
    "Renouvellement de mon autorisation de travail, mon contrat est prolongé jusqu'en septembre.",
    "Je travaille le week-end pour financer mes études. Merci de me contacter à {email}.",
    "Mon employeur souhaite m'embaucher en CDD pour l'été.",
)


@cache
def ascii_slug(text: str) -> str:
    """'Aïcha El Amrani' → 'aicha-el-amrani' (e-mail local parts)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in text).split())


@cache
def mail_host(company: str) -> str:
    """'Hôtel des Voyageurs' → 'hoteldesvoyageurs.fr'."""
    return ascii_slug(company).replace("-", "")[:18] + ".fr"


def email(first: str, last: str, domain: str, n: int) -> str:
    sep = "." if n % 3 else "_"
    suffix = str(n % 97) if n % 5 == 0 else ""
    return f"{ascii_slug(first).replace('-', '')}{sep}{ascii_slug(last).replace('-', '')}{suffix}@{domain}"


def phone(n: int) -> str:
    """French mobile numbers in the formats people type: '06 12 34 56 78', '+33 7 12 34 56 78', '0612345678'."""
    digits = f"{n % 100_000_000:08d}"
    lead = "6" if n % 4 else "7"
    pairs = " ".join(digits[i:i + 2] for i in range(0, 8, 2))
    style = n % 3
    if style == 0:
        return f"0{lead} {pairs}"
    if style == 1:
        return f"+33 {lead} {pairs}"
    return f"0{lead}{digits}"


def titre_number(n: int, dep: str) -> str:
    """Numéro de titre de séjour (AGDREF, 10 digits starting with the department)."""
    return f"{dep.zfill(2)[:2]}{n % 100_000_000:08d}"
