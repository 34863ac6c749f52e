"""The journey's rules in the services: one application, saved drafts, one submission, files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from sqlalchemy import func, select

from lep.applications import services
from lep.applications.files import sniff
from lep.applications.models import Application
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.roles.demo import seed_roles
from lep.service import DomainError
from tests.applications import media

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = media.picture("PNG")


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield tmp_path / "uploads"
    app.extensions.pop("lep_storage", None)


@pytest.fixture
def partner_role():
    return seed_roles()[0]  # Band 7 Lived Experience Partner: 2 questions


def answer_all(application, text="I learned a lot from my own care and I share it kindly."):
    for question in application.role.questions:
        assert services.save_answer(application, question, text) == {}


def test_one_application_per_person_per_role(partner_role, make_user):
    person = make_user("applicant")
    first = services.start_application(partner_role, person)
    again = services.start_application(partner_role, person)
    assert first.id == again.id
    count = db.session.scalar(select(func.count()).select_from(Application))
    assert count == 1


def test_an_over_limit_answer_is_kept_and_refused_with_the_count(partner_role, make_user):
    application = services.start_application(partner_role, make_user("applicant"))
    question = partner_role.questions[0]
    text = "word " * (question.word_limit + 12)
    problems = services.save_answer(application, question, text)
    assert problems == {
        "answer": f"Your answer must be {question.word_limit} words or fewer. "
        f"You have {question.word_limit + 12} words: 12 too many"
    }
    assert application.answer_for(question.id).text == text.strip()  # nothing lost
    with pytest.raises(DomainError) as caught:
        services.submit(application, True)
    assert "Question 1: Your answer must be" in caught.value.errors["question_1"]


def test_submit_needs_every_answer_and_the_declaration(partner_role, make_user):
    application = services.start_application(partner_role, make_user("applicant"))
    with pytest.raises(DomainError) as caught:
        services.submit(application, False)
    assert set(caught.value.errors) == {"question_1", "question_2", "declaration"}
    assert application.status == "draft"


def test_submit_once_makes_a_reference_and_one_email(partner_role, make_user):
    person = make_user("applicant")
    application = services.start_application(partner_role, person)
    answer_all(application)
    sent, first = services.submit(application, True)
    assert first is True
    year = utcnow().year
    assert sent.reference == f"LEP-{year}-{application.id:06d}"
    assert sent.status == "submitted" and sent.submitted_at is not None
    again, second = services.submit(application, True)
    assert second is False and again.reference == sent.reference
    emails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == person.email)
    ).all()
    assert [m.subject for m in emails] == [f"We have your application: {sent.reference}"]
    assert sent.reference in emails[0].body_text
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "application")
    ).all()
    assert actions.count("application.submitted") == 1


def test_a_sent_application_cannot_change_and_a_closed_role_keeps_the_draft(
    partner_role, make_user
):
    person = make_user("applicant")
    application = services.start_application(partner_role, person)
    answer_all(application)
    partner_role.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(DomainError, match="This role has closed"):
        services.submit(application, True)
    assert application.status == "draft" and len(application.answers) == 2
    with pytest.raises(DomainError, match="has closed"):
        services.start_application(seed_roles()[0], make_user("applicant"))


def test_withdraw_and_delete_draft(partner_role, make_user):
    application = services.start_application(partner_role, make_user("applicant"))
    with pytest.raises(DomainError):
        services.withdraw(application)
    answer_all(application)
    services.submit(application, True)
    services.withdraw(application)
    assert application.status == "withdrawn" and application.withdrawn_at is not None
    with pytest.raises(DomainError):
        services.delete_draft(application)
    other = services.start_application(seed_roles()[1], application.applicant)
    services.delete_draft(other)
    assert db.session.get(Application, other.id) is None


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "image"),
        (media.picture("JPEG"), "image"),
        (media.picture("GIF"), "image"),
        (media.picture("WEBP"), "image"),
        (media.mp3(), "audio"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + media.mp3(), "audio"),
        (media.wav(), "audio"),
        (media.ogg(), "audio"),
        (media.m4a(), "audio"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "word"),
    ],
)
def test_file_types_are_known_by_content(data, kind):
    assert sniff(data).kind == kind


@pytest.mark.parametrize(
    "data",
    [
        # Only the first bytes of a recording or a picture: decoding them shows they are not.
        b"\xff\xfb" + b"<html><script>alert(1)</script></html>" * 20,
        b"\xff\xfb\x90\x00" + b"\x00" * 2000,  # one frame header, then nothing that follows it
        b"\xff\xf3" + b"\x00" * 64,
        b"ID3\x04\x00" + b"\x00" * 20,
        b"RIFF\x00\x00\x00\x00WAVEfmt ",
        b"OggS" + b"\x00" * 60,
        b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 40,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
        b"\xff\xd8\xff\xe0" + b"\x00" * 20,
        b"GIF89a<script>alert(1)</script>",
        media.picture("PNG")[:-20],  # cut short
    ],
)
def test_files_that_only_start_like_a_picture_or_recording_are_refused(data):
    assert sniff(data) is None


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_word_documents_and_disguised_files():
    assert sniff(docx_bytes()).content_type.endswith("wordprocessingml.document")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("payload.exe", "MZ")
    assert sniff(zipped.getvalue()) is None  # a zip that is not a Word document
    assert sniff(b"MZ\x90\x00 this is an exe renamed to cv.pdf") is None
    assert sniff(b"<html><script>alert(1)</script></html>") is None


def test_attach_stores_privately_under_a_random_name(partner_role, make_user, storage):
    application = services.start_application(partner_role, make_user("applicant"))
    record = services.attach_file(application, "C:\\Users\\me\\My CV.pdf", PDF)
    assert record.original_name == "My CV.pdf" and record.kind == "pdf"
    stored = list(storage.rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == PDF
    assert files[0].name == record.storage_key and not files[0].name.endswith(".pdf")
    replacement = services.attach_file(application, "photo.png", PNG)
    assert [f.id for f in application.files] == [replacement.id]
    assert [p.name for p in storage.rglob("*") if p.is_file()] == [replacement.storage_key]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The selected file is empty"),
        (b"MZ\x90\x00 not a pdf", "The selected file must be a PDF, a Word document"),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), "The selected file must be smaller than 10MB"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    partner_role, make_user, storage, data, message
):
    application = services.start_application(partner_role, make_user("applicant"))
    with pytest.raises(DomainError) as caught:
        services.attach_file(application, "cv.pdf", data)
    assert caught.value.errors["file"].startswith(message)
    assert not storage.exists() or not [p for p in storage.rglob("*") if p.is_file()]


def test_support_needs_phone_when_asked_to_call(partner_role, make_user):
    application = services.start_application(partner_role, make_user("applicant"))
    with pytest.raises(DomainError) as caught:
        services.save_support(application, contact_method="phone", phone="")
    assert caught.value.errors == {"phone": "Enter a phone number so we can call or text you"}
    services.save_support(
        application,
        contact_method="text",
        phone="07700 900123",
        adjustments_interview="A quiet room and questions in writing",
        guaranteed_interview=True,
    )
    assert application.guaranteed_interview and application.support_saved


def test_a_partner_who_applies_becomes_an_applicant_too(partner_role, make_user):
    partner = make_user("partner")
    services.start_application(partner_role, partner)
    assert partner.roles == {"partner", "applicant"}
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.roles_changed", AuditEvent.subject_id == str(partner.id)
        )
    )
    assert event.after == {"roles": ["applicant", "partner"], "reason": "started an application"}
