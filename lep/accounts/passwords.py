"""Password rules, after NCSC guidance and NIST SP 800-63B: length, not a common password, not
built from the person's own name or email, not one character or a simple run. No rules about
mixing character kinds: they make passwords harder to remember, not harder to guess.

The common passwords are the 30,000 most common in the zxcvbn package (MIT licence; Dropbox's
list, from Mark Burnett's 10 million password set), read from the installed package: nothing is
fetched. A password is compared lowercased and without spaces, and again without numbers and
symbols at either end, so "Password2026!" counts as "password".
"""

from __future__ import annotations

import itertools
import re
import string
from functools import cache

from lep.access import STAFF_ROLES

PUBLIC_MIN = 10  # applicants and partners
STAFF_MIN = 12  # anyone holding a staff role: panel, hr, finance, admin
MAX_LENGTH = 256
NAME_PART_MIN = 4  # shorter name parts ("Al", "Lee") would refuse too many good passwords

_EDGES = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = FREQUENCY_LISTS["passwords"]
    if isinstance(words, str):  # some releases keep each list as one comma-separated string
        words = words.split(",")
    return frozenset(w.lower() for w in words if w)


def minimum_length(roles: set[str] | frozenset[str]) -> int:
    return STAFF_MIN if set(roles) & set(STAFF_ROLES) else PUBLIC_MIN


def _squashed(text: str) -> str:
    return "".join(text.lower().split())


def is_common(password: str) -> bool:
    squashed = _squashed(password)
    core = squashed.strip(_EDGES)
    common = common_passwords()
    return squashed in common or (len(core) >= NAME_PART_MIN and core in common)


def _personal_parts(full_name: str, email: str) -> set[str]:
    parts = {p for p in re.split(r"[^\w]+|_", full_name.lower()) if len(p) >= NAME_PART_MIN}
    local = email.strip().lower().partition("@")[0]
    if len(local) >= NAME_PART_MIN:
        parts.add(local)
    parts.update(p for p in re.split(r"[^a-z]+", local) if len(p) >= NAME_PART_MIN)
    return parts


def uses_personal_details(password: str, full_name: str, email: str) -> bool:
    squashed = _squashed(password)
    return any(part in squashed for part in _personal_parts(full_name, email))


def _is_simple_run(password: str) -> bool:
    """One character or one short group over and over, or a straight run like abcdefghij."""
    text = password.lower()
    if re.fullmatch(r"(.{1,4})\1+.{0,3}", text, re.S):
        return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    if steps <= {1, -9} or steps <= {-1, 9}:  # 1234567890 and 0987654321 wrap at 9 and 0
        return text.isdigit() or len(steps) == 1
    return False


def password_problem(
    password: str, *, roles: set[str] | frozenset[str], full_name: str = "", email: str = ""
) -> str | None:
    """What is wrong with this new password, in plain words for the field; None if nothing."""
    minimum = minimum_length(roles)
    if len(password) < minimum:
        return f"Password must be {minimum} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    if _is_simple_run(password):
        return (
            "Password must not be one character or pattern repeated, or a run like 1234567890. "
            "Try 3 or more random words together"
        )
    if email and _squashed(password) == email.strip().lower():
        return "Password must not be your email address"
    if uses_personal_details(password, full_name, email):
        return "Password must not contain your name or the first part of your email address"
    if is_common(password):
        return (
            "This is one of the most common passwords, so it is easy to guess. "
            "Try 3 or more random words together"
        )
    return None
