"""Supporting files reach the panel: the scoring page offers the file (a recording plays in the
page), with a warning that a file can show who someone is; only a scorer who may score that
application gets it; HR's list links it; every download and play is audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from lep.applications.models import SupportingFile
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.shortlisting import scoring
from lep.storage import get_storage
from tests.applications import media
from tests.applications.conftest import open_role
from tests.conftest import sign_in
from tests.shortlisting.scoring_support import application_url, seat_panel, sent_application, token

NAME = "Anne-Marie O'Neil"
FILE_NAME = "Anne-Marie ONeil voice note.html"
RECORDING = media.mp3()


@pytest.fixture(autouse=True)
def uploads(app: Flask, tmp_path, monkeypatch) -> Iterator[None]:
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield
    app.extensions.pop("lep_storage", None)


@pytest.fixture
def role():
    return open_role()


@pytest.fixture
def scorer(make_user):
    return make_user("panel", full_name="Rae Reviewer")


@pytest.fixture
def conflicted(make_user):
    return make_user("panel", full_name="Con Flicted")


@pytest.fixture
def panel(role, scorer, conflicted, make_user):
    return seat_panel(role, scorer, conflicted, lead=make_user("hr", full_name="Harriet Lead"))


def with_file(application, data: bytes, kind: str, content_type: str) -> SupportingFile:
    record = SupportingFile(
        application_id=application.id,
        storage_key=get_storage().save(data),
        original_name=FILE_NAME,
        content_type=content_type,
        kind=kind,
        size_bytes=len(data),
    )
    db.session.add(record)
    db.session.commit()
    return record


@pytest.fixture
def application(role, make_user):
    return sent_application(role, make_user, full_name=NAME)


@pytest.fixture
def recording(application):
    return with_file(application, RECORDING, "audio", "audio/mpeg")


def file_url(application, record) -> str:  # type: ignore[no-untyped-def]
    return f"{application_url(application)}/files/{record.id}"


def downloads(application) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [
        {**(e.after or {}), "by": e.actor_id}
        for e in db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "application.file_downloaded",
                AuditEvent.subject_id == str(application.id),
            )
            .order_by(AuditEvent.id)
        )
    ]


def declare_conflict(client, application) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        f"{application_url(application)}/conflict",
        data={"csrf_token": token(client), "note": "I know them"},
    )
    assert response.status_code == 302


def test_the_scoring_page_offers_a_recording_to_play_and_download(
    client, login, panel, scorer, application, recording
):
    login(scorer)
    page = client.get(application_url(application)).get_data(as_text=True)
    url = file_url(application, recording)
    assert 'id="supporting-file"' in page
    assert "A file or recording may show who the applicant is" in page
    assert "applicants are asked not to name themselves" in page
    assert "say so with the conflict of interest link at the end of this page" in page
    # Played in the page (fetched only when played), and downloadable.
    assert "<audio controls" in page and 'preload="none"' in page
    assert f'<source src="{url}?play=1" type="audio/mpeg">' in page
    assert f'href="{url}"' in page and "Download the recording" in page
    # The name it came with may name the person: never shown to the panel.
    assert FILE_NAME not in page and "ONeil" not in page and "O&#39;Neil" not in page
    assert downloads(application) == []  # looking at the page takes no copy

    served = client.get(url)
    assert served.status_code == 200 and served.data == RECORDING
    assert served.headers["Content-Type"] == "audio/mpeg"
    assert served.headers["Content-Disposition"] == (
        f"attachment; filename=application-{application.reference}-file.mp3"
    )
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    played = client.get(f"{url}?play=1")
    assert played.status_code == 200 and played.data == RECORDING
    assert played.headers["Content-Disposition"] == (
        f"inline; filename=application-{application.reference}-file.mp3"
    )
    assert played.headers["X-Content-Type-Options"] == "nosniff"
    assert downloads(application) == [
        {"file_id": recording.id, "audience": "panel", "played": False, "by": scorer.id},
        {"file_id": recording.id, "audience": "panel", "played": True, "by": scorer.id},
    ]


def test_a_document_is_a_download_only(client, login, panel, scorer, application):
    record = with_file(application, media.picture("PNG"), "image", "image/png")
    login(scorer)
    page = client.get(application_url(application)).get_data(as_text=True)
    assert "A file or recording may show who the applicant is" in page
    assert "<audio" not in page and "Download the file" in page
    # ?play=1 plays recordings only: anything else is still an attachment.
    served = client.get(f"{file_url(application, record)}?play=1")
    assert served.headers["Content-Disposition"] == (
        f"attachment; filename=application-{application.reference}-file.png"
    )


def test_no_file_no_section(client, login, panel, scorer, application):
    login(scorer)
    page = client.get(application_url(application)).get_data(as_text=True)
    assert 'id="supporting-file"' not in page and "<audio" not in page


def test_only_a_scorer_who_may_score_it_gets_the_file(
    client, login, make_user, role, panel, scorer, conflicted, application, recording
):
    url = file_url(application, recording)
    login(conflicted)
    declare_conflict(client, application)
    assert client.get(url).status_code == 403
    assert client.get(f"{url}?play=1").status_code == 403
    assert not scoring.may_open_file(application, conflicted)
    assert scoring.may_open_file(application, scorer)

    others = {
        "a panel member on another role's panel": make_user("panel"),
        "finance": make_user("finance"),
        "a partner": make_user("partner"),
        "another applicant": make_user("applicant"),
        "the applicant themself": application.applicant,
    }
    seat_panel(open_role("Another role"), others["a panel member on another role's panel"])
    for who, person in others.items():
        client.post("/sign-out", data={"csrf_token": token(client)})
        assert sign_in(client, person.email).status_code == 302, who
        assert client.get(url).status_code == 403, who

    # A scorer removed from the panel (or whose account is no longer a scorer's) is refused too.
    client.post("/sign-out", data={"csrf_token": token(client)})
    login(scorer)
    assert client.get(url).status_code == 200
    scorer.set_roles({"partner"})
    db.session.commit()
    assert client.get(url).status_code == 403
    # Not refused by accident: the file of another role's application is not found here.
    assert client.get(url.replace(f"/roles/{role.id}/", "/roles/999999/")).status_code == 404
    assert client.get(f"{application_url(application)}/files/999999").status_code == 404

    client.post("/sign-out", data={"csrf_token": token(client)})
    assert "/sign-in" in client.get(url).headers["Location"]
    # Only the one download that was allowed is on record.
    assert [d["by"] for d in downloads(application)] == [scorer.id]


def test_hr_list_links_the_file_and_hr_downloads_it(
    client, login, make_user, role, application, recording
):
    hr = make_user("hr")
    login(hr)
    page = client.get(f"/hr/roles/{role.id}/applications").get_data(as_text=True)
    href = f"/applications/{application.id}/files/{recording.id}"
    assert f'href="{href}"' in page and "Download the supporting file" in page
    assert "a sound recording" in page
    served = client.get(href)
    assert served.status_code == 200 and served.data == RECORDING
    assert served.headers["Content-Disposition"] == (
        f"attachment; filename=application-{application.reference}-file.mp3"
    )
    assert downloads(application) == [
        {"file_id": recording.id, "audience": "hr", "played": False, "by": hr.id}
    ]
    # A panel member is not HR: the HR link is refused; the panel has its own, checked, link.
    client.post("/sign-out", data={"csrf_token": token(client)})
    login(make_user("panel"))
    assert client.get(href).status_code == 403
