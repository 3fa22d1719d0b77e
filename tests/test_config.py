"""kbgen.toml: every mistake names the file and the dotted key; unknown keys are warnings."""
from __future__ import annotations

import re

import pytest

from conftest import BASE_CONFIG, article, build_site, make_site
from kbgen.config import load_config
from kbgen.errors import ConfigError


def write_config(tmp_path, text: str):
    (tmp_path / "kbgen.toml").write_text(text, encoding="utf-8")
    return tmp_path


def config_error(tmp_path, text: str) -> str:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    return caught.value.format_message()


def test_valid_config_is_read_with_defaults(tmp_path):
    config = load_config(write_config(tmp_path, BASE_CONFIG.replace("https://example.com/", "https://example.com/help")))
    assert config.base_url == "https://example.com/help/"
    assert config.base_path == "/help/"
    assert list(config.languages) == ["en", "ja"]
    assert config.languages["ja"].name == "日本語"
    assert config.content_dir == tmp_path / "content"
    assert config.output_dir == tmp_path / "output"
    assert config.internal_output_dir == tmp_path / "output-internal"
    assert config.warnings == []


def test_missing_config_file_says_how_to_start(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = caught.value.format_message()
    assert "kbgen.toml" in message and "kbgen init" in message


def test_toml_syntax_error_names_the_line(tmp_path):
    message = config_error(tmp_path, 'title = "x"\nbase_url = "https://e.com/"\nthis is not toml\n')
    assert message.startswith("kbgen.toml:3:")
    assert "invalid TOML" in message


@pytest.mark.parametrize("snippet, key", [
    ('recent_count = "many"\n', "recent_count"),
    ('base_url = "ftp://example.com/"\n', "base_url"),
    ('default_language = "fr"\n', "default_language"),
    ('[widgets.w]\nlanguage = "de"\ncategories = ["a"]\n', "widgets.w.language"),
    ('[widgets.w]\nlanguage = "en"\ncategories = [1, 2]\n', "widgets.w.categories"),
    ('related_count = -1\n', "related_count"),
])
def test_wrong_values_name_the_key(tmp_path, snippet, key):
    text = BASE_CONFIG
    if snippet.startswith(("base_url", "default_language")):
        name = snippet.split(" ")[0]
        text = "\n".join(line for line in text.splitlines() if not line.startswith(name + " ")) + "\n"
        text = snippet + text
    elif not snippet.startswith("["):
        text = snippet + text
    else:
        text = text + snippet
    message = config_error(tmp_path, text)
    setting = key.split(".")[-1]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(setting + " ") or t.startswith("[" + key))
    assert f"kbgen.toml:{line}: error: {key}:" in message, "file, line and key"


def test_language_field_errors_name_the_nested_key(tmp_path):
    message = config_error(tmp_path, BASE_CONFIG.replace('name = "English"', "name = 3"))
    assert "languages.en.name" in message
    assert "expected a str" in message


def test_all_config_errors_are_reported_together(tmp_path):
    text = 'base_url = "nope"\nrecent_count = "x"\n[languages.en]\nname = 1\n'
    message = config_error(tmp_path, text)
    for key in ("base_url", "recent_count", "languages.en.name"):
        assert f"error: {key}:" in message


def test_unknown_keys_are_warnings_naming_the_key(tmp_path):
    config = load_config(write_config(tmp_path, "titel = 'typo'\n" + BASE_CONFIG + "[search]\nprecache = 3\n"))
    fields = {p.field for p in config.warnings}
    assert fields == {"titel", "search.precache"}
    assert all(p.severity == "warning" and p.file == "kbgen.toml" for p in config.warnings)


def test_unknown_key_warning_shown_by_build_and_fatal_with_strict(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A")}, config=BASE_CONFIG + "colour = 'blue'\n")
    result = build_site(root)
    assert result.exit_code == 0
    assert "colour" in result.output and "unknown option" in result.output
    assert (root / "output" / "en" / "a" / "index.html").is_file()

    (root / "output").rename(root / "previous")
    strict = build_site(root, "--strict")
    assert strict.exit_code != 0
    assert "colour" in strict.output
    assert not (root / "output").exists()


def test_unknown_theme_is_a_config_error(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A")}, config=BASE_CONFIG.replace('"classic"', '"no-such-theme"'))
    result = build_site(root)
    assert result.exit_code != 0
    assert "theme" in result.output and "no-such-theme" in result.output and "classic" in result.output


def test_folders_are_relative_to_the_config_file(tmp_path):
    config = load_config(write_config(tmp_path, 'content_dir = "docs"\noutput_dir = "public"\n' + BASE_CONFIG))
    assert config.content_dir == tmp_path / "docs"
    assert config.output_dir == tmp_path / "public"


@pytest.mark.parametrize("text", ['title = "x"\n', 'title = "x"\n[languages]\n'])
def test_a_site_needs_a_language(tmp_path, text):
    message = config_error(tmp_path, text)
    assert re.search(r"kbgen\.toml(:2)?: error: languages: no language is configured", message), "the [languages] line when there is one"
    assert "[languages.en]" in message


def test_a_missing_site_folder_is_named_in_the_message(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "typo")
    assert str(tmp_path / "typo") in str(raised.value), "with -C, the reader must see which folder was searched"


def test_a_problem_names_the_line_of_its_key_even_in_the_second_of_several_tables():
    from kbgen.config import key_line

    text = ('title = "x"\n[api]\ndatabse_url = "x"\n[[tickets.fields]]\nname = "a"\n[[tickets.fields]]\nname = "b"\n'
            'nme = 1\n[chat]\nhours = { mon = "9-5" }\n')
    assert [key_line(text, key) for key in ("title", "api.databse_url", "tickets.fields[0].name", "tickets.fields[1].name",
                                            "tickets.fields[1].nme", "tickets.fields[1].label", "chat.hours.mon", "nope")] \
        == [1, 3, 5, 7, 8, 6, 10, None]


def test_checks_on_the_disk_still_run_next_to_value_errors(tmp_path):
    text = ('recent_count = "many"\noutput_dir = "content"\n' + BASE_CONFIG
            + '[markdown]\nextensions = ["no_such_extension_kbgen"]\n[api]\nsession_days = "30"\n[chat]\nposition = "top"\n')
    message = config_error(tmp_path, text)
    for key in ("recent_count", "output_dir", "markdown.extensions", "api.session_days", "chat.position"):
        assert f"error: {key}:" in message, (key, message)
