"""HR role pages through the browser's eyes: write, edit, criteria, questions, publish, close."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.roles import services
from lep.roles.models import Criterion, Question, Role
from lep.roles.paytables import REFERENCE_TABLE, add_rates, create_rate_card, import_pay_table
from lep.roles.services import RoleInput
from tests.conftest import csrf_from
from tests.helpers import error_at, summary_links

NEXT_YEAR = utcnow().year + 1
HOURS_MESSAGE = "Hours a week must be more than 0 and no more than 37.5"

HARD_TEXT = (
    "The postholder will be expected to demonstrate comprehensive understanding of multifaceted "
    "organisational governance arrangements, facilitating collaborative stakeholder engagement "
    "initiatives and contributing substantively to the strategic prioritisation of "
    "transformational commissioning methodologies across interconnected integrated care "
    "partnerships. Responsibilities additionally encompass the interpretation of "
    "epidemiological intelligence and the operationalisation of co-production principles "
    "within institutional accountability frameworks."
)
PLAIN_TEXT = (
    "You will help us make our services better. You will go to meetings once a month. "
    "You will tell us what works and what does not. We will pay you for your time."
)


@pytest.fixture(autouse=True)
def pay_table():
    import_pay_table(REFERENCE_TABLE.read_text())


@pytest.fixture
def hr(make_user, login):
    user = make_user("hr")
    login(user)
    return user


def form_data(**changes) -> dict:
    data = {
        "title": "Lived Experience Partner",
        "team": "Mental health transformation",
        "summary": PLAIN_TEXT,
        "description": PLAIN_TEXT,
        "engagement_type": "employed",
        "band": "7",
        "rate_card_id": "",
        "hours_per_week": "15",
        "sessions_per_month": "",
        "location": "Leeds",
        "work_pattern": "hybrid",
        "posts": "2",
        "closing_date": f"{NEXT_YEAR}-03-23",
        "closing_time": "17:00",
        "contact_name": "Sam Jones",
        "contact_email": "sam.jones@example.org",
        "contact_phone": "0113 496 0000",
        "selection_method": "scored",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def post(client, url, data, page_url=None):
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    token = csrf_from(page.get_data(as_text=True))
    return client.post(url, data=dict(data, csrf_token=token))


def role_count() -> int:
    return db.session.scalar(select(func.count(Role.id))) or 0


def make_role(by, **changes) -> Role:
    data = RoleInput(
        title="Lived Experience Partner",
        engagement_type="employed",
        band="7",
        minutes_per_week=900,
        summary=PLAIN_TEXT,
        closes_at=utcnow() + dt.timedelta(days=14),
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return services.create_role(data, by)


# --- Writing and editing a role ---------------------------------------------------------------


def test_hr_creates_a_role_in_london_time(client, hr):
    response = post(client, "/hr/roles/new", form_data())
    assert response.status_code == 302
    role = db.session.scalar(select(Role))
    assert response.headers["Location"].endswith(f"/hr/roles/{role.id}")
    assert role.status == "draft"
    assert role.minutes_per_week == 900
    assert role.band == "7" and role.posts == 2 and role.work_pattern == "hybrid"
    # 23 March is GMT: 17:00 in London is 17:00 UTC.
    assert role.closes_at == dt.datetime(NEXT_YEAR, 3, 23, 17, 0, tzinfo=dt.UTC)
    assert role.created_by_id == hr.id

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.created"))
    assert event.subject_type == "role" and event.subject_id == str(role.id)
    assert event.actor_id == hr.id
    assert event.after["minutes_per_week"] == 900
    assert event.after["closes_at"] == f"{NEXT_YEAR}-03-23T17:00:00+00:00"


def test_closing_time_in_summer_is_british_summer_time(client, hr):
    response = post(client, "/hr/roles/new", form_data(closing_date=f"{NEXT_YEAR}-07-01"))
    assert response.status_code == 302
    role = db.session.scalar(select(Role))
    # 1 July is BST (UTC+1): 17:00 in London is 16:00 UTC.
    assert role.closes_at == dt.datetime(NEXT_YEAR, 7, 1, 16, 0, tzinfo=dt.UTC)
    page = client.get(f"/hr/roles/{role.id}").get_data(as_text=True)
    assert f"1 July {NEXT_YEAR} at 5pm" in page


@pytest.mark.parametrize(
    ("typed", "minutes"), [("7.5", 450), ("37.5", 2250), ("0.25", 15), (" 22.5 ", 1350)]
)
def test_hours_a_week_become_whole_minutes(client, hr, typed, minutes):
    assert post(client, "/hr/roles/new", form_data(hours_per_week=typed)).status_code == 302
    assert db.session.scalar(select(Role.minutes_per_week)) == minutes


def test_a_sessional_role_with_a_rate_card(client, hr):
    card = create_rate_card("NHS England PPV")
    add_rates(card, dt.date(2025, 4, 1), day_pence=15000, half_day_pence=7500)
    data = form_data(
        engagement_type="sessional",
        band="",
        rate_card_id=str(card.id),
        hours_per_week="",
        sessions_per_month="2",
    )
    assert post(client, "/hr/roles/new", data).status_code == 302
    role = db.session.scalar(select(Role))
    assert role.rate_card_id == card.id and role.band is None
    assert role.minutes_per_week is None and role.sessions_per_month == 2
    page = client.get(f"/hr/roles/{role.id}").get_data(as_text=True)
    assert "£150 for a day, £75 for half a day, plus your expenses." in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a job title"),
        ({"title": "x" * 201}, "title", "Job title must be 200 characters or fewer"),
        ({"hours_per_week": "40"}, "hours_per_week", HOURS_MESSAGE),
        ({"hours_per_week": "37.6"}, "hours_per_week", HOURS_MESSAGE),
        ({"hours_per_week": "0"}, "hours_per_week", HOURS_MESSAGE),
        ({"hours_per_week": "-3"}, "hours_per_week", HOURS_MESSAGE),
        ({"hours_per_week": "NaN"}, "hours_per_week", HOURS_MESSAGE),
        ({"hours_per_week": "1e999999999"}, "hours_per_week", HOURS_MESSAGE),
        ({"hours_per_week": "seven"}, "hours_per_week", "Enter hours a week as a number, like 7.5"),
        (
            {"hours_per_week": ""},
            "hours_per_week",
            "Enter the hours a week for an employed role",
        ),
        (
            {"sessions_per_month": "two"},
            "sessions_per_month",
            "Enter sessions a month as a whole number, like 2",
        ),
        (
            {"sessions_per_month": "99999999999999999999"},
            "sessions_per_month",
            "Sessions a month must be between 1 and 31",
        ),
        ({"posts": ""}, "posts", "Enter the number of posts"),
        ({"posts": "many"}, "posts", "Enter the number of posts as a whole number, like 1"),
        ({"posts": "0"}, "posts", "Number of posts must be 1 or more"),
        ({"posts": "99999999999999999999"}, "posts", "Number of posts must be 999 or fewer"),
        ({"closing_date": "2020-01-01"}, "closing_date", "Closing date must be in the future"),
        ({"closing_date": f"{NEXT_YEAR}-02-30"}, "closing_date", "Enter a real closing date"),
        ({"closing_date": "next Friday"}, "closing_date", "Enter a real closing date"),
        ({"closing_time": "25:00"}, "closing_time", "Enter a real closing time, like 17:00"),
        ({"closing_time": ""}, "closing_time", "Enter the closing time, like 17:00"),
        ({"closing_date": ""}, "closing_date", "Enter the closing date"),
        ({"band": "zz"}, "band", "Select a pay band from the list"),
        ({"band": "1"}, "band", "There is no pay table for Band 1 yet"),
        ({"band": ""}, "band", "Select the pay band for an employed role"),
        ({"engagement_type": None}, "engagement_type", "Select how the role is paid"),
        ({"engagement_type": "casual"}, "engagement_type", "Select how the role is paid"),
        (
            {"engagement_type": "sessional", "band": ""},
            "rate_card_id",
            "Select the rate card for a sessional role",
        ),
        ({"rate_card_id": "99999999999999"}, "rate_card_id", "Select a rate card from the list"),
        ({"work_pattern": "moon"}, "work_pattern", "Select where the work happens"),
        ({"selection_method": "dice"}, "selection_method", "Select how people will be chosen"),
        (
            {"contact_email": "not an email"},
            "contact_email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        (
            {"contact_phone": "0" * 41},
            "contact_phone",
            "Contact phone number must be 40 characters or fewer",
        ),
    ],
)
def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(client, hr, changes, field, message):
    response = post(client, "/hr/roles/new", form_data(**changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in error_at(page, field)
    assert any(href == f"#{field}" and message in text for href, text in summary_links(page))
    assert "<title>Error: " in page
    assert role_count() == 0
    assert 'value="Leeds"' in page  # what was typed is kept
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.created")) is None


def test_an_empty_form_gives_messages_not_a_crash(client, hr):
    page = client.get("/hr/roles/new").get_data(as_text=True)
    response = client.post("/hr/roles/new", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enter a job title" in html
    assert "Select how the role is paid" in html
    assert role_count() == 0


def test_only_bands_with_a_pay_table_are_offered(client, hr):
    page = client.get("/hr/roles/new").get_data(as_text=True)
    assert '<option value="7">Band 7 (£47,810 to £54,710 a year)</option>' in page
    assert '<option value="1">' not in page  # the 2025/26 table starts at Band 2
    assert 'type="date"' in page and 'type="time"' in page


def test_edit_shows_london_time_and_saves_an_audited_change(client, hr):
    role = make_role(hr, closes_at=dt.datetime(NEXT_YEAR, 7, 1, 16, 0, tzinfo=dt.UTC))
    page = client.get(f"/hr/roles/{role.id}/edit").get_data(as_text=True)
    assert f'value="{NEXT_YEAR}-07-01"' in page
    assert 'value="17:00"' in page
    assert 'value="15"' in page  # 900 minutes

    data = form_data(closing_date=f"{NEXT_YEAR}-07-01", hours_per_week="7.5", title="Partner")
    response = post(client, f"/hr/roles/{role.id}/edit", data)
    assert response.status_code == 302
    db.session.expire_all()
    role = db.session.get(Role, role.id)
    assert role.title == "Partner" and role.minutes_per_week == 450
    assert role.closes_at == dt.datetime(NEXT_YEAR, 7, 1, 16, 0, tzinfo=dt.UTC)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.updated"))
    assert event.before["minutes_per_week"] == 900 and event.after["minutes_per_week"] == 450
    assert "closes_at" not in event.after


def test_editing_a_role_whose_closing_date_passed_keeps_the_date(client, hr):
    role = make_role(hr)
    role.closes_at = utcnow().replace(microsecond=0) - dt.timedelta(days=3, seconds=17)
    db.session.commit()
    page = client.get(f"/hr/roles/{role.id}/edit").get_data(as_text=True)
    token = csrf_from(page)
    date = re.search(r'name="closing_date" type="date" value="([^"]+)"', page).group(1)
    time = re.search(r'name="closing_time" type="time" value="([^"]+)"', page).group(1)
    data = form_data(title="Renamed", closing_date=date, closing_time=time, csrf_token=token)
    response = client.post(f"/hr/roles/{role.id}/edit", data=data)
    assert response.status_code == 302, error_at(response.get_data(as_text=True), "closing_date")
    db.session.expire_all()
    assert db.session.get(Role, role.id).title == "Renamed"


def test_edit_errors_keep_what_was_typed_and_change_nothing(client, hr):
    role = make_role(hr)
    response = post(
        client, f"/hr/roles/{role.id}/edit", form_data(title="New title", hours_per_week="99")
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert HOURS_MESSAGE in error_at(page, "hours_per_week")
    assert 'value="New title"' in page and 'value="99"' in page
    db.session.expire_all()
    assert db.session.get(Role, role.id).title == "Lived Experience Partner"


def test_a_filled_role_cannot_be_edited(client, hr):
    role = make_role(hr)
    role.status = "filled"
    db.session.commit()
    response = post(client, f"/hr/roles/{role.id}/edit", form_data(title="Changed"))
    assert "This role is filled and can no longer be changed" in error_at(
        response.get_data(as_text=True), "title"
    )
    db.session.expire_all()
    assert db.session.get(Role, role.id).title == "Lived Experience Partner"


def test_list_filters_by_status_and_shows_london_closing_time(client, hr):
    make_role(hr, title="Draft role", closes_at=dt.datetime(NEXT_YEAR, 7, 1, 16, 0, tzinfo=dt.UTC))
    open_role = make_role(hr, title="Open role")
    open_role.status = "open"
    db.session.commit()
    page = client.get("/hr/roles").get_data(as_text=True)
    assert "Draft role" in page and "Open role" in page
    assert f"1 July {NEXT_YEAR} at 5pm" in page
    page = client.get("/hr/roles?status=open").get_data(as_text=True)
    assert "Open role" in page and "Draft role" not in page
    open_role.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    page = client.get("/hr/roles?status=open").get_data(as_text=True)
    assert "Closing date passed" in page
    page = client.get(f"/hr/roles/{open_role.id}").get_data(as_text=True)
    assert "The closing date has passed" in page
    page = client.get("/hr/roles?status=nonsense&page=99999999999999").get_data(as_text=True)
    assert "roles" in page


def test_unknown_roles_are_not_found(client, hr):
    for url in (
        "/hr/roles/999999",
        "/hr/roles/999999/edit",
        "/hr/roles/99999999999999999999",
        "/hr/roles/99999999999999999999/preview",
        "/hr/roles/0",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["panel", "finance", "applicant", "partner", "admin"])
def test_only_hr_can_use_the_role_pages(client, make_user, login, who):
    login(make_user(who))
    assert client.get("/hr/roles").status_code == 403
    assert client.get("/hr/roles/new").status_code == 403


def test_hr_sees_the_navigation_link(client, hr):
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/hr/roles"' in page


# --- The role's page: criteria, questions, readability, publishing ----------------------------


def add_criterion(client, role, **data):
    body = {"criterion-text": "", "criterion-essential": "yes", "criterion-stage": "application"}
    body.update(data)
    return post(client, f"/hr/roles/{role.id}/criteria", body, page_url=f"/hr/roles/{role.id}")


def add_question(client, role, **data):
    body = {"question-text": "", "question-hint": "", "question-word_limit": "250"}
    body.update(data)
    return post(client, f"/hr/roles/{role.id}/questions", body, page_url=f"/hr/roles/{role.id}")


def test_add_and_remove_criteria_and_questions(client, hr):
    role = make_role(hr)
    response = add_criterion(client, role, **{"criterion-text": "Lived experience of services"})
    assert response.status_code == 302
    response = add_criterion(
        client,
        role,
        **{"criterion-text": "Chairing meetings", "criterion-essential": "no"},
        **{"criterion-stage": "interview"},
    )
    assert response.status_code == 302
    first, second = db.session.scalars(select(Criterion).order_by(Criterion.position)).all()
    assert first.essential and first.stage == "application"
    assert not second.essential and second.stage == "interview"

    response = add_question(
        client,
        role,
        **{
            "question-text": "Tell us about your experience",
            "question-hint": "You do not need to share details you would rather keep private",
            "question-word_limit": "300",
            "question-criteria": [str(first.id), str(second.id)],
        },
    )
    assert response.status_code == 302
    question = db.session.scalar(select(Question))
    assert question.word_limit == 300
    assert {c.id for c in question.criteria} == {first.id, second.id}

    page = client.get(f"/hr/roles/{role.id}").get_data(as_text=True)
    assert "Tell us about your experience" in page and "Up to 300 words" in page
    assert "Chairing meetings" in page and "Desirable" in page

    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "role").order_by(AuditEvent.id)
    ).all()
    assert actions[-3:] == ["role.criterion_added", "role.criterion_added", "role.question_added"]

    response = post(
        client,
        f"/hr/roles/{role.id}/questions/remove",
        {"item_id": str(question.id)},
        page_url=f"/hr/roles/{role.id}",
    )
    assert response.status_code == 302
    response = post(
        client,
        f"/hr/roles/{role.id}/criteria/remove",
        {"item_id": str(second.id)},
        page_url=f"/hr/roles/{role.id}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Question.id))) == 0
    assert db.session.scalars(select(Criterion.id)).all() == [first.id]
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "role.criterion_removed")
    )


def test_removing_something_not_on_the_role_is_refused(client, hr):
    role = make_role(hr)
    for path, item in (("criteria", "999999"), ("questions", "nonsense")):
        response = post(
            client,
            f"/hr/roles/{role.id}/{path}/remove",
            {"item_id": item},
            page_url=f"/hr/roles/{role.id}",
        )
        assert response.status_code == 200
        assert "is not part of this role" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"criterion-text": ""}, "criterion-text", "Enter the criterion"),
        ({"criterion-text": "x" * 1001}, "criterion-text", "1,000 characters or fewer"),
        (
            {"criterion-text": "Kind", "criterion-stage": "later"},
            "criterion-stage",
            "Select when this is assessed",
        ),
        (
            {"criterion-text": "Kind", "criterion-essential": "maybe"},
            "criterion-essential",
            "Select whether it is essential or desirable",
        ),
    ],
)
def test_criterion_errors(client, hr, data, field, message):
    role = make_role(hr)
    response = add_criterion(client, role, **data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in error_at(page, field)
    assert any(href == f"#{field}" for href, _ in summary_links(page))
    assert db.session.scalar(select(func.count(Criterion.id))) == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"question-text": ""}, "question-text", "Enter the question"),
        ({"question-word_limit": "lots"}, "question-word_limit", "from 1 to 2,000"),
        ({"question-word_limit": "0"}, "question-word_limit", "from 1 to 2,000"),
        ({"question-word_limit": "99999999999999999999"}, "question-word_limit", "to 2,000"),
        ({"question-word_limit": ""}, "question-word_limit", "from 1 to 2,000"),
        ({"question-criteria": []}, "question-criteria", "Select at least one criterion"),
        ({"question-criteria": ["999999", "x"]}, "question-criteria", "Select at least one"),
    ],
)
def test_question_errors(client, hr, data, field, message):
    role = make_role(hr)
    criterion = services.add_criterion(role, "Lived experience", True, "application", hr)
    body = {"question-text": "Why?", "question-criteria": [str(criterion.id)]}
    body.update(data)
    response = add_question(client, role, **body)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in error_at(page, field)
    assert db.session.scalar(select(func.count(Question.id))) == 0


def publish(client, role):
    return post(client, f"/hr/roles/{role.id}/publish", {}, page_url=f"/hr/roles/{role.id}")


def status_of(role) -> str:
    db.session.expire_all()
    return db.session.get(Role, role.id).status


def test_publishing_is_refused_with_each_reason_then_allowed(client, hr):
    role = make_role(hr, closes_at=None)

    page = publish(client, role).get_data(as_text=True)
    assert "Add at least one essential criterion" in page
    assert "Set a closing date" in page
    assert ("#criteria", "Add at least one essential criterion") in summary_links(page)
    assert status_of(role) == "draft"

    add_criterion(client, role, **{"criterion-text": "Lived experience of services"})
    page = publish(client, role).get_data(as_text=True)
    assert "Add at least one essential criterion" not in page
    assert "Add a question that covers each essential criterion assessed at application" in page
    assert "Lived experience of services" in page
    assert status_of(role) == "draft"

    criterion = db.session.scalar(select(Criterion))
    add_question(
        client,
        role,
        **{"question-text": "Tell us", "question-criteria": [str(criterion.id)]},
    )
    page = publish(client, role).get_data(as_text=True)
    assert "Add a question that covers" not in page
    assert "Set a closing date" in page
    assert status_of(role) == "draft"
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.published")) is None
    )

    data = form_data(closing_date=f"{NEXT_YEAR}-03-23", closing_time="17:00")
    assert post(client, f"/hr/roles/{role.id}/edit", data).status_code == 302
    page = client.get(f"/hr/roles/{role.id}").get_data(as_text=True)
    assert "The role is ready to publish." in page
    response = publish(client, role)
    assert response.status_code == 302
    assert status_of(role) == "open"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.published"))
    assert event.actor_id == hr.id
    assert event.before == {"status": "draft"} and event.after["status"] == "open"


def test_publishing_problems_are_listed_on_the_page(client, hr):
    role = make_role(hr, closes_at=None)
    page = client.get(f"/hr/roles/{role.id}").get_data(as_text=True)
    assert "Before you can publish this role:" in page
    assert "Add at least one essential criterion" in page
    assert "Set a closing date" in page


def ready_role(hr) -> Role:
    role = make_role(hr)
    criterion = services.add_criterion(role, "Lived experience", True, "application", hr)
    services.add_question(role, "Tell us", "", 250, [criterion.id], hr)
    return role


def test_close_and_mark_filled(client, hr):
    role = ready_role(hr)
    assert publish(client, role).status_code == 302
    url = f"/hr/roles/{role.id}"
    assert post(client, f"{url}/close", {}, page_url=url).status_code == 302
    assert status_of(role) == "closed"
    assert post(client, f"{url}/filled", {}, page_url=url).status_code == 302
    assert status_of(role) == "filled"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == str(role.id))
    ).all()
    assert {"role.published", "role.closed", "role.filled"} <= set(actions)

    page = client.get(url).get_data(as_text=True)
    assert "Edit the role" not in page and "Add a criterion" not in page
    assert "The role is filled" in page


def test_refused_status_changes_are_shown_as_an_error_summary(client, hr):
    role = make_role(hr)
    url = f"/hr/roles/{role.id}"
    response = post(client, f"{url}/close", {}, page_url=url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Only an open role can be closed" in page
    response = post(client, f"{url}/filled", {}, page_url=url)
    assert "Only an open or closed role can be marked filled" in response.get_data(as_text=True)
    assert status_of(role) == "draft"


def test_status_changes_need_the_csrf_token(client, hr):
    role = ready_role(hr)
    assert client.post(f"/hr/roles/{role.id}/publish").status_code == 400
    assert status_of(role) == "draft"


def test_readability_warning_for_hard_text_only(client, hr):
    hard = make_role(hr, summary=HARD_TEXT)
    page = client.get(f"/hr/roles/{hard.id}").get_data(as_text=True)
    assert "Summary may be hard to read" in page
    # Plain words, never a raw Flesch score (which can be below 0).
    assert "It is very hard to read: most people would struggle with it." in page
    assert "reading ease score" not in page
    assert "The longest sentences:" in page
    assert "multifaceted organisational governance arrangements" in page

    plain = make_role(hr, summary=PLAIN_TEXT, description=PLAIN_TEXT)
    page = client.get(f"/hr/roles/{plain.id}").get_data(as_text=True)
    assert "may be hard to read" not in page
    assert re.search(r"Summary: (easy to read|plain English)\.", page)
    assert re.search(r"Full description: (easy to read|plain English)\.", page)
    assert "reading ease score" not in page


def test_preview_shows_the_role_as_applicants_see_it(client, hr):
    role = ready_role(hr)
    page = client.get(f"/hr/roles/{role.id}/preview").get_data(as_text=True)
    assert "Lived Experience Partner" in page
    assert "Band 7: £47,810 to £54,710 a year (2025/26 pay)." in page
    assert "15 hours a week" in page
    assert "Lived experience" in page and "What you need" in page
    assert "This is a preview" in page
