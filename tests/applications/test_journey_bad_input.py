"""Bad input never gives a 500, never loses what was typed, and gets a message at the field."""

from __future__ import annotations

import pytest

from lep.applications.models import Answer
from lep.extensions import db
from tests.applications.conftest import SUPPORT, fresh, location, main_text, post, start
from tests.helpers import error_at


@pytest.mark.parametrize("n", [0, 3, 999, 99999999999])
def test_question_numbers_that_do_not_exist(client, role, applicant, n):
    application = start(client, role)
    assert client.get(f"/applications/{application.id}/questions/{n}").status_code == 404
    assert post(client, f"/applications/{application.id}/questions/{n}", {}).status_code == 404
    assert client.get(f"/applications/{application.id}/questions/-1").status_code == 404


def test_nuls_and_control_characters_are_dropped(client, role, applicant):
    application = start(client, role)
    response = post(
        client,
        f"/applications/{application.id}/questions/1",
        {"answer": "My\x00 answer\x07 has\x1b words"},
    )
    assert location(response).endswith("/questions/2")
    assert db.session.query(Answer.text).scalar() == "My answer has words"
    response = post(
        client,
        f"/applications/{application.id}/support",
        {**SUPPORT, "adjustments_application": "Big\x00 print", "helped_by": "\x00"},
    )
    assert location(response).endswith("/check")
    assert fresh(application).adjustments_application == "Big print"


def test_bidirectional_and_invisible_controls_are_dropped(client, role, applicant):
    """What HR read is what is stored: no right-to-left override turning "Jo" into "oJ", no
    zero-width characters hiding in a name."""
    application = start(client, role)
    response = post(
        client,
        f"/applications/{application.id}/support",
        {
            **SUPPORT,
            "helped": "yes",
            "helped_by": "\u202eoJ\u202c my sister\u200b",
            "adjustments_interview": "\u2067Breaks\u2069 \ufeffplease\u200f",
        },
    )
    assert location(response).endswith("/check")
    saved = fresh(application)
    assert saved.helped_by == "oJ my sister"
    assert saved.adjustments_interview == "Breaks please"


def test_a_huge_answer_is_refused_with_the_word_count(client, role, applicant):
    application = start(client, role)
    url = f"/applications/{application.id}/questions/1"
    huge = "word " * 50_000
    response = post(client, url, {"answer": huge})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "answer") == (
        "Your answer must be 10 words or fewer. You have 50000 words: 49990 too many"
    )
    assert huge.strip() in page  # all of it is still there to cut down
    # Past the request's size limit (12MB): the "too large" page, never an error.
    response = post(client, url, {"answer": "word " * 2_700_000})
    assert response.status_code == 413


def test_support_fields_are_checked_and_nothing_typed_is_lost(client, role, applicant):
    application = start(client, role)
    url = f"/applications/{application.id}/support"
    data = {
        "adjustments_application": "A" * 2001,
        "adjustments_interview": "Breaks, please",
        "contact_method": "pigeon",
        "phone": "0" * 41,
        "contact_times": "Mornings",
        "helped": "yes",
        "helped_by": "",
    }
    response = post(client, url, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "adjustments_application") == (
        "What would help you to apply must be 2,000 characters or fewer"
    )
    assert error_at(page, "contact_method") == "Select how you would like us to contact you"
    assert error_at(page, "phone") == "Phone number must be 40 characters or fewer"
    assert error_at(page, "helped_by").startswith("Tell us who is helping you")
    assert "Breaks, please" in page and "Mornings" in page
    assert not fresh(application).support_saved

    page = post(client, url, {**data, "contact_method": "", "helped": ""}).get_data(as_text=True)
    assert error_at(page, "contact_method") == "Select how you would like us to contact you"
    assert error_at(page, "helped") == "Select yes if someone is helping you to apply"


def test_save_and_come_back_later_on_the_support_page(client, role, applicant):
    application = start(client, role)
    response = post(client, f"/applications/{application.id}/support", {**SUPPORT, "later": ""})
    assert location(response) == "/dashboard"
    assert fresh(application).support_saved


def test_posting_to_a_sent_application_changes_nothing(client, role, applicant):
    application = start(client, role)
    for n in (1, 2):
        post(client, f"/applications/{application.id}/questions/{n}", {"answer": "Mine"})
    post(client, f"/applications/{application.id}/support", SUPPORT)
    post(client, f"/applications/{application.id}/check", {"declaration": "y"})
    sent = fresh(application)
    assert sent.status == "submitted"
    for suffix, data in [
        ("/questions/1", {"answer": "Changed"}),
        ("/support", {**SUPPORT, "adjustments_application": "Changed"}),
        ("/file", {}),
        ("/file/remove", {"item_id": "1"}),
    ]:
        response = post(client, f"/applications/{application.id}{suffix}", data)
        assert location(response) == f"/applications/{application.id}", suffix
    application = fresh(application)
    assert application.answers[0].text == "Mine" and application.adjustments_application == ""
    # A draft-only page for a sent application leads to its status or confirmation.
    assert location(client.get(f"/applications/{application.id}/check")).endswith(
        f"/applications/{application.id}"
    )
    assert location(client.get(f"/applications/{application.id}/delete")).endswith(
        f"/applications/{application.id}"
    )


def test_a_missing_csrf_token_is_refused_politely(client, role, applicant):
    application = start(client, role)
    response = client.post(f"/applications/{application.id}/questions/1", data={"answer": "x"})
    assert response.status_code == 400
    assert db.session.query(Answer).count() == 0


def test_output_is_escaped(client, role, applicant):
    application = start(client, role)
    script = "<script>alert(1)</script> is my answer"
    base = f"/applications/{application.id}"
    post(client, f"{base}/questions/1", {"answer": script})
    for url in (f"{base}/questions/1", f"{base}/check"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "is my answer" in main_text(client.get(f"{base}/check").get_data(as_text=True))
