"""The kbgen command as a writer uses it."""
from __future__ import annotations

import json
import re

from conftest import all_files, article, build_site, make_site, run_cli, run_kbgen


def test_init_then_build_in_a_real_process(tmp_path):
    created = run_kbgen("init", str(tmp_path / "kb"))
    assert created.returncode == 0, created.stderr
    assert "kbgen serve" in created.stderr
    built = run_kbgen("build", cwd=tmp_path / "kb")
    assert built.returncode == 0, built.stderr
    lines = built.stderr.strip().splitlines()
    assert len(lines) == 1, "one summary line"
    assert re.match(r"Built 2 articles \(en 1, ja 1\), \d+ files into .*output in \d+\.\d\d s — 0 warnings\.$", lines[0])
    assert built.stdout == ""
    assert (tmp_path / "kb/output/en/index.html").is_file() and (tmp_path / "kb/output/ja/index.html").is_file()


def test_new_article_then_build(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A")})
    result = run_cli("-C", str(root), "new", "Using SSO", "--lang", "ja", "--category", "Sign-in/Security")
    assert result.exit_code == 0, result.output
    path = root / "content/ja/sign-in/security/using-sso.md"
    assert result.output.strip() == str(path)
    assert path.is_file()
    built = build_site(root)
    assert built.exit_code == 0, built.output
    assert (root / "output/ja/sign-in/security/using-sso/index.html").is_file()


def test_check_writes_nothing_and_fails_on_a_broken_link(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A", "[b](b.md)"), "en/b.md": article("B")})
    ok = run_cli("-C", str(root), "check")
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("Checked 2 articles")
    assert "no ja translation" in ok.output
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == ["content", "kbgen.toml"]
    (root / "content/en/b.md").unlink()
    broken = run_cli("-C", str(root), "check")
    assert broken.exit_code == 1
    assert "content/en/a.md:5" in broken.output and "b.md" in broken.output
    assert not (root / "output").exists()


def test_report_file(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A", "{{< youtube x >}}"), "ja/a.md": article("あ"),
                                       "ja/b.md": article("い")})
    result = build_site(root, "--report", str(tmp_path / "report.json"))
    assert result.exit_code == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["articles"] == {"en": 1, "ja": 2}
    # per language: the articles plus home, search, the five portal pages and the five
    # redirects from their old addresses
    assert report["pages"] == {"en": 1 + 7 + 5, "ja": 2 + 7 + 5}
    assert report["audience"] == "public"
    assert [w["file"] for w in report["warnings"]] == ["content/en/a.md"]
    assert report["errors"] == []
    assert {"config", "content", "structure", "render", "write"} <= set(report["timings"])
    assert report["files"] == len(all_files(root / "output"))


def test_report_of_a_failed_build_lists_the_errors(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": "---\nweight: heavy\n---\n"})
    result = build_site(root, "--report", str(tmp_path / "report.json"))
    assert result.exit_code == 1
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [(e["file"], e["field"]) for e in report["errors"]] == [("content/en/a.md", "weight")]


def test_quiet_prints_nothing_on_success_but_errors_on_failure(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A", "{{< youtube x >}}")})
    assert build_site(root).output.count("\n") >= 2   # a warning and the summary
    quiet = run_cli("-C", str(root), "--quiet", "build")
    assert quiet.exit_code == 0 and quiet.output == ""
    (root / "content/en/a.md").write_text("---\ndraft: maybe\n---\n", encoding="utf-8")
    failed = run_cli("-C", str(root), "-q", "build")
    assert failed.exit_code == 1 and "draft" in failed.output


def test_output_option_and_internal_default_folder(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A"), "en/staff.md": article("Staff", internal=True)})
    assert build_site(root, "--output", str(tmp_path / "elsewhere")).exit_code == 0
    assert (tmp_path / "elsewhere/en/a/index.html").is_file()
    assert not (root / "output").exists()
    result = build_site(root, "--audience", "internal")
    assert result.exit_code == 0
    assert "output-internal" in result.output
    assert (root / "output-internal/en/staff/index.html").is_file()
    assert not (root / "output").exists()


def test_drafts_option(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A"), "en/d.md": article("D", draft=True)})
    assert build_site(root).exit_code == 0
    assert not (root / "output/en/d").exists()
    assert build_site(root, "--drafts").exit_code == 0
    assert (root / "output/en/d/index.html").is_file()


def test_version_and_help():
    assert re.match(r"kbgen, version \d+\.\d+", run_cli("--version").output)
    help_text = run_cli("--help").output
    for command in ("build", "check", "init", "new", "serve"):
        assert command in help_text


def test_running_outside_a_site_says_what_to_do(tmp_path):
    result = run_kbgen("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "kbgen.toml" in result.stderr and "kbgen init" in result.stderr
    assert "Traceback" not in result.stderr


def test_base_url_option_is_validated(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A")})
    result = build_site(root, "--base-url", "example.com/help")
    assert result.exit_code == 1
    assert "--base-url" in result.output and "absolute http(s) URL" in result.output
    assert not (root / "output").exists()
    assert build_site(root, "--base-url", "https://example.com/help").exit_code == 0
    assert 'href="https://example.com/help/en/a/"' in (root / "output/en/a/index.html").read_text(encoding="utf-8")
