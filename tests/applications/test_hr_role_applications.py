"""The recruiting lead's list of a role's applications: support needs and the guaranteed
interview scheme are visible here (and only to HR)."""

from lep.applications import services
from lep.roles.demo import seed_roles


def sent_application(role, person, **support):
    application = services.start_application(role, person)
    for question in role.questions:
        services.save_answer(application, question, "I learned a lot and I share it kindly.")
    services.save_support(application, **support)
    services.submit(application, True)
    return application


def test_the_lead_sees_guaranteed_interview_and_adjustments(client, make_user, login):
    role = seed_roles()[0]
    person = make_user("applicant", full_name="Robin Example")
    sent = sent_application(
        role,
        person,
        guaranteed_interview=True,
        adjustments_interview="Questions in writing beforehand",
        contact_method="text",
        phone="07700 900123",
    )
    services.start_application(role, make_user("applicant"))  # a draft: counted, not listed
    login(make_user("hr"))
    html = client.get(f"/hr/roles/{role.id}/applications").get_data(as_text=True)
    assert sent.reference in html and "Robin Example" in html
    assert "Yes: disabled, asks to be considered" in html
    assert "Questions in writing beforehand" in html
    assert "Text message (07700 900123)" in html
    assert "1 person has started but not sent one" in html


def test_panel_members_cannot_see_the_list(client, make_user, login):
    role = seed_roles()[0]
    login(make_user("panel"))
    assert client.get(f"/hr/roles/{role.id}/applications").status_code == 403
    assert client.get("/hr/roles/999999/applications").status_code == 403
