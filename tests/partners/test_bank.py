"""Bank details: format checks with clear messages, encryption at rest, masking, the key file."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from lep import create_app
from lep.partners import bank
from lep.partners.bank import check_account
from lep.service import DomainError


def errors(sort_code: str, account: str, name: str) -> dict[str, str]:
    with pytest.raises(DomainError) as caught:
        check_account(sort_code, account, name)
    return caught.value.errors


def test_spaces_and_dashes_are_tidied():
    account = check_account(" 30-94-30 ", "0073 3445", "  Sam   Partner ")
    assert (account.sort_code, account.account_number, account.name) == (
        "309430",
        "00733445",
        "Sam Partner",
    )
    assert account.sort_code_display == "30-94-30"
    assert account.masked == ("Sort code **-**-30, account ending 3445, in the name of Sam Partner")


@pytest.mark.parametrize(
    ("sort_code", "account", "field", "message"),
    [
        ("", "00733445", "sort_code", "Enter a sort code"),
        ("30943", "00733445", "sort_code", "Enter a valid sort code like 309430"),
        ("3094301", "00733445", "sort_code", "Enter a valid sort code like 309430"),
        ("30-94-3O", "00733445", "sort_code", "Enter a valid sort code like 309430"),
        ("309430", "", "account_number", "Enter an account number"),
        ("309430", "0073344", "account_number", "Account number must be 8 digits long"),
        ("309430", "007334455", "account_number", "Account number must be 8 digits long"),
        ("309430", "0073344x", "account_number", "Enter a valid account number like 00733445"),
    ],
)
def test_a_bad_sort_code_or_account_number_gets_a_clear_message(sort_code, account, field, message):
    assert errors(sort_code, account, "Sam Partner") == {field: message}


def test_the_name_is_needed():
    assert errors("309430", "00733445", "   ") == {"name": "Enter the name on the account"}
    assert errors("309430", "00733445", "x" * 61) == {
        "name": "Name on the account must be 60 characters or fewer"
    }


def test_details_are_encrypted_and_come_back_whole(app):
    account = check_account("309430", "00733445", "Sam Partner")
    ciphertext = bank.encrypt(account)
    assert "00733445" not in ciphertext and "Sam" not in ciphertext
    assert bank.decrypt(ciphertext) == account


def test_a_key_is_generated_once_under_instance_when_none_is_set(tmp_path):
    other = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://", BANK_DETAILS_KEY=None)
    other.instance_path = str(tmp_path)
    with other.app_context():
        sealed = bank.encrypt(check_account("309430", "00733445", "Sam Partner"))
    path = tmp_path / bank.KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://", BANK_DETAILS_KEY=None)
    again.instance_path = str(tmp_path)
    with again.app_context():
        assert bank.decrypt(sealed).account_number == "00733445"


def test_details_sealed_with_another_key_are_refused_not_guessed(app, monkeypatch):
    sealed = Fernet(Fernet.generate_key()).encrypt(b'{"s": "1", "a": "2", "n": "x"}').decode()
    with pytest.raises(RuntimeError, match="cannot be decrypted"):
        bank.decrypt(sealed)
