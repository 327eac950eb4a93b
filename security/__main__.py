"""``python -m security hash LOGIN``: ask for a password and print the ``login:hash`` line for WIF_USERS."""

from __future__ import annotations

import argparse
import getpass
import sys

from werkzeug.security import generate_password_hash

from security.users import DEMO_LOGIN, LOGIN

MIN_PASSWORD_LENGTH = 12


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m security", description="Comptes de WIF stats.")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("hash", help="affiche la ligne identifiant:empreinte d'un compte (WIF_USERS)")
    make.add_argument("login")
    args = parser.parse_args(argv)
    if not LOGIN.match(args.login) or args.login == DEMO_LOGIN:
        print(f"erreur : identifiant invalide ou réservé : {args.login!r}", file=sys.stderr)
        return 2
    password = getpass.getpass("Mot de passe : ")
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"erreur : au moins {MIN_PASSWORD_LENGTH} caractères", file=sys.stderr)
        return 2
    if getpass.getpass("Mot de passe (confirmation) : ") != password:
        print("erreur : les deux saisies diffèrent", file=sys.stderr)
        return 2
    print(f"{args.login}:{generate_password_hash(password)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
