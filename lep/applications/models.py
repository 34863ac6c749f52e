"""Applications, their answers, supporting files, quota answers and requests to apply another way.

Equality monitoring answers are NOT here: they live in lep.equality, apart from everything that
shortlisting reads.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.accounts.models import User
from lep.applications.address import PostalAddress, address_of
from lep.db import TimestampMixin, UTCDateTime, one_of, utcnow
from lep.extensions import db
from lep.roles.models import Question, QuotaCategory, Role

# Statuses an applicant can see, in plain words. Later steps (shortlisting, offers) move an
# application through the ones after "submitted".
APPLICATION_STATUSES = {
    "draft": "Not sent yet",
    "submitted": "Sent: we will be in touch after the closing date",
    "under_review": "Being reviewed",
    "shortlisted": "Shortlisted: we will contact you about the next step",
    "not_shortlisted": "Not taken forward this time",
    "interview": "Invited to interview",
    "offered": "Offered the role",
    "declined": "You declined the offer",
    "appointed": "Appointed",
    "unsuccessful": "Not successful this time",
    "withdrawn": "Withdrawn by you",
}
# The same statuses in staff pages' words (HR, panels): the applicant's words ("we will contact
# you") are wrong on a page the organisation reads.
STAFF_STATUSES = {
    "draft": "Not sent yet",
    "submitted": "Sent, not yet reviewed",
    "under_review": "Being reviewed",
    "shortlisted": "Shortlisted",
    "not_shortlisted": "Not shortlisted",
    "interview": "Invited to interview",
    "offered": "Offered the role",
    "declined": "Declined the offer",
    "appointed": "Appointed",
    "unsuccessful": "Not successful",
    "withdrawn": "Withdrawn by the applicant",
}
CONTACT_METHODS = {"email": "Email", "phone": "Phone call", "text": "Text message", "post": "Post"}
OTHER_WAYS = {
    "phone": "By phone",
    "paper": "On paper",
    "recording": "In an audio or video recording",
    "helper": "With someone's help",
    "other": "Another way",
}


class Application(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("role_id", "applicant_id", name="one_per_person_per_role"),
        CheckConstraint(one_of("status", APPLICATION_STATUSES), name="status"),
        CheckConstraint(
            "contact_method IS NULL OR " + one_of("contact_method", CONTACT_METHODS),
            name="contact_method",
        ),
        Index("ix_application_role_status", "role_id", "status"),
        CheckConstraint(
            "assisted_how IS NULL OR " + one_of("assisted_how", OTHER_WAYS), name="assisted_how"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    declaration_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    # Support and adjustments (never shown to scorers).
    support_saved: Mapped[bool] = mapped_column(default=False)
    adjustments_application: Mapped[str] = mapped_column(Text, default="")
    adjustments_interview: Mapped[str] = mapped_column(Text, default="")
    contact_method: Mapped[str | None] = mapped_column(String(10))
    contact_times: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # For letters, when they chose post (lep.applications.address).
    address_line_1: Mapped[str] = mapped_column(String(100), default="", server_default="")
    address_line_2: Mapped[str] = mapped_column(String(100), default="", server_default="")
    address_town: Mapped[str] = mapped_column(String(100), default="", server_default="")
    address_postcode: Mapped[str] = mapped_column(String(10), default="", server_default="")
    helped_by: Mapped[str] = mapped_column(Text, default="")  # who is helping them apply, if anyone
    guaranteed_interview: Mapped[bool] = mapped_column(default=False)
    # Entered on the person's behalf (lep.applications.assisted): how it was taken, who typed it
    # in, and the person's agreement. Shown to HR, never to scorers.
    assisted_how: Mapped[str | None] = mapped_column(String(20))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    consent_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    role: Mapped[Role] = relationship()
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    answers: Mapped[list[Answer]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    files: Mapped[list[SupportingFile]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    quota_answers: Mapped[list[QuotaAnswer]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )

    @property
    def status_text(self) -> str:
        return APPLICATION_STATUSES[self.status]

    @property
    def postal_address(self) -> PostalAddress | None:
        return address_of(self)

    @property
    def assisted(self) -> bool:
        return self.assisted_how is not None

    @property
    def staff_status_text(self) -> str:
        return STAFF_STATUSES[self.status]

    def answer_for(self, question_id: int) -> Answer | None:
        return next((a for a in self.answers if a.question_id == question_id), None)


class Answer(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("application_id", "question_id", name="one_per_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    # Saved with "Save and come back later": kept, but not finished until Continue is pressed.
    draft: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class SupportingFile(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A file kept in private storage under a random name; served only to those allowed."""

    __tablename__ = "supporting_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # pdf, word, image, audio
    size_bytes: Mapped[int] = mapped_column()

    application: Mapped[Application] = relationship(back_populates="files")


class QuotaAnswer(db.Model):  # type: ignore[name-defined,misc]
    """An applicant's answer to a lottery role's quota question (e.g. region, age band)."""

    __tablename__ = "quota_answer"
    __table_args__ = (UniqueConstraint("application_id", "category_id", name="one_per_category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("quota_category.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(100))

    application: Mapped[Application] = relationship(back_populates="quota_answers")
    category: Mapped[QuotaCategory] = relationship()


class OtherWayRequest(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """'I'd like to apply another way': a task for HR until someone has dealt with it."""

    __tablename__ = "other_way_request"
    __table_args__ = (CheckConstraint(one_of("method", OTHER_WAYS), name="method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    contact_method: Mapped[str] = mapped_column(String(10), default="email")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address_line_1: Mapped[str] = mapped_column(String(100), default="", server_default="")
    address_line_2: Mapped[str] = mapped_column(String(100), default="", server_default="")
    address_town: Mapped[str] = mapped_column(String(100), default="", server_default="")
    address_postcode: Mapped[str] = mapped_column(String(10), default="", server_default="")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str] = mapped_column(Text, default="")
    # The application HR entered for them from this request, if it came to that.
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL")
    )

    role: Mapped[Role] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def postal_address(self) -> PostalAddress | None:
        return address_of(self)
