"""Redaction of an answer's text before a scorer reads it: the applicant's own name, email address
and phone number become "[name]", "[email]" and "[phone]".

- Name: the full name (spaces, hyphens and apostrophes as typed or curly), then each part of it of
  3 letters or more (both parts of "Anne-Marie", "Neil" of "O'Neil"), as whole words and whatever
  the case: "Ann" is redacted, but not inside "annual" or "Annette".
- Email: any email address. An answer never needs one, and a friend's or an employer's address
  would point to the applicant as surely as their own.
- Phone: the applicant's own number however it is grouped (spaces, dashes, brackets; +44, 0044 or
  0 in front), and any number written the UK way (0 or +44 and 9 or 10 more digits).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAME, EMAIL, PHONE = "[name]", "[email]", "[phone]"
MIN_PART_LETTERS = 3

APOSTROPHES = "'\u2019\u2018`"
_APOSTROPHE = f"[{APOSTROPHES}]"
_HYPHEN = "[-\u2010\u2011\u2013]"
# Between the digits of a phone number: a space, a dash, a dot or a bracket, at most a few.
_GAP = r"[ \t\u00a0\-.()]{0,3}"
# Whole words: a name part is not redacted inside a longer word ("Ann" in "annual").
_WORD_START = r"(?<!\w)"
_WORD_END = r"(?![\w])"

EMAIL_PATTERN = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
UK_PHONE_PATTERN = re.compile(
    r"(?<![\w+])(?:(?:\+|00)44" + _GAP + r"(?:\(0\)" + _GAP + r")?|\(?0)"
    r"\d(?:" + _GAP + r"\d){8,9}(?!\d)"
)


def _name_token(token: str) -> str:
    """One word of a name as a pattern: apostrophes and hyphens match any of their forms."""
    out = []
    for char in token:
        if char in APOSTROPHES:
            out.append(_APOSTROPHE)
        elif char in "-\u2010\u2011\u2013":
            out.append(r"(?:\s*" + _HYPHEN + r"\s*|\s+)")  # "Anne-Marie" or "Anne Marie"
        else:
            out.append(re.escape(char))
    return "".join(out)


def _letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha())


def name_pattern(full_name: str) -> re.Pattern[str] | None:
    """The full name, then its parts of 3 letters or more, longest first, as whole words."""
    words = full_name.split()
    if not words:
        return None
    candidates: set[str] = set()
    whole = r"\s+".join(_name_token(w) for w in words)
    if _letters(full_name) >= MIN_PART_LETTERS or len(words) > 1:
        candidates.add(whole)
    for word in words:
        pieces = [word, *re.split(f"{_HYPHEN}|{_APOSTROPHE}", word)]
        for piece in pieces:
            piece = piece.strip(APOSTROPHES + "-.,")
            if _letters(piece) >= MIN_PART_LETTERS:
                candidates.add(_name_token(piece))
    if not candidates:
        return None
    # Longest first, so "Anne-Marie O'Neil" becomes one "[name]", not three.
    ordered = sorted(candidates, key=len, reverse=True)
    return re.compile(_WORD_START + "(?:" + "|".join(ordered) + ")" + _WORD_END, re.IGNORECASE)


def phone_pattern(phone: str) -> re.Pattern[str] | None:
    """The number in `phone` however it is written: any grouping, with +44, 0044 or 0 in front."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+") or digits.startswith("00"):
        digits = digits.lstrip("0")
        national = digits[2:] if digits.startswith("44") else None
    else:
        national = digits[1:] if digits.startswith("0") else digits
    if national is None:  # a number from abroad: match its digits as they are, any grouping
        national, prefix = digits, r"(?:(?:\+|00)" + _GAP + r")?"
    else:
        prefix = r"(?:(?:\+|00)44" + _GAP + r"(?:\(0\)" + _GAP + r")?|\(?0" + _GAP + r")?"
    if len(national) < 6:  # too short to be a phone number: it would match ordinary numbers
        return None
    body = _GAP.join(re.escape(d) for d in national)
    return re.compile(r"(?<![\w+])" + prefix + body + r"(?!\d)")


def redact(text: str, full_name: str = "", email: str = "", phones: Iterable[str] = ()) -> str:
    """The text with the applicant's name, email addresses and phone numbers replaced."""
    if not text:
        return text
    if email:
        text = re.sub(re.escape(email), EMAIL, text, flags=re.IGNORECASE)
    text = EMAIL_PATTERN.sub(EMAIL, text)
    for phone in phones:
        pattern = phone_pattern(phone or "")
        if pattern is not None:
            text = pattern.sub(PHONE, text)
    text = UK_PHONE_PATTERN.sub(PHONE, text)
    pattern = name_pattern(full_name)
    if pattern is not None:
        text = pattern.sub(NAME, text)
    return text
