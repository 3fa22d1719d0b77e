"""Property-based run of schemathesis over /api/openapi.json: whatever it sends, as an anonymous
visitor or as a signed-in admin with a valid CSRF token, the API never answers with a 5xx."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from kbgen.api.app import create_app
from kbgen.api.models import User
from kbgen.api.security import hash_password
from kbgen.api.settings import Rate
from api_fixtures import (PASSWORD, TEST_ORIGIN, BrowserClient, drop_postgres_schema, fresh_postgres_schema,
                               settings_for_tests)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzzed(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("schema")
    schema_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'api.sqlite3'}"
    else:
        base = os.environ.get("KBGEN_TEST_POSTGRES_URL")
        if not base:
            pytest.skip("KBGEN_TEST_POSTGRES_URL is not set")
        url, schema_name = fresh_postgres_schema(base)
    generous = {n: Rate(1_000_000, 60) for n in ("signin", "register", "password_reset", "submission", "rating")}
    app = create_app(settings_for_tests(tmp, url, rates=generous))
    with app.state.kb.sessions() as db:
        db.add(User(email="admin@example.com", name="Admin", password_hash=hash_password(PASSWORD), role="admin"))
        db.commit()
    admin = BrowserClient(app).sign_in("admin@example.com")
    token = admin.csrf_token()
    cookies = {"kb_session": admin.http.cookies.get("kb_session"), "kb_csrf": token}
    yield app, cookies, token
    app.state.engine.dispose()
    if schema_name:
        drop_postgres_schema(os.environ["KBGEN_TEST_POSTGRES_URL"], schema_name)


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    return schemathesis.openapi.from_asgi("/api/openapi.json", fuzzed[0])


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, phases=[Phase.explicit, Phase.generate], deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, fuzzed):
    _app, cookies, token = fuzzed
    # Logging out would end the admin session for the rest of the run.
    if case.path == "/api/auth/logout":
        return
    headers = {"X-CSRF-Token": token, "Origin": TEST_ORIGIN}
    # a signed-in admin reaches every handler; an anonymous visitor with a valid CSRF token
    # exercises the "not yours / not signed in" paths
    for as_admin in (True, False):
        response = case.call(base_url=TEST_ORIGIN, headers=headers,
                             cookies=cookies if as_admin else {"kb_csrf": token})
        assert response.status_code < 500, f"{case.method} {case.path} → {response.status_code}: {response.text[:500]}"
