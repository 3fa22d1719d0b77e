"""Accounts, sessions, CSRF, rate limits, body limits, error format and security headers."""
import re

from kbgen.api.mailer import read_outbox
from kbgen.api.settings import Rate
from api_fixtures import BrowserClient, PASSWORD


def register(client, email="ann@example.com", password=PASSWORD, **extra):
    return client.post("/api/auth/register", json={"email": email, "password": password, **extra})


def test_register_sign_out_and_sign_in_again(api_client):
    response = register(api_client, name="Ann")
    assert response.status_code == 201
    assert response.json()["user"]["role"] == "customer"
    assert api_client.get("/api/session").json()["user"]["email"] == "ann@example.com"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert api_client.post("/api/auth/logout").status_code == 204
    assert api_client.get("/api/session").json()["user"] is None
    api_client.sign_in("ANN@example.com")
    assert api_client.get("/api/session").json()["user"]["name"] == "Ann"


def test_wrong_password_and_unknown_account_get_the_same_answer(api_client):
    register(api_client)
    wrong = api_client.post("/api/auth/login", json={"email": "ann@example.com", "password": "not the password"})
    unknown = api_client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_duplicate_email_is_a_field_error(api_client, new_client):
    register(api_client)
    response = register(new_client())
    assert response.status_code == 409
    assert response.json()["error"]["fields"][0]["field"] == "email"


def test_validation_errors_name_each_field(api_client):
    response = api_client.post("/api/auth/register", json={"email": "not-an-email", "password": "short", "extra": 1})
    assert response.status_code == 422
    fields = {f["field"]: f["reason"] for f in response.json()["error"]["fields"]}
    assert "valid email" in fields["email"]
    assert "8 characters" in fields["password"]
    assert "extra" in fields


def test_password_reset_link_works_once(api_client, api_settings, new_client):
    register(api_client)
    other_browser = new_client().sign_in("ann@example.com")
    assert api_client.post("/api/auth/password-reset", json={"email": "ann@example.com", "lang": "ja"}).status_code == 202
    # unknown accounts get the same answer and no mail
    assert api_client.post("/api/auth/password-reset", json={"email": "x@example.com"}).status_code == 202
    mails = read_outbox(api_settings)
    assert len(mails) == 1 and mails[0]["To"] == "ann@example.com"
    link = re.search(r"http\S+", mails[0].get_body(("plain",)).get_content()).group(0)
    assert "/ja/_portal/account/#reset=" in link
    token = link.split("#reset=")[1]
    anonymous = new_client()
    done = anonymous.post("/api/auth/password-reset/confirm", json={"token": token, "password": "a brand new secret"})
    assert done.status_code == 200
    again = anonymous.post("/api/auth/password-reset/confirm", json={"token": token, "password": "another secret!"})
    assert again.status_code == 400 and again.json()["error"]["fields"][0]["field"] == "token"
    assert other_browser.get("/api/session").json()["user"] is None   # old sessions are signed out
    assert anonymous.post("/api/auth/login", json={"email": "ann@example.com", "password": "a brand new secret"}).status_code == 200


def test_expired_reset_link_is_refused(api_client, api_app, api_settings):
    from datetime import timedelta

    from kbgen.api.db import utcnow
    from kbgen.api.models import PasswordReset

    register(api_client)
    api_client.post("/api/auth/password-reset", json={"email": "ann@example.com"})
    token = read_outbox(api_settings)[0].get_body(("plain",)).get_content().split("#reset=")[1].split()[0]
    with api_app.state.kb.sessions() as db:
        for reset in db.query(PasswordReset):
            reset.expires_at = utcnow() - timedelta(minutes=1)
        db.commit()
    response = api_client.post("/api/auth/password-reset/confirm", json={"token": token, "password": "a brand new secret"})
    assert response.status_code == 400


def test_state_changes_need_the_csrf_token(api_client):
    response = api_client.post("/api/auth/register", csrf=False,
                               json={"email": "ann@example.com", "password": PASSWORD})
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    forged = api_client.post("/api/auth/register", csrf=False, headers={"X-CSRF-Token": "abc.def"},
                             json={"email": "ann@example.com", "password": PASSWORD})
    assert forged.status_code == 403


def test_a_foreign_origin_is_refused_even_with_a_token(api_client):
    response = api_client.post("/api/auth/register", origin="https://evil.example",
                               json={"email": "ann@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert "another site" in response.json()["error"]["message"]


def test_logout_needs_csrf_too(make_user):
    ann = make_user("ann@example.com")
    assert ann.post("/api/auth/logout", csrf=False).status_code == 403
    assert ann.get("/api/session").json()["user"] is not None


def test_sign_in_is_rate_limited_per_ip(api_app, api_client):
    api_app.state.kb.settings = api_app.state.kb.settings.with_overrides(rates={"signin": Rate(3, 60)})
    codes = [api_client.post("/api/auth/login", json={"email": f"u{i}@example.com", "password": "whatever1"}).status_code
             for i in range(5)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    limited = api_client.post("/api/auth/login", json={"email": "x@example.com", "password": "whatever1"})
    assert int(limited.headers["retry-after"]) > 0


def test_password_reset_is_rate_limited(api_app, api_client):
    api_app.state.kb.settings = api_app.state.kb.settings.with_overrides(rates={"password_reset": Rate(2, 3600)})
    codes = [api_client.post("/api/auth/password-reset", json={"email": "a@example.com"}).status_code for _ in range(3)]
    assert codes == [202, 202, 429]


def test_oversized_body_is_refused_before_parsing(api_client):
    response = api_client.post("/api/auth/login", content=b"{" + b" " * 400_000 + b"}",
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_security_headers_on_api_and_pages(api_client):
    api = api_client.get("/api/session")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in api.headers["content-security-policy"]
    assert api.headers["referrer-policy"] == "same-origin"
    page = api_client.get("/agent/")
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_unknown_endpoint_and_openapi(api_client):
    response = api_client.get("/api/does-not-exist")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    schema = api_client.get("/api/openapi.json").json()
    assert "/api/auth/login" in schema["paths"]


def test_disabled_staff_cannot_sign_in(api_app, make_user):
    from kbgen.api.models import User

    make_user("agent@example.com", role="agent")
    with api_app.state.kb.sessions() as db:
        db.query(User).filter_by(email="agent@example.com").one().disabled = True
        db.commit()
    response = BrowserClient(api_app).post("/api/auth/login", json={"email": "agent@example.com", "password": PASSWORD})
    assert response.status_code == 401


def test_signing_in_again_ends_the_previous_session(api_app, make_user):
    from kbgen.api.models import AuthSession

    ann = make_user("ann@example.com")
    ann.sign_in("ann@example.com")
    with api_app.state.kb.sessions() as db:
        assert db.query(AuthSession).count() == 1


def test_session_cookie_from_another_browser_is_not_enough_without_csrf(make_user, new_client):
    ann = make_user("ann@example.com")
    thief = new_client()
    thief.http.cookies.set("kb_session", ann.http.cookies.get("kb_session"))
    # a forged cross-site form post carries the session cookie but neither the token nor our Origin
    response = thief.post("/api/tickets", csrf=False, origin="https://evil.example",
                          data={"subject": "x", "body": "y", "department": "general"})
    assert response.status_code == 403
