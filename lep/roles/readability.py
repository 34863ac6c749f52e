"""A plain-English check for adverts: Flesch reading ease (textstat) and the longest sentences."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

with warnings.catch_warnings():
    # textstat 0.7.4 imports setuptools' pkg_resources, deprecated but present in the pinned
    # setuptools 80.9. Newer textstat downloads NLTK data at run time, which cannot work offline.
    warnings.simplefilter("ignore", UserWarning)
    import textstat

# Flesch reading ease: 60 and above is plain English most adults read easily; below 50 is
# hard going (GOV.UK and NHS content guidance aim for a reading age of about 9 to 11).
HARD_TO_READ_BELOW = 50.0
LONG_SENTENCE_WORDS = 25
# Flesch bands, in words, highest first.
PLAIN_WORDS = (
    (70.0, "easy to read"),
    (60.0, "plain English"),
    (HARD_TO_READ_BELOW, "fairly easy to read, though some sentences could be plainer"),
    (30.0, "hard to read for many people"),
    (float("-inf"), "very hard to read: most people would struggle with it"),
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Readability:
    score: float | None
    long_sentences: tuple[str, ...]

    @property
    def hard_to_read(self) -> bool:
        return self.score is not None and self.score < HARD_TO_READ_BELOW

    @property
    def words(self) -> str:
        """The score in plain words (the raw Flesch number means nothing to most people, and
        can be below 0)."""
        if self.score is None:
            return "there is not enough text to check yet"
        for floor, words in PLAIN_WORDS:
            if self.score >= floor:
                return words
        return PLAIN_WORDS[-1][1]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def check(text: str, longest: int = 3) -> Readability:
    text = text.strip()
    if len(text.split()) < 5:
        return Readability(score=None, long_sentences=())
    score = float(textstat.flesch_reading_ease(text))
    long = sorted(
        (s for s in sentences(text) if len(s.split()) > LONG_SENTENCE_WORDS),
        key=lambda s: len(s.split()),
        reverse=True,
    )
    return Readability(score=round(score, 1), long_sentences=tuple(long[:longest]))
