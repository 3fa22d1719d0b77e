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


def _commit(target, slots, files: dict[str, bytes]) -> Output:
    output = Output()
    output.add("sitemap.xml", b"<urlset/>", "t")
    for path, data in files.items():
        output.add(path, data, "t")
    output.commit(target, slots=slots)
    return output


def test_builds_written_into_the_spare_folder_hold_exactly_each_build(tmp_path):
    """The previous output is kept beside the new one and the next build is written into it:
    every build still shows exactly its own files, nothing of the one before last."""
    target, slots = tmp_path / "output", tmp_path / "cache" / "slots.json"
    builds = [
        {"a/index.html": b"a1", "b/index.html": b"b1", "gone/index.html": b"g"},
        {"a/index.html": b"a2", "b/index.html": b"b1"},
        {"a/index.html": b"a2", "b/index.html": b"b3", "gone": b"a file where a folder was"},
        {"a/index.html": b"a4", "b/index.html": b"b3", "new/deep/index.html": b"n"},
        {"a/index.html": b"a4"},
    ]
    for files in builds:
        _commit(target, slots, files)
        assert all_files(target) == {"sitemap.xml": b"<urlset/>", **files}
    spare = tmp_path / ".output.spare"
    assert spare.is_dir(), "the previous output is kept to write the next build into"
    assert all_files(spare) == {"sitemap.xml": b"<urlset/>", **builds[-2]}
    assert not (spare / "gone").exists() and not (target / "new").exists(), "emptied folders go too"


def test_a_file_edited_by_hand_in_the_output_is_not_carried_into_later_builds(tmp_path):
    target, slots = tmp_path / "output", tmp_path / "cache" / "slots.json"
    files = {"a/index.html": b"built", "b/index.html": b"b"}
    _commit(target, slots, files)
    _commit(target, slots, files)
    (target / "a" / "index.html").write_bytes(b"edited by hand")   # the spare shares nothing it trusts
    for _ in range(3):
        _commit(target, slots, files)
        assert all_files(target)["a/index.html"] == b"built"


def test_a_failed_build_into_the_spare_keeps_the_output_and_the_next_build_is_whole(tmp_path):
    target, slots = tmp_path / "output", tmp_path / "cache" / "slots.json"
    for version in (b"1", b"2"):
        _commit(target, slots, {"a/index.html": version, "b/index.html": b"b"})
    broken = Output()
    broken.add("sitemap.xml", b"<urlset/>", "t")
    broken.add("a/index.html", b"3", "t")
    broken.copy("gone.pdf", tmp_path / "vanished.pdf", "content/en/vanished.pdf")
    with pytest.raises(OSError):
        broken.commit(target, slots=slots)
    assert all_files(target) == {"sitemap.xml": b"<urlset/>", "a/index.html": b"2", "b/index.html": b"b"}
    for version in (b"4", b"5"):
        _commit(target, slots, {"a/index.html": version, "c/index.html": b"c"})
        assert all_files(target) == {"sitemap.xml": b"<urlset/>", "a/index.html": version, "c/index.html": b"c"}


def test_an_output_replaced_by_a_build_without_the_cache_is_not_trusted(tmp_path):
    target, slots = tmp_path / "output", tmp_path / "cache" / "slots.json"
    for version in (b"1", b"2"):
        _commit(target, slots, {"a/index.html": version})
    _commit(target, None, {"a/index.html": b"other", "x/index.html": b"x"})   # `--no-cache`
    for version in (b"3", b"3"):
        _commit(target, slots, {"a/index.html": version})
        assert all_files(target) == {"sitemap.xml": b"<urlset/>", "a/index.html": version}


def test_without_an_atomic_exchange_the_spare_is_swapped_with_renames(tmp_path, monkeypatch):
    """macOS, Windows, or a file system without RENAME_EXCHANGE: three renames, same result."""
    import kbgen.writer as writer

    monkeypatch.setattr(writer, "_rename_exchange", lambda first, second: False)
    target, slots = tmp_path / "output", tmp_path / "cache" / "slots.json"
    for version in (b"1", b"2", b"3", b"4"):
        _commit(target, slots, {"a/index.html": version, f"only-{version.decode()}.html": version})
        assert all_files(target) == {"sitemap.xml": b"<urlset/>", "a/index.html": version,
                                     f"only-{version.decode()}.html": version}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".output.spare", "cache", "output"]
