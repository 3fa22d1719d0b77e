"""Errors a customer reads come in the page's language (Accept-Language), from the i18n strings."""
import re
import string
import tomllib
from pathlib import Path

import pytest
from starlette.requests import Request

from kbgen.api.errors import request_language

API = Path(__file__).resolve().parents[1] / "kbgen" / "api"
I18N = Path(__file__).resolve().parents[1] / "kbgen" / "i18n"


def request_with(accept_language: str | None) -> Request:
    headers = [] if accept_language is None else [(b"accept-language", accept_language.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.parametrize("header, lang", [
    (None, "en"), ("ja", "ja"), ("ja-JP,ja;q=0.9,en;q=0.8", "ja"), ("fr-CA, fr;q=0.9, ja;q=0.5, en;q=0.4", "ja"),
    ("en;q=0.2, ja;q=0.9", "ja"), ("de", "en"), ("ja;q=oops, en", "en"), ("*", "en"),
])
def test_the_language_is_the_first_site_language_the_request_names(header, lang):
    assert request_language(request_with(header), ("en", "ja")) == lang


@pytest.mark.parametrize("header, message", [
    ("ja", "メールアドレスまたはパスワードが正しくありません。"),
    ("en-GB", "The email or password is wrong."),
    (None, "The email or password is wrong."),
])
def test_a_wrong_password_is_answered_in_the_pages_language(api_client, header, message):
    headers = {} if header is None else {"Accept-Language": header}
    answer = api_client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "wrong wrong"},
                             headers=headers)
    assert answer.status_code == 401 and answer.json()["error"] == {"code": "bad_credentials", "message": message,
                                                                   "fields": []}


def test_an_error_with_a_value_keeps_it_in_every_language(api_client):
    for lang, expected in (("ja", "見つかりませんでした。"), ("en", "No such ticket.")):
        answer = api_client.get("/api/tickets/nope", headers={"Accept-Language": lang})
        assert answer.status_code == 404 and answer.json()["error"]["message"] == expected


def test_every_error_key_the_api_raises_has_its_words_in_every_bundled_language():
    used = set()
    for source in API.rglob("*.py"):
        used |= set(re.findall(r'user_error\(\s*\d+,\s*"[a-z_]+",\s*"([a-z_]+)"', source.read_text(encoding="utf-8")))
    assert len(used) >= 25
    tables = {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in I18N.glob("*.toml")}
    for key in sorted(used):
        english = tables["en"][f"api_error_{key}"]
        named = {name for _, name, _, _ in string.Formatter().parse(english) if name}
        for lang, table in tables.items():
            words = table.get(f"api_error_{key}")
            assert words, f"{lang}.toml has no api_error_{key}"
            extra = {name for _, name, _, _ in string.Formatter().parse(words) if name} - named
            assert not extra, f"{lang}.toml: api_error_{key} uses {extra}, which the error does not give"


def test_a_sites_rewording_is_used_and_a_broken_one_falls_back_to_the_bundled_words(tmp_path, api_db_url):
    from api_fixtures import BrowserClient, settings_for_tests
    from kbgen.api.app import create_app

    i18n = tmp_path / "themes" / "classic" / "i18n"
    i18n.mkdir(parents=True)
    (i18n / "ja.toml").write_text('api_error_bad_credentials = "ACME: {nope}"\n', encoding="utf-8")
    (i18n / "en.toml").write_text('api_error_bad_credentials = "ACME says: wrong email or password."\n', encoding="utf-8")
    (tmp_path / "kbgen.toml").write_text('theme = "classic"\n', encoding="utf-8")
    app = create_app(settings_for_tests(tmp_path, api_db_url, source=str(tmp_path / "kbgen.toml")))
    try:
        client = BrowserClient(app)
        said = {lang: client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "wrong wrong"},
                                  headers={"Accept-Language": lang}).json()["error"]["message"] for lang in ("en", "ja")}
        assert said == {"en": "ACME says: wrong email or password.", "ja": "メールアドレスまたはパスワードが正しくありません。"}
    finally:
        app.state.engine.dispose()
