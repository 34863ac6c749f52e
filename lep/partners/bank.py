"""Bank details: checked for format, encrypted at rest with Fernet, shown only masked.

The key comes from BANK_DETAILS_KEY. Outside production, when it is unset, one is generated once
under the instance folder (bank-details.key, readable by its owner only), so the embedded default
works with no setup; production refuses to start without the key (lep.register_config).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app

from lep.service import DomainError

KEY_FILE = "bank-details.key"
NAME_MAX = 60


@dataclass(frozen=True)
class Account:
    sort_code: str  # six digits
    account_number: str  # eight digits
    name: str  # the name on the account

    @property
    def masked(self) -> str:
        return (
            f"Sort code **-**-{self.sort_code[-2:]}, account ending {self.account_number[-4:]}, "
            f"in the name of {self.name}"
        )

    @property
    def sort_code_display(self) -> str:
        return f"{self.sort_code[:2]}-{self.sort_code[2:4]}-{self.sort_code[4:]}"


def check_account(sort_code: str, account_number: str, name: str) -> Account:
    """Tidy and check what a person typed: spaces and dashes are fine; the digits must be right."""
    errors: dict[str, str] = {}
    sort_digits = re.sub(r"[\s-]", "", sort_code or "")
    number_digits = re.sub(r"[\s-]", "", account_number or "")
    name = " ".join((name or "").split())
    if not sort_digits:
        errors["sort_code"] = "Enter a sort code"
    elif not re.fullmatch(r"\d{6}", sort_digits):
        errors["sort_code"] = "Enter a valid sort code like 309430"
    if not number_digits:
        errors["account_number"] = "Enter an account number"
    elif not number_digits.isdigit():
        errors["account_number"] = "Enter a valid account number like 00733445"
    elif len(number_digits) != 8:
        errors["account_number"] = "Account number must be 8 digits long"
    if not name:
        errors["name"] = "Enter the name on the account"
    elif len(name) > NAME_MAX:
        errors["name"] = f"Name on the account must be {NAME_MAX} characters or fewer"
    if errors:
        raise DomainError(errors)
    return Account(sort_digits, number_digits, name)


def _key(app: Flask) -> bytes:
    configured = app.config.get("BANK_DETAILS_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    path = os.path.join(app.instance_path, KEY_FILE)
    if not os.path.exists(path):
        os.makedirs(app.instance_path, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    with open(path, "rb") as handle:
        return handle.read().strip()


def fernet(app: Flask | None = None) -> Fernet:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("lep_bank_fernet")
    if cached is None:
        cached = Fernet(_key(app))
        app.extensions["lep_bank_fernet"] = cached
    return cached


def encrypt(account: Account) -> str:
    payload = {"s": account.sort_code, "a": account.account_number, "n": account.name}
    return fernet().encrypt(json.dumps(payload).encode()).decode()


def decrypt(ciphertext: str) -> Account:
    try:
        payload = json.loads(fernet().decrypt(ciphertext.encode()))
    except InvalidToken as exc:  # a different key, or tampered data: never guess
        raise RuntimeError("bank details cannot be decrypted with the configured key") from exc
    return Account(payload["s"], payload["a"], payload["n"])
