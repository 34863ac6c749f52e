"""The equality monitoring answers: optional, every question with "prefer not to say"."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lep.db import TimestampMixin
from lep.extensions import db

PREFER_NOT = "prefer_not_to_say"

QUESTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "age_band": (
        "What is your age?",
        {
            "16_24": "16 to 24",
            "25_34": "25 to 34",
            "35_44": "35 to 44",
            "45_54": "45 to 54",
            "55_64": "55 to 64",
            "65_plus": "65 or over",
        },
    ),
    "sex": ("What is your sex?", {"female": "Female", "male": "Male"}),
    "gender_same_as_birth": (
        "Is the gender you identify with the same as your sex registered at birth?",
        {"yes": "Yes", "no": "No"},
    ),
    "ethnic_group": (
        "What is your ethnic group?",
        {
            "asian": "Asian or Asian British",
            "black": "Black, Black British, Caribbean or African",
            "mixed": "Mixed or multiple ethnic groups",
            "white": "White",
            "other": "Another ethnic group",
        },
    ),
    "disability": (
        "Do you have a physical or mental health condition or illness lasting or expected to "
        "last 12 months or more?",
        {"yes": "Yes", "no": "No"},
    ),
    "sexual_orientation": (
        "Which of the following best describes your sexual orientation?",
        {
            "straight": "Straight or heterosexual",
            "gay_lesbian": "Gay or lesbian",
            "bisexual": "Bisexual",
            "other": "Another sexual orientation",
        },
    ),
    "religion": (
        "What is your religion?",
        {
            "none": "No religion",
            "christian": "Christian",
            "buddhist": "Buddhist",
            "hindu": "Hindu",
            "jewish": "Jewish",
            "muslim": "Muslim",
            "sikh": "Sikh",
            "other": "Any other religion",
        },
    ),
    "carer": (
        "Do you look after, or give any help or support to, anyone because of a long-term "
        "condition or illness, or problems related to old age?",
        {"yes": "Yes", "no": "No"},
    ),
    "region": (
        "Where do you live?",
        {
            "north_east": "North East",
            "north_west": "North West",
            "yorkshire": "Yorkshire and the Humber",
            "east_midlands": "East Midlands",
            "west_midlands": "West Midlands",
            "east": "East of England",
            "london": "London",
            "south_east": "South East",
            "south_west": "South West",
            "wales": "Wales",
            "scotland": "Scotland",
            "northern_ireland": "Northern Ireland",
            "outside_uk": "Outside the UK",
        },
    ),
}


class EqualityResponse(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "equality_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One per application; the role is kept for reporting without touching the application.
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), unique=True
    )
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    age_band: Mapped[str | None] = mapped_column(String(30))
    sex: Mapped[str | None] = mapped_column(String(30))
    gender_same_as_birth: Mapped[str | None] = mapped_column(String(30))
    ethnic_group: Mapped[str | None] = mapped_column(String(30))
    disability: Mapped[str | None] = mapped_column(String(30))
    sexual_orientation: Mapped[str | None] = mapped_column(String(30))
    religion: Mapped[str | None] = mapped_column(String(30))
    carer: Mapped[str | None] = mapped_column(String(30))
    region: Mapped[str | None] = mapped_column(String(30))
