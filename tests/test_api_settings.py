"""[api] and [tickets] of kbgen.toml: strict types, every problem at once with file, key and line,
unknown keys warned — and `kbgen check` reports them with the site's own problems."""
from __future__ import annotations

import pytest

from conftest import BASE_CONFIG, make_site, run_cli
from kbgen.api.settings import SettingsError, load_settings, settings_from_dict


def write(tmp_path, text: str):
    path = tmp_path / "kbgen.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_string_is_not_a_boolean(tmp_path):
    path = write(tmp_path, '[api]\ncookie_secure = "no"\n')
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert f"{path}:2: [api.cookie_secure] must be true or false (got 'no')" in error.value.message


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, '[api]\ncookie_secure = "yes"\nsession_days = 0\ntrust_proxy = 1\n\n'
                           '[api.rate_limits]\nsignin = "lots"\n\n[api.smtp]\nhost = "mail"\nstarttls = "on"\n')
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    message = error.value.message
    for line, key in ((2, "api.cookie_secure"), (3, "api.session_days"), (4, "api.trust_proxy"),
                      (7, "api.rate_limits.signin"), (11, "api.smtp.starttls")):
        assert f"{path}:{line}: [{key}]" in message, message


def test_a_misspelt_key_is_warned_not_silently_ignored(tmp_path, capsys):
    path = write(tmp_path, '[api]\ndatabse_url = "postgresql://db/kb"\n\n[api.smtp]\nhost = "mail"\nprot = 25\n\n'
                           '[[tickets.fields]]\nname = "order"\nrequierd = true\n')
    settings = load_settings(path)
    err = capsys.readouterr().err
    assert f"{path}:2: [api.databse_url] unknown option, ignored (did you mean `database_url`?)" in err
    assert f"{path}:6: [api.smtp.prot] unknown option" in err
    assert f"{path}:10: [tickets.fields[0].requierd] unknown option" in err
    assert settings.database_url.startswith("sqlite"), "the misspelt key is not read, but the owner is told"


def test_valid_settings_keep_their_values_and_warn_nothing(tmp_path):
    settings = settings_from_dict({"api": {"cookie_secure": False, "trust_proxy": True, "smtp": {"host": "m", "starttls": False}}},
                                  base_dir=tmp_path)
    assert (settings.cookie_secure, settings.trust_proxy, settings.smtp.starttls, settings.warnings) == (False, True, False, ())


def test_kbgen_check_validates_the_api_sections_with_the_site(tmp_path):
    root = make_site(tmp_path / "site", {"en/a.md": "---\ntitle: A\n---\nText.\n"},
                     config=BASE_CONFIG.replace('theme = "classic"', 'theme = "classic"\nrecent_count = "many"'),
                     config_extra='\n[api]\ncookie_secure = "no"\ndatabse_url = "sqlite:///x"\n\n[chat]\nposition = "top"\n')
    result = run_cli("-C", str(root), "check")
    assert result.exit_code != 0
    lines = (root / "kbgen.toml").read_text(encoding="utf-8").splitlines()

    def line_of(start: str) -> int:
        return next(i for i, text in enumerate(lines, 1) if text.startswith(start))

    assert f"kbgen.toml:{line_of('recent_count')}: error: recent_count" in result.output   # the site's own problem …
    assert f"kbgen.toml:{line_of('cookie_secure')}: error: api.cookie_secure: must be true or false" in result.output
    assert f"kbgen.toml:{line_of('databse_url')}: warning: api.databse_url: unknown option" in result.output
    assert f"kbgen.toml:{line_of('position')}: error: chat.position: must be one of" in result.output
    assert not (root / "var").exists(), "checking writes nothing (no development secret key)"
