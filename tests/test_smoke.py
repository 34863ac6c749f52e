from tests.conftest import sign_in


def test_home_page_shows_service_name(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "Lived experience roles" in page.get_data(as_text=True)


def test_demo_user_can_sign_in(client, make_user):
    user = make_user("hr")
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
