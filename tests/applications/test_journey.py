"""The whole journey through the test client: start, questions, file, support, check, send."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lep.applications.models import Answer, Application
from lep.extensions import db
from tests.applications.conftest import audit_actions, fresh, location, main_text, post, start
from tests.conftest import csrf_from, sign_in
from tests.helpers import emails_to, error_at, summary_links

GOOD = "I have used mental health services for ten years."  # 9 words
TOO_LONG = " ".join(["word"] * 13)  # 3 too many for a limit of 10


def test_signed_out_start_goes_to_sign_in_and_back(client, role):
    response = client.get(f"/roles/{role.id}/apply")
    assert response.status_code == 302
    assert "/sign-in?next=" in location(response)
    assert f"/roles/{role.id}/apply" in location(response)


def test_the_whole_journey_for_a_role_with_two_questions(client, role, applicant):
    # Start: a start page writes nothing; "Start now" (a POST) makes a draft, then question 1.
    page = client.get(f"/roles/{role.id}/apply")
    assert "Before you start" in page.get_data(as_text=True)
    assert db.session.scalar(select(Application).where(Application.role_id == role.id)) is None
    response = client.post(
        f"/roles/{role.id}/apply", data={"csrf_token": csrf_from(page.get_data(as_text=True))}
    )
    application = db.session.scalar(select(Application).where(Application.role_id == role.id))
    assert application.status == "draft" and application.applicant_id == applicant.id
    first = f"/applications/{application.id}/questions/1"
    assert location(response) == first
    assert "application.started" in audit_actions(application.id)

    page = client.get(first).get_data(as_text=True)
    text = main_text(page)
    assert "Question 1 of 2" in text
    assert re.search(r"<h1[^>]*>\s*<label[^>]*>\s*Tell us about your experience", page)
    assert "Think about what went well." in text  # the question's hint
    assert "In your answer, show us: Lived experience of NHS services." in text  # its criteria
    assert 'data-maxwords="10"' in page  # the character count, counting words
    assert "You can enter up to 10 words" in text
    assert f'href="/roles/{role.id}"' in page  # back link to the role
    assert "novalidate" in page and 'name="csrf_token"' in page

    # Continue with an answer over the word limit: kept, refused with the count, same page.
    response = post(client, first, {"answer": TOO_LONG, "continue": ""})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    message = "Your answer must be 10 words or fewer. You have 13 words: 3 too many"
    assert error_at(page, "answer") == message
    assert summary_links(page) == [("#answer", message)]
    assert TOO_LONG in page
    assert "<title>Error: " in page
    assert db.session.scalar(select(Answer.text)) == TOO_LONG  # saved all the same

    # An empty answer is refused too.
    page = post(client, first, {"answer": "  ", "continue": ""}).get_data(as_text=True)
    assert error_at(page, "answer") == "Enter your answer"

    # A good answer: saved, and on to question 2.
    response = post(client, first, {"answer": GOOD, "continue": ""})
    assert location(response) == f"/applications/{application.id}/questions/2"
    page = client.get(location(response)).get_data(as_text=True)
    assert "Question 2 of 2" in main_text(page)
    assert f'href="{first}"' in page  # back to question 1
    assert GOOD in client.get(first).get_data(as_text=True)  # GET shows the saved answer

    response = post(
        client, f"/applications/{application.id}/questions/2", {"answer": "I ran a group."}
    )
    assert location(response) == f"/applications/{application.id}/file"

    # The optional file: skip it.
    page = client.get(f"/applications/{application.id}/file").get_data(as_text=True)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    response = post(client, f"/applications/{application.id}/file", {})
    assert location(response) == f"/applications/{application.id}/support"

    # Support: phone is needed for a phone call; what was typed is kept.
    support = f"/applications/{application.id}/support"
    page = client.get(support).get_data(as_text=True)
    text = main_text(page)
    assert "Disability Confident" in text
    assert "The people who score applications never see this answer." in text
    data = {
        "adjustments_application": "Large print, please",
        "adjustments_interview": "Questions in advance",
        "contact_method": "phone",
        "phone": "",
        "contact_times": "Mornings",
        "helped": "yes",
        "helped_by": "My sister",
        "guaranteed_interview": "y",
    }
    response = post(client, support, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "phone") == "Enter a phone number so we can call or text you"
    assert "Large print, please" in page and "My sister" in page and "Mornings" in page
    response = post(client, support, {**data, "phone": "07700 900123"})
    assert location(response) == f"/applications/{application.id}/check"

    # Check your answers: everything, each with a Change link naming what it changes.
    check = f"/applications/{application.id}/check"
    page = client.get(check).get_data(as_text=True)
    text = main_text(page)
    assert "Check your answers before sending your application" in text
    assert GOOD in text and "I ran a group." in text
    assert "No file added" in text
    assert "Large print, please" in text and "Questions in advance" in text
    assert "Phone call" in text and "07700 900123" in text and "My sister" in text
    assert "Yes, I would like to be considered under the scheme" in text
    assert f'href="/applications/{application.id}/questions/1?change=1"' in page
    assert f'href="/applications/{application.id}/questions/2?change=1"' in page
    assert "Change your answer to question 1" in text
    assert "Change your supporting file" in text
    assert f'href="/applications/{application.id}/support?change=1"' in page

    # A Change link goes back to check answers after saving.
    response = post(client, f"{first}?change=1", {"answer": GOOD + " Really."})
    assert location(response) == check

    # The declaration is needed.
    response = post(client, check, {})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "declaration") == "Confirm that the information you have given is true"
    assert fresh(application).status == "draft"
    assert emails_to(applicant.email) == []

    # Send: a reference, the confirmation page, one email with the reference.
    response = post(client, check, {"declaration": "y"})
    assert location(response) == f"/applications/{application.id}/confirmation"
    application = fresh(application)
    assert application.status == "submitted"
    assert re.fullmatch(r"LEP-20\d\d-\d{6}", application.reference)
    assert application.reference.endswith(f"{application.id:06d}")
    page = client.get(location(response)).get_data(as_text=True)
    assert "nhsuk-panel" in page
    text = main_text(page)
    assert "Application sent" in text and application.reference in text
    assert "What happens next" in text
    assert f'href="/applications/{application.id}/equality"' in page
    assert 'href="/dashboard"' in page
    mails = emails_to(applicant.email)
    assert len(mails) == 1
    assert application.reference in mails[0].subject and application.reference in mails[0].body_text
    assert "What happens next" in mails[0].body_text
    assert "application.submitted" in audit_actions(application.id)

    # The status page and the dashboard.
    text = main_text(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert application.reference in text
    assert "Sent: we will be in touch after the closing date" in text
    assert "Withdraw your application" in text
    text = main_text(client.get("/dashboard").get_data(as_text=True))
    assert "Lived Experience Partner" in text
    assert "Sent: we will be in touch after the closing date" in text

    # The journey's pages now lead to the status page; nothing can be changed.
    response = post(client, first, {"answer": "changed"})
    assert location(response) == f"/applications/{application.id}"
    assert fresh(application).answer_for(role.questions[0].id).text == GOOD + " Really."
    assert location(client.get(f"/roles/{role.id}/apply")) == f"/applications/{application.id}"


def _ready_to_send(client, role) -> Application:  # type: ignore[no-untyped-def]
    application = start(client, role)
    for n in (1, 2):
        post(client, f"/applications/{application.id}/questions/{n}", {"answer": GOOD})
    post(
        client,
        f"/applications/{application.id}/support",
        {"contact_method": "email", "helped": "no"},
    )
    return application


def test_sending_twice_makes_one_application_and_one_email(client, role, applicant):
    application = _ready_to_send(client, role)
    check = f"/applications/{application.id}/check"
    form = {"declaration": "y"}
    first = post(client, check, form)
    second = post(client, check, form)  # a double click, the back button, a second tab
    confirmation = f"/applications/{application.id}/confirmation"
    assert location(first) == confirmation and location(second) == confirmation
    count = db.session.scalar(
        select(func.count(Application.id)).where(Application.applicant_id == applicant.id)
    )
    assert count == 1
    assert len(emails_to(applicant.email)) == 1
    assert audit_actions(application.id).count("application.submitted") == 1
    # Starting again lands on the application already sent.
    assert location(client.get(f"/roles/{role.id}/apply")) == f"/applications/{application.id}"


def test_one_application_per_person_per_role(client, role, applicant):
    application = start(client, role)
    post(client, f"/applications/{application.id}/questions/1", {"answer": GOOD})
    again = client.get(f"/roles/{role.id}/apply")
    assert location(again) == f"/applications/{application.id}/questions/2"
    count = db.session.scalar(select(func.count(Application.id)))
    assert count == 1


def test_save_and_come_back_later_survives_signing_out(client, role, applicant):
    application = start(client, role)
    first = f"/applications/{application.id}/questions/1"
    response = post(client, first, {"answer": TOO_LONG, "later": ""})
    assert location(response) == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Your application has been saved" in main_text(page)
    assert "Not sent yet" in main_text(page)
    assert f'href="/applications/{application.id}"' in page

    post(client, "/sign-out")
    assert "/sign-in" in location(client.get(first))
    assert sign_in(client, applicant.email).status_code == 302

    # Back in: the answer is there, and starting again goes to the first step still to do.
    assert TOO_LONG in client.get(first).get_data(as_text=True)
    assert location(client.get(f"/roles/{role.id}/apply")) == first
    status = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Continue your application" in main_text(status)
    assert f'href="{first}"' in status


def test_check_answers_links_each_problem_to_its_page(client, role, applicant):
    application = start(client, role)
    post(client, f"/applications/{application.id}/questions/1", {"answer": TOO_LONG})
    check = f"/applications/{application.id}/check"
    page = client.get(check).get_data(as_text=True)
    assert "Before you can send your application" in main_text(page)
    response = post(client, check, {"declaration": ""})
    assert response.status_code == 200
    links = summary_links(response.get_data(as_text=True))
    assert links == [
        (
            f"/applications/{application.id}/questions/1?change=1",
            "Question 1: Your answer must be 10 words or fewer. You have 13 words: 3 too many",
        ),
        (f"/applications/{application.id}/questions/2?change=1", "Question 2: Enter your answer"),
        ("#declaration", "Confirm that the information you have given is true"),
    ]
    assert fresh(application).status == "draft"


def test_continue_goes_to_a_half_written_answer_not_the_next_one(client, role, applicant):
    """Question 1 answered and continued; question 2 half-written and saved for later: coming
    back goes to question 2 (not finished), not on to the file page (the first not started)."""
    application = start(client, role)
    first = f"/applications/{application.id}/questions/1"
    second = f"/applications/{application.id}/questions/2"
    post(client, first, {"answer": GOOD, "continue": ""})
    response = post(client, second, {"answer": "I once helped", "later": ""})
    assert location(response) == "/dashboard"

    assert location(client.get(f"/roles/{role.id}/apply")) == second
    status = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Continue your application" in main_text(status)
    assert f'href="{second}"' in status
    assert "I once helped" in client.get(second).get_data(as_text=True)

    # Finished with Continue: the next visit goes on to the step after the questions.
    post(client, second, {"answer": "I once helped run a group.", "continue": ""})
    assert location(client.get(f"/roles/{role.id}/apply")) == (
        f"/applications/{application.id}/file"
    )
    # Going back to question 1 and leaving it half-changed makes it the step to finish again.
    post(client, first, {"answer": "I have used", "later": ""})
    assert location(client.get(f"/roles/{role.id}/apply")) == first
