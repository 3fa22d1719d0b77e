"""The same sources give the same bytes: builds can be diffed, cached and deployed safely."""
from __future__ import annotations

from conftest import REPO, all_files, build_site, copy_sample, run_kbgen


def diff(first: dict[str, bytes], second: dict[str, bytes]) -> list[str]:
    names = set(first) ^ set(second)
    changed = [path for path in set(first) & set(second) if first[path] != second[path]]
    return sorted(names) + sorted(changed)


def test_two_builds_of_the_sample_are_byte_identical(tmp_path):
    # different folders, separate caches, processes with different hash seeds (set and dict
    # order of strings): no absolute path, clock time or ordering accident may show
    one = copy_sample(tmp_path / "one")
    two = copy_sample(tmp_path / "somewhere-else" / "two")
    for root, seed in ((one, "1"), (two, "2")):
        result = run_kbgen("build", cwd=root, env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
    first, second = all_files(one / "output"), all_files(two / "output")
    assert len(first) > 50
    assert diff(first, second) == []


def test_a_warm_rebuild_equals_a_cold_build(tmp_path):
    root = copy_sample(tmp_path / "site")
    assert build_site(root).exit_code == 0
    cold = all_files(root / "output")
    assert build_site(root).exit_code == 0          # cache and previous output reused
    assert diff(cold, all_files(root / "output")) == []
    assert build_site(root, "--output", str(tmp_path / "other")).exit_code == 0
    assert diff(cold, all_files(tmp_path / "other")) == []


def test_parallel_and_serial_builds_are_byte_identical(tmp_path):
    from conftest import article, make_site
    from kbgen.build import BuildOptions, build

    files = {}
    for number in range(130):  # enough pages for the parallel parse and render paths
        folder = f"topic-{number % 7}/sub-{number % 3}"
        files[f"en/{folder}/article-{number}.md"] = article(
            f"Article {number}", f"## Part {number}\n\nSee [next](article-{number + 7}.md).\n" if number + 7 < 130
            and (number + 7) % 21 == number % 21 else f"## Part {number}\n\nText {number}.\n",
            translationKey=f"k{number}", keywords=[f"kw{number % 5}"], date=f"2024-01-{number % 28 + 1:02d}")
        files[f"ja/{folder}/article-{number}.md"] = article(f"記事 {number}", f"本文 {number}。", translationKey=f"k{number}")
    root = make_site(tmp_path / "site", files)
    serial = build(root, BuildOptions(workers=1, use_cache=False, output_dir=tmp_path / "serial"))
    parallel = build(root, BuildOptions(workers=2, use_cache=False, output_dir=tmp_path / "parallel"))
    assert serial.articles == parallel.articles == {"en": 130, "ja": 130}
    assert diff(all_files(tmp_path / "serial"), all_files(tmp_path / "parallel")) == []


def test_an_incremental_rebuild_after_edits_equals_a_cold_build(tmp_path):
    """Reused pages (fingerprints, cache) must never keep what an edit elsewhere changed."""
    import re as regex

    root = copy_sample(tmp_path / "site")
    assert build_site(root).exit_code == 0
    assert build_site(root, "--audience", "internal").exit_code == 0

    def edit(relative: str, change) -> None:
        path = root / "content" / relative
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    # a title shown in other pages' lists and translation links, a category title shown in
    # every breadcrumb and sidebar, and a staff article made public
    edit("en/billing/plans-and-pricing.md", lambda text: regex.sub(r'(?m)^title: .*$', 'title: "Plans, prices and trials"', text, count=1))
    edit("ja/billing/_index.md", lambda text: regex.sub(r'(?m)^title: .*$', 'title: "料金とお支払い"', text, count=1))
    edit("en/billing/refund-escalation.md", lambda text: text.replace("internal: true\n", "", 1))
    for args, folder in (((), "output"), (("--audience", "internal"), "output-internal")):
        assert build_site(root, *args).exit_code == 0
        cold = tmp_path / ("cold-" + folder)
        result = run_kbgen("-C", str(root), "build", *args, "--output", str(cold), env={"PYTHONHASHSEED": "3"})
        assert result.returncode == 0, result.stderr
        incremental = all_files(root / folder)
        assert "Plans, prices and trials".encode() in incremental["en/billing/index.html"]
        assert diff(incremental, all_files(cold)) == []


def test_the_dev_server_build_after_edits_equals_a_cold_build(tmp_path):
    """kbgen serve rebuilds in one process with every cache warm; after edits to content, a
    template, the theme's strings and the config, its output equals a cold build's, byte for byte."""
    import re as regex
    import shutil

    from kbgen.build import BuildOptions, build
    from kbgen.buildcache import BuildCache

    root = copy_sample(tmp_path / "site")
    theme = root / "themes" / "classic"
    shutil.copytree(REPO / "themes" / "classic" / "templates", theme / "templates")
    (theme / "i18n").mkdir(parents=True)
    served = tmp_path / "served"
    options = BuildOptions(output_dir=served, in_place=True)     # what kbgen serve passes
    cache = BuildCache()                                         # the server's, kept between builds
    build(root, options, cache=cache)

    def edit(path, change) -> None:
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        build(root, options, cache=cache)

    edit(root / "content" / "en" / "billing" / "plans-and-pricing.md",
         lambda text: regex.sub(r'(?m)^title: .*$', 'title: "Plans, prices and trials"', text, count=1))
    for wording in ("Jump to the article", "Jump to the text"):          # the second edit too
        (theme / "i18n" / "en.toml").write_text(f'skip_to_content = "{wording}"\n', encoding="utf-8")
        build(root, options, cache=cache)
    template = next(p for p in sorted((theme / "templates").rglob("*.html")) if "</footer>" in p.read_text(encoding="utf-8"))
    edit(template, lambda text: text.replace("</footer>", "<p>edited footer</p></footer>", 1))
    edit(root / "kbgen.toml", lambda text: text.replace('title = "Orbit Desk Help Center"', 'title = "Orbit Desk Support"'))

    cold = tmp_path / "cold"
    result = run_kbgen("-C", str(root), "build", "--output", str(cold), env={"PYTHONHASHSEED": "5"})
    assert result.returncode == 0, result.stderr
    page = all_files(served)["en/index.html"].decode("utf-8")
    assert "Jump to the text" in page, "the second edit of the strings"
    assert "edited footer" in page and "Orbit Desk Support" in page, "the template and config edits"
    assert diff(all_files(served), all_files(cold)) == []


def test_the_dev_server_build_after_adding_and_deleting_articles_equals_a_cold_build(tmp_path):
    """Articles that come and go change lists, related links, translations and search data:
    serve's rebuilds (pages first, search afterwards) must end where a cold build does."""
    from kbgen.build import BuildOptions, build
    from kbgen.buildcache import BuildCache

    root = copy_sample(tmp_path / "site")
    served = tmp_path / "served"
    options = BuildOptions(output_dir=served, in_place=True, defer_search=True)
    cache = BuildCache()

    def rebuild() -> None:
        result = build(root, options, cache=cache)
        assert result.finish_search is not None
        result.finish_search()

    rebuild()
    billing = root / "content" / "en" / "billing"
    (billing / "card-declined.md").write_text(
        '---\ntitle: "Card declined at checkout"\nkeywords: [payment]\n---\n\n## Why\n\nThe bank said no. '
        'See [invoices](invoices.md).\n', encoding="utf-8")
    rebuild()
    assert "Card declined at checkout".encode() in all_files(served)["en/billing/index.html"]
    (root / "content" / "en" / "getting-started" / "keyboard-shortcuts.md").unlink()  # it has a translation
    rebuild()
    (billing / "card-declined.md").write_text(
        '---\ntitle: "Card declined"\n---\n\nThe bank said no.\n', encoding="utf-8")
    rebuild()

    cold = tmp_path / "cold"
    result = run_kbgen("-C", str(root), "build", "--output", str(cold), env={"PYTHONHASHSEED": "7"})
    assert result.returncode == 0, result.stderr
    served_files, cold_files = all_files(served), all_files(cold)
    assert "en/getting-started/keyboard-shortcuts/index.html" not in served_files
    served_files.pop("sw.js", None)   # the dev server writes no offline worker
    cold_files.pop("sw.js", None)
    assert diff(served_files, cold_files) == []


def test_builds_written_into_the_spare_folder_equal_a_cold_build_after_edits_and_a_hand_edit(tmp_path):
    """From the third build on, `kbgen build` writes into the previous output kept beside
    output/ (.output.spare) and swaps: unchanged pages are shared by hard links, so a page
    edited by hand in output/ must not survive into any later build."""
    import re as regex

    root = copy_sample(tmp_path / "site")
    page = root / "output" / "en" / "billing" / "invoices" / "index.html"
    plans = root / "content" / "en" / "billing" / "plans-and-pricing.md"
    for number in range(4):
        plans.write_text(regex.sub(r'(?m)^title: .*$', f'title: "Plans, take {number}"',
                                   plans.read_text(encoding="utf-8"), count=1), encoding="utf-8")
        assert build_site(root).exit_code == 0
        if number == 1:
            assert (root / ".output.spare").is_dir()
            with open(page, "ab") as handle:          # edited in place: the inode the spare may share
                handle.write(b"<!-- edited by hand -->")
    cold = tmp_path / "cold"
    result = run_kbgen("-C", str(root), "build", "--output", str(cold), env={"PYTHONHASHSEED": "9"})
    assert result.returncode == 0, result.stderr
    built = all_files(root / "output")
    assert b"edited by hand" not in built["en/billing/invoices/index.html"]
    assert "Plans, take 3".encode() in built["en/billing/index.html"]
    assert diff(built, all_files(cold)) == []
