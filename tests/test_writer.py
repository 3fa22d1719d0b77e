"""The writer: one owner per output path, and a failed build never damages the previous output."""
from __future__ import annotations

import pytest

from conftest import all_files, article, build_site, make_site
from kbgen.errors import OutputConflict
from kbgen.writer import Output


def test_two_sources_for_one_path_are_refused_naming_both():
    output = Output()
    output.add("en/a/index.html", b"one", "content/en/a.md")
    with pytest.raises(OutputConflict) as caught:
        output.add("/en/a/index.html", b"two", "an alias of en/b/")
    message = caught.value.format_message()
    assert "output/en/a/index.html" in message
    assert "content/en/a.md" in message and "an alias of en/b/" in message


@pytest.mark.parametrize("first, second", [("en/feed.xml", "en/feed.xml/index.html"),
                                           ("en/feed.xml/index.html", "en/feed.xml")])
def test_a_file_and_a_folder_of_one_name_conflict(first, second):
    output = Output()
    output.add(first, b"1", "the first")
    with pytest.raises(OutputConflict) as caught:
        output.add(second, b"2", "the second")
    assert "the first" in caught.value.format_message() and "the second" in caught.value.format_message()


def test_paths_outside_the_output_folder_are_refused():
    with pytest.raises(OutputConflict):
        Output().add("en/../../etc/passwd", b"x", "content/en/evil.md")


def test_commit_replaces_the_previous_output_completely(tmp_path):
    target = tmp_path / "output"
    first = Output()
    first.add("old.html", b"old", "t")
    first.add("keep/index.html", b"1", "t")
    first.add("sitemap.xml", b"<urlset/>", "t")
    first.commit(target)
    source = tmp_path / "file.pdf"
    source.write_bytes(b"%PDF")
    second = Output()
    second.add("keep/index.html", b"2", "t")
    second.add("sitemap.xml", b"<urlset/>", "t")
    second.copy("en/file.pdf", source, "content/en/file.pdf")
    assert second.commit(target) == 3
    assert all_files(target) == {"keep/index.html": b"2", "en/file.pdf": b"%PDF", "sitemap.xml": b"<urlset/>"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.pdf", "output"], "no staging folders left behind"


def test_failure_while_writing_keeps_the_old_output(tmp_path):
    target = tmp_path / "output"
    old = Output()
    old.add("index.html", b"previous", "t")
    old.add("sitemap.xml", b"<urlset/>", "t")
    old.commit(target)
    broken = Output()
    broken.add("index.html", b"new", "t")
    broken.copy("gone.pdf", tmp_path / "vanished.pdf", "content/en/vanished.pdf")
    with pytest.raises(OSError):
        broken.commit(target)
    assert all_files(target) == {"index.html": b"previous", "sitemap.xml": b"<urlset/>"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_conflicting_sources_in_a_build_fail_and_keep_the_old_output(tmp_path):
    root = make_site(tmp_path / "site", {"en/a.md": article("A"), "en/b.md": article("B")})
    assert build_site(root).exit_code == 0
    before = all_files(root / "output")
    # an alias onto a file the build writes itself (the feed) can only be caught by the writer
    (root / "content/en/b.md").write_text(article("B", aliases=["/en/feed.xml"]), encoding="utf-8")
    result = build_site(root)
    assert result.exit_code != 0
    assert "two sources claim output/en/feed.xml" in result.output
    assert "feed" in result.output and "en/b/" in result.output
    assert "Traceback" not in result.output
    assert all_files(root / "output") == before


def test_a_folder_that_is_not_a_previous_build_is_never_replaced(tmp_path):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("years of work")
    output = Output()
    output.add("sitemap.xml", b"<urlset/>", "t")
    with pytest.raises(OutputConflict, match="not a kbgen output folder"):
        output.commit(documents)
    assert all_files(documents) == {"thesis.txt": b"years of work"}
    empty = tmp_path / "empty"
    empty.mkdir()
    output.commit(empty)
    assert all_files(empty) == {"sitemap.xml": b"<urlset/>"}


@pytest.mark.parametrize("where", [".", "content", "content/en/out", "themes", ".."])
def test_build_refuses_to_write_over_the_sources(tmp_path, where):
    root = make_site(tmp_path / "site", {"en/a.md": article("A")})
    (root / "themes").mkdir()
    def sources():
        return {path: data for path, data in all_files(tmp_path).items() if ".kbgen-cache" not in path}

    before = sources()
    result = build_site(root, "--output", str(root / where))
    assert result.exit_code == 1
    assert "--output" in result.output and "choose a folder of its own" in result.output
    assert sources() == before


def test_configured_output_dir_over_the_content_is_a_config_error(tmp_path):
    from conftest import BASE_CONFIG
    root = make_site(tmp_path / "site", {"en/a.md": article("A")}, config='output_dir = "content"\n' + BASE_CONFIG)
    result = build_site(root)
    assert result.exit_code == 1
    assert "kbgen.toml:1: error: output_dir:" in result.output and "content folder" in result.output
    assert (root / "content/en/a.md").is_file()
