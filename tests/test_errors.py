"""What a writer sees when something is wrong: every problem of the run at once, each with
file, line where known and what to do; a non-zero exit; no traceback; the previous output
untouched."""
from __future__ import annotations

import re

import pytest

from conftest import BASE_CONFIG, all_files, article, build_site, make_site, run_cli, run_kbgen

BROKEN = {
    "en/bad-yaml.md": "---\ntitle: A\ndescription: [oops\n---\nx\n",
    "en/bad-draft.md": "---\ntitle: T\ndraft: maybe\n---\nx\n",
    "fr/x.md": article("X"),
    "en/one.md": article("One", slug="same"),
    "en/same.md": article("Same"),
    "en/latin.md": "---\ntitle: Caf\xe9\n---\n".encode("latin-1"),
    "en/linker.md": article("Linker", "Intro\n\n[gone](missing.md)"),
}


@pytest.fixture(scope="module")
def failed(tmp_path_factory):
    root = make_site(tmp_path_factory.mktemp("errors") / "site",
                     {"en/good.md": article("Good", "[ok](other.md)"), "en/other.md": article("Other")})
    first = run_kbgen("build", cwd=root)
    assert first.returncode == 0, first.stderr
    before = all_files(root / "output")
    make_site(root, BROKEN)
    result = run_kbgen("build", cwd=root)
    return root, before, result


def lines_about(stderr: str, file: str) -> list[str]:
    return [line for line in stderr.splitlines() if file in line and ": error:" in line]


def test_exit_code_and_no_traceback(failed):
    _, _, result = failed
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "File \"" not in result.stderr
    assert result.stdout == ""


def test_all_problems_in_one_message(failed):
    _, _, result = failed
    assert "6 error(s): nothing was written; the previous output is unchanged." in result.stderr
    for file in ("content/en/bad-yaml.md", "content/en/bad-draft.md", "content/fr/", "content/en/same.md",
                 "content/en/latin.md", "content/en/linker.md"):
        assert lines_about(result.stderr, file), f"{file} not reported"
    # every problem says what to do
    assert result.stderr.count("\n    → ") == 6


@pytest.mark.parametrize("file, location, words", [
    ("content/en/bad-yaml.md", r":[34]: ", ["YAML"]),
    ("content/en/bad-draft.md", ":3: ", ["draft", "expected bool"]),
    ("content/en/latin.md", ":2: ", ["UTF-8"]),
    ("content/en/linker.md", ":7: ", ["broken link", "missing.md"]),
    ("content/en/one.md", ":3: ", ["slug", "/en/same/", "content/en/same.md"]),
    ("content/fr/", ": ", ["unknown language", "fr"]),
])
def test_each_problem_is_located_and_explained(failed, file, location, words):
    _, _, result = failed
    [line] = lines_about(result.stderr, file)
    assert re.search(re.escape(file) + location, line), line
    for word in words:
        assert word in line


def test_previous_output_is_left_byte_for_byte(failed):
    root, before, _ = failed
    assert all_files(root / "output") == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".output")] == []


def test_config_errors_name_the_key_without_traceback(tmp_path):
    make_site(tmp_path, {"en/a.md": article("A")}, config=BASE_CONFIG.replace('theme = "classic"', "theme = 3"))
    result = run_kbgen("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "kbgen.toml:3: error: theme: expected a str, got int 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_strict_turns_warnings_into_errors(tmp_path):
    root = make_site(tmp_path, {"en/a.md": article("A", "{{< youtube x >}}")})
    assert build_site(root).exit_code == 0
    before = all_files(root / "output")
    result = build_site(root, "--strict")
    assert result.exit_code == 1
    assert "content/en/a.md:5: error: Hugo shortcode {{< youtube >}} is not supported" in result.output
    assert all_files(root / "output") == before


def test_error_is_said_once_per_problem(failed):
    _, _, result = failed
    for line in result.stderr.splitlines():
        assert not line.startswith("Error:"), line
        assert line.lower().count("error") <= 2 or "error(s)" in line, line  # "error:" (+ a message's own word)


def test_check_says_what_it_checked_and_that_it_wrote_nothing(tmp_path, failed):
    root, _, _ = failed
    result = run_kbgen("check", cwd=root)
    assert result.returncode == 1
    assert "error(s) found by kbgen check (it writes nothing)." in result.stderr
    assert "previous output" not in result.stderr
    good = make_site(tmp_path / "good", {"en/a.md": article("A", "[b](b.md)"), "en/b.md": article("B"),
                                         "ja/a.md": article("あ")})
    result = run_kbgen("check", cwd=good)
    assert result.returncode == 0, result.stderr
    assert "Checked 3 articles (en 2, ja 1): front matter, categories, 1 links and anchors, 1 translation pairs" \
        in result.stderr and "nothing written" in result.stderr
    assert not (good / "output").exists()


def test_quiet_after_the_subcommand(tmp_path):
    root = make_site(tmp_path, {"en/a.md": article("A", "{{< youtube x >}}")})
    for flag in ("-q", "--quiet"):
        result = run_kbgen("build", flag, cwd=root)
        assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "warning" in run_kbgen("build", cwd=root).stderr


def test_shortcode_warning_has_line_and_hint(tmp_path):
    root = make_site(tmp_path, {"en/a.md": article("A", "Intro.\n\n{{< youtube x >}}\n\n{{< youtube y >}}")})
    result = run_kbgen("build", cwd=root)
    [line] = [l for l in result.stderr.splitlines() if "youtube" in l]
    assert line.startswith("content/en/a.md:7: warning: Hugo shortcode {{< youtube >}}")
    assert "[markdown] extensions" in result.stderr


def test_a_template_typo_is_reported_with_template_and_line(tmp_path):
    root = make_site(tmp_path, {
        "en/a.md": article("A"), "en/b.md": article("B"),
        "/themes/classic/templates/article.html": '{% extends "base.html" %}\n{% block main %}\n'
                                                  '<h1>{{ article.titel }}</h1>{{ article.html|safe }}\n{% endblock %}\n'})
    env = {"KBGEN_STRICT_TEMPLATES": "0"}
    result = run_kbgen("build", cwd=root, env=env)
    assert result.returncode == 0
    [line] = [l for l in result.stderr.splitlines() if "titel" in l]
    assert line.startswith("template article.html:3: warning:") and "no attribute 'titel'" in line
    result = run_kbgen("build", "--strict", cwd=root, env=env)
    assert result.returncode == 1 and "template article.html:3: error:" in result.stderr


def test_draft_link_is_a_warning_and_the_text_stays(tmp_path):
    root = make_site(tmp_path, {"en/a.md": article("A", "See [the draft](d.md) soon."), "en/d.md": article("D", draft=True)})
    result = build_site(root)
    assert result.exit_code == 0
    assert "content/en/a.md:5: warning: links to draft content/en/d.md" in result.output
    html = (root / "output/en/a/index.html").read_text(encoding="utf-8")
    assert "the draft" in html and "d.md" not in html and "kbgen-link" not in html


def test_a_bug_in_kbgen_is_a_message_with_the_way_to_a_traceback(tmp_path, monkeypatch, capsys):
    import kbgen.build
    from kbgen import cli

    def explode(*args, **kwargs):
        raise RuntimeError("something kbgen did not expect")

    root = make_site(tmp_path, {"en/a.md": article("A")})
    monkeypatch.setattr(kbgen.build, "build", explode)
    monkeypatch.setattr("sys.argv", ["kbgen", "-C", str(root), "build"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: something kbgen did not expect" in err
    assert "--debug" in err and "Traceback" not in err
    monkeypatch.setattr("sys.argv", ["kbgen", "-C", str(root), "--debug", "build"])
    with pytest.raises(RuntimeError):
        cli.main()


def test_problems_with_and_without_lines_in_one_file_are_listed_in_order(tmp_path):
    root = make_site(tmp_path, {
        "en/a.md": article("A", "{{< youtube x >}}\n\n[gone](gone.md)", slug="b"),
        "en/b.md": article("B"),
    })
    result = build_site(root)   # the URL clash has no line, the broken link has one
    assert result.exit_code == 1
    located = [line for line in result.output.splitlines() if line.startswith(("content/", "Error: content/"))]
    assert len(located) == 3
    assert "claims the URL /en/b/" in result.output and "broken link 'gone.md'" in result.output
    strict = run_cli("-C", str(root), "check", "--strict")
    assert strict.exit_code == 1 and "Hugo shortcode" in strict.output


def test_an_unknown_theme_is_reported_with_the_content_problems(tmp_path):
    root = make_site(tmp_path / "site", {"en/no-title.md": "---\ntitle: [oops\n---\nx\n"},
                     config=BASE_CONFIG.replace('theme = "classic"', 'theme = "clasic"'))
    result = build_site(root)
    assert result.exit_code != 0
    assert "unknown theme 'clasic'" in result.output and "title" in result.output, \
        "both problems in one run, not one per attempt"


def test_a_link_to_a_file_with_broken_front_matter_is_not_called_missing(tmp_path):
    root = make_site(tmp_path / "site", {
        "en/broken.md": "---\ntitle: \"unclosed\n---\nx\n",
        "en/linker.md": article("Linker", "See [broken](broken.md)."),
    })
    result = build_site(root)
    assert result.exit_code != 0 and "invalid YAML" in result.output
    assert "does not exist" not in result.output, "the file exists: only its own error is news to the writer"
