"""The optional supporting file: checked by its content, kept private, served only to its owner
(and HR), always as a download."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from lep.applications import services
from lep.applications.models import SupportingFile
from lep.extensions import db
from tests.applications import media
from tests.applications.conftest import audit_actions, fresh, location, main_text, post, start
from tests.conftest import sign_in
from tests.helpers import error_at, summary_links

TYPE_MESSAGE = (
    "The selected file must be a PDF, a Word document, a picture (JPG, PNG, GIF) or a sound "
    "recording (MP3, WAV, M4A, OGG)"
)


def tiny_png() -> bytes:
    """A real 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def upload(client, application, data: bytes, name: str, url_suffix: str = ""):  # type: ignore[no-untyped-def]
    return post(
        client,
        f"/applications/{application.id}/file{url_suffix}",
        {"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [(TINY_PDF, "my answers.pdf", "application/pdf"), (tiny_png(), "drawing.png", "image/png")],
)
def test_a_real_file_is_kept_and_served_only_as_a_download(
    client, role, applicant, uploads, data, name, content_type
):
    application = start(client, role)
    response = upload(client, application, data, name)
    assert location(response) == f"/applications/{application.id}/support"
    record = db.session.query(SupportingFile).one()
    assert record.original_name == name and record.content_type == content_type
    assert record.size_bytes == len(data)
    # Stored outside the static folder under a random name, never the one it came with.
    stored = [p for p in uploads.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == data
    assert name not in str(stored[0]) and record.storage_key in stored[0].name
    assert "application.file_attached" in audit_actions(application.id)

    page = client.get(f"/applications/{application.id}/file").get_data(as_text=True)
    assert name in main_text(page) and "Remove this file" in main_text(page)
    check = client.get(f"/applications/{application.id}/check").get_data(as_text=True)
    assert name in main_text(check)

    served = client.get(f"/applications/{application.id}/files/{record.id}")
    assert served.status_code == 200
    assert served.data == data
    assert served.headers["Content-Type"] == content_type
    # Under a name we make, with the extension of the type found, never the name it came with.
    extension = name.rsplit(".", 1)[-1]
    assert served.headers["Content-Disposition"] == (
        f"attachment; filename=application-draft-{application.id}-file.{extension}"
    )
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "application.file_downloaded" in audit_actions(application.id)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "cv.pdf"),
        (b"<!DOCTYPE html><script>alert(1)</script>", "photo.jpg"),
        (b"PK\x03\x04 not really a word document", "letter.docx"),
        (b"just some text", "notes.txt"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_at_the_field(client, role, applicant, data, name):
    application = start(client, role)
    response = upload(client, application, data, name)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "file") == TYPE_MESSAGE
    assert summary_links(page) == [("#file", TYPE_MESSAGE)]
    assert db.session.query(SupportingFile).count() == 0


def test_an_empty_or_too_large_file_gets_a_clear_message(client, role, applicant):
    application = start(client, role)
    page = upload(client, application, b"", "empty.pdf").get_data(as_text=True)
    # An empty upload is no file at all to the browser's form: nothing is added.
    assert db.session.query(SupportingFile).count() == 0
    big = TINY_PDF + b"\x00" * (10 * 1024 * 1024)
    response = upload(client, application, big, "big.pdf")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "file") == "The selected file must be smaller than 10MB"
    assert db.session.query(SupportingFile).count() == 0


def test_a_body_over_the_request_limit_gets_the_413_page(client, role, applicant):
    application = start(client, role)
    huge = TINY_PDF + b"\x00" * (13 * 1024 * 1024)
    response = upload(client, application, huge, "huge.pdf")
    assert response.status_code == 413
    assert "What you sent is too large" in response.get_data(as_text=True)


def test_a_new_file_replaces_the_old_and_a_file_can_be_removed(client, role, applicant, uploads):
    application = start(client, role)
    upload(client, application, TINY_PDF, "first.pdf")
    upload(client, application, tiny_png(), "second.png")
    record = db.session.query(SupportingFile).one()
    assert record.original_name == "second.png"
    assert len([p for p in uploads.rglob("*") if p.is_file()]) == 1

    response = post(
        client, f"/applications/{application.id}/file/remove", {"item_id": str(record.id)}
    )
    assert location(response) == f"/applications/{application.id}/file"
    assert db.session.query(SupportingFile).count() == 0
    assert [p for p in uploads.rglob("*") if p.is_file()] == []
    assert "application.file_removed" in audit_actions(application.id)
    # Removing something that is not there, or nonsense, is a message, not an error page.
    response = post(client, f"/applications/{application.id}/file/remove", {"item_id": "x"})
    assert response.status_code == 302


def test_a_file_name_with_control_characters_is_cleaned(client, role, applicant):
    application = start(client, role)
    upload(client, application, TINY_PDF, "bad\x00na\x07me.pdf")
    record = db.session.query(SupportingFile).one()
    assert record.original_name == "badname.pdf"
    assert client.get(f"/applications/{application.id}/files/{record.id}").status_code == 200
    # Newlines too (the name goes into the download's header).
    record = services.attach_file(fresh(application), "C:\\Users\\me\\a\r\nb.pdf", TINY_PDF)
    assert record.original_name == "ab.pdf"
    served = client.get(f"/applications/{application.id}/files/{record.id}")
    assert served.status_code == 200
    assert served.headers["Content-Disposition"] == (
        f"attachment; filename=application-draft-{application.id}-file.pdf"
    )


def test_bidirectional_controls_are_stripped_from_the_name_shown(client, role, applicant):
    """A right-to-left override makes "evil\u202egnp.exe" read as "evilexe.png"; zero-width
    characters hide inside a name. The name kept (and shown to HR) has none of them."""
    application = start(client, role)
    upload(client, application, TINY_PDF, "evil\u202egnp.exe\u200b\u2066.pdf")
    record = db.session.query(SupportingFile).one()
    assert record.original_name == "evilgnp.exe.pdf"
    page = client.get(f"/applications/{application.id}/file").get_data(as_text=True)
    assert "evilgnp.exe.pdf" in page and "\u202e" not in page


@pytest.mark.parametrize(
    ("data", "name", "served_as"),
    [
        (tiny_png(), "x.html", "png"),
        (media.picture("GIF"), "x.html", "gif"),
        (media.mp3(), "x.html", "mp3"),
        (media.wav(), "song", "wav"),
        (TINY_PDF, "report.exe", "pdf"),
    ],
)
def test_a_download_is_named_by_its_content_not_its_name(
    client, role, applicant, make_user, data, name, served_as
):
    application = start(client, role)
    upload(client, application, data, name)
    record = db.session.query(SupportingFile).one()
    post(client, "/sign-out")
    sign_in(client, make_user("hr").email)
    served = client.get(f"/applications/{application.id}/files/{record.id}")
    assert served.status_code == 200
    disposition = served.headers["Content-Disposition"]
    assert (
        disposition == f"attachment; filename=application-draft-{application.id}-file.{served_as}"
    )
    assert name not in disposition
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_nobody_else_can_see_the_file(client, role, applicant, make_user):
    application = start(client, role)
    upload(client, application, TINY_PDF, "private.pdf")
    record = db.session.query(SupportingFile).one()
    url = f"/applications/{application.id}/files/{record.id}"

    other = make_user("applicant")
    post(client, "/sign-out")
    sign_in(client, other.email)
    assert client.get(url).status_code == 404
    # Nor through another application's id, nor with ids that cannot exist.
    theirs = start(client, role)
    assert client.get(f"/applications/{theirs.id}/files/{record.id}").status_code == 404
    assert client.get(f"/applications/{application.id}/files/99999999999").status_code == 404

    post(client, "/sign-out")
    sign_in(client, make_user("panel").email)
    assert client.get(url).status_code == 403

    post(client, "/sign-out")
    sign_in(client, make_user("hr").email)
    served = client.get(url)
    assert served.status_code == 200 and served.data == TINY_PDF

    post(client, "/sign-out")
    assert "/sign-in" in location(client.get(url))


def test_a_sent_application_cannot_change_its_file(client, role, applicant):
    application = start(client, role)
    for n in (1, 2):
        post(client, f"/applications/{application.id}/questions/{n}", {"answer": "My answer"})
    post(
        client,
        f"/applications/{application.id}/support",
        {"contact_method": "email", "helped": "no"},
    )
    post(client, f"/applications/{application.id}/check", {"declaration": "y"})
    assert fresh(application).status == "submitted"
    response = upload(client, application, TINY_PDF, "late.pdf")
    assert location(response) == f"/applications/{application.id}"
    assert db.session.query(SupportingFile).count() == 0
