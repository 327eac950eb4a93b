"""Accounts: who may log in, from ``WIF_USERS`` / ``WIF_USERS_FILE``, and the demo account of demo mode.

An account is ``login:hash``, the hash made by ``werkzeug.security.generate_password_hash`` (scrypt by
default; ``python -m security hash LOGIN`` prints such a line). ``WIF_USERS`` holds accounts separated by
commas, semicolons or line breaks; ``WIF_USERS_FILE`` names a file of one account per line (``#`` comments).
No password is ever stored or logged in clear.

Demo mode (``WIF_DEMO=1``, what ``make run`` sets) adds the account ``demo`` / ``demo``, shown on the login
page, and only while the served warehouse holds demonstration data.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash

DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo"
LOGIN = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
HASH_METHODS = ("scrypt:", "pbkdf2:")
# A real hash, checked when the login is unknown, so unknown and known logins cost the same time.
_DUMMY_HASH = ("pbkdf2:sha256:600000$wif$5d7c9aa6bd3c9b3f0f4fb8b3f2f2cd4f73e0de0c0c6fb4f1cb1ab4d1c0e4f0a1")


class ConfigError(RuntimeError):
    """The access configuration is missing or invalid; the app refuses to start."""


def demo_mode(environ: Mapping[str, str] | None = None) -> bool:
    """``WIF_DEMO`` set to a true value (1, true, oui, yes)."""
    env = os.environ if environ is None else environ
    return (env.get("WIF_DEMO") or "").strip().lower() in ("1", "true", "oui", "yes")


def parse_accounts(text: str, origin: str) -> dict[str, str]:
    """``{login: hash}`` from ``login:hash`` entries; raises ConfigError naming ``origin`` on a bad entry."""
    accounts: dict[str, str] = {}
    for number, entry in enumerate(re.split(r"[,;\r\n]+", text), start=1):
        entry = entry.split("#", 1)[0].strip()
        if not entry:
            continue
        login, _, pw_hash = entry.partition(":")
        if not LOGIN.match(login) or not pw_hash.startswith(HASH_METHODS) or "$" not in pw_hash:
            raise ConfigError(f"{origin} : entrée n° {number} invalide (attendu identifiant:empreinte, "
                              f"empreinte produite par « python -m security hash IDENTIFIANT »)")
        if login == DEMO_LOGIN:
            raise ConfigError(f"{origin} : l'identifiant « {DEMO_LOGIN} » est réservé au mode démonstration")
        accounts[login] = pw_hash
    return accounts


@dataclass(frozen=True)
class Accounts:
    """The configured accounts; ``demo`` enables the demo account (still subject to demo data)."""

    hashes: Mapping[str, str]
    demo: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Accounts:
        env = os.environ if environ is None else environ
        hashes = parse_accounts(env.get("WIF_USERS") or "", "WIF_USERS")
        file = (env.get("WIF_USERS_FILE") or "").strip()
        if file:
            try:
                text = Path(file).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"WIF_USERS_FILE illisible : {file} ({exc.strerror})") from None
            hashes.update(parse_accounts(text, f"WIF_USERS_FILE {file}"))
        demo = demo_mode(env)
        if not hashes and not demo:
            raise ConfigError("aucun compte configuré : définir WIF_USERS ou WIF_USERS_FILE "
                              "(lignes identifiant:empreinte, voir « python -m security hash IDENTIFIANT »), "
                              "ou WIF_DEMO=1 pour une démonstration")
        return cls(hashes, demo)

    def exists(self, login: str, demo_data: bool) -> bool:
        """The account still exists (a removed account loses its open sessions)."""
        return login in self.hashes or (login == DEMO_LOGIN and self.demo and demo_data)

    def check(self, login: str, password: str, demo_data: bool) -> bool:
        """The password is right for ``login``; constant-time for unknown logins."""
        if login == DEMO_LOGIN and self.demo and demo_data:
            return hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode())
        known = self.hashes.get(login)
        ok = check_password_hash(known or _DUMMY_HASH, password)
        return ok and known is not None
