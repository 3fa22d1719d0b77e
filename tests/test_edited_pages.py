"""kbgen serve's head start: an edit to articles' text alone shows their new pages before the
whole site is rebuilt, with the bytes a cold build gives them; any other edit is left to the
full rebuild, and the open tab reloads once per save."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import all_files, copy_sample, run_kbgen
from kbgen.build import BuildOptions, build
from kbgen.buildcache import BuildCache
from kbgen.edited_pages import render_edited_articles

PLANS = "content/en/billing/plans-and-pricing.md"
PASSWORD_JA = "content/ja/account-security/password-reset.md"


@pytest.fixture
def served(tmp_path):
    """The sample, built as kbgen serve builds it (in place, one cache kept between builds)."""
    root = copy_sample(tmp_path / "site")
    output = tmp_path / "served"
    options = BuildOptions(output_dir=output, in_place=True, defer_search=True)
    cache = BuildCache()
    result = build(root, options, cache=cache)
    result.finish_search()
    return Served(root, output, options, cache, result.site)


class Served(tuple):
    # A failing test's report prints its arguments: the site model's repr (articles naming their
    # related articles) would take minutes.
    def __new__(cls, *parts):
        return super().__new__(cls, parts)

    def __repr__(self) -> str:
        return f"<served site {self[0]}>"


def edit(path: Path, change) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def cold_build(root: Path, output: Path) -> dict[str, bytes]:
    result = run_kbgen("-C", str(root), "build", "--output", str(output))
    assert result.returncode == 0, result.stderr
    return all_files(output)


def test_an_edit_to_the_text_of_two_articles_writes_their_cold_build_pages_first(served, tmp_path):
    root, output, options, cache, site = served
    before = all_files(output)
    edit(root / PLANS, lambda text: text.replace("Light agents are free on every plan.",
                                                 "Light agents are free on every plan, **always**."))
    edit(root / PASSWORD_JA, lambda text: text + "\n## 追記\n\nサポートにお問い合わせください。\n")

    shown = render_edited_articles(site, [root / PLANS, root / PASSWORD_JA], output, cache)

    written = sorted(shown or {})
    assert written == ["en/billing/plans-and-pricing/index.html", "ja/account-security/password-reset/index.html"]
    now = all_files(output)
    assert sorted(path for path in now if now[path] != before.get(path)) == written, "those two pages, nothing else"
    cold = cold_build(root, tmp_path / "cold")
    for path in written:
        assert now[path] == cold[path] == shown[path]
    assert b"free on every plan, <strong>always</strong>." in now[written[0]]
    assert "追記".encode() in now[written[1]], "the new heading, in the page and its table of contents"

    result = build(root, options, cache=cache)   # the full rebuild that follows
    result.finish_search()
    assert sorted(path for path in result.rewritten if path.endswith(".html")) == written, \
        "it rendered the edited pages again itself, and no other page changed"
    served_files = all_files(output)
    served_files.pop("sw.js", None), cold.pop("sw.js", None)   # the dev server writes no offline worker
    assert sorted(p for p in served_files if served_files[p] != cold.get(p)) == []
    assert sorted(set(cold) - set(served_files)) == []


@pytest.mark.parametrize("change", [
    pytest.param(lambda text: re.sub(r'(?m)^title: .*$', 'title: "Plans and prices"', text, count=1),
                 id="title, shown in lists"),
    pytest.param(lambda text: text.replace("weight: 1\n", "weight: 2\n"), id="weight, the order of lists"),
    pytest.param(lambda text: text.replace("lastmod: 2026-10-01", "lastmod: 2026-11-01"), id="date, in lists and feeds"),
    pytest.param(lambda text: text.replace("keywords: [pricing,", "keywords: [prices, pricing,"),
                 id="keywords, related lists"),
    pytest.param(lambda text: text + "\nSee [invoices](invoices.md).\n", id="a new link, to resolve and check"),
    pytest.param(lambda text: text + "\nSee [nothing](missing.md).\n", id="a broken link, an error"),
    pytest.param(lambda text: text.replace("---\n\n", "internal: true\n---\n\n", 1), id="now internal"),
    pytest.param(lambda text: text.replace("---\n\n", "draft: maybe\n---\n\n", 1), id="a front matter error"),
])
def test_an_edit_other_pages_may_show_is_left_to_the_full_rebuild(served, change):
    root, output, _, cache, site = served
    before = all_files(output)
    edit(root / PLANS, change)
    assert render_edited_articles(site, [root / PLANS], output, cache) is None
    assert all_files(output) == before, "nothing written"
    assert site.articles_by_source["en/billing/plans-and-pricing.md"].source.title == "Plans and pricing"


def test_the_side_files_editors_write_and_remove_do_not_stop_the_head_start(served):
    """vim saves through "4913" and "a.md~", JetBrains through "a.md___jb_tmp___": the watcher
    reports them, gone by then, beside the article. A backup still there is taken for content."""
    root, output, _, cache, site = served
    edit(root / PLANS, lambda text: text + "\nSaved from vim.\n")
    folder = root / "content/en/billing"
    gone = [folder / "4913", folder / "plans-and-pricing.md~", folder / "plans-and-pricing.md___jb_tmp___"]
    assert sorted(render_edited_articles(site, [root / PLANS, *gone], output, cache) or {}) == \
        ["en/billing/plans-and-pricing/index.html"]
    (folder / "plans-and-pricing.md~").write_text("a backup vim kept", encoding="utf-8")
    assert render_edited_articles(site, [root / PLANS, folder / "plans-and-pricing.md~"], output, cache) is None
    assert render_edited_articles(site, [root / PLANS, folder / "invoices.pdf"], output, cache) is None, \
        "a file that is gone but is no editor's is left to the full rebuild"


def test_files_that_are_not_built_articles_are_left_to_the_full_rebuild(served):
    root, output, _, cache, site = served
    new = root / "content/en/billing/new-article.md"
    new.write_text('---\ntitle: "New"\n---\n\nNew text.\n', encoding="utf-8")
    internal = root / "content/en/billing/refund-escalation.md"   # internal: not in the public build
    edit(internal, lambda text: text + "\nMore.\n")
    section = root / "content/en/billing/_index.md"
    edit(section, lambda text: text + "\nMore.\n")
    gone = root / "content/en/billing/invoices.md"
    gone.unlink()
    template = root / "themes/classic/templates/article.html"
    before = all_files(output)
    for changed in ([new], [internal], [section], [gone], [root / "kbgen.toml"], [template],
                    [root / "content/en/billing/diagram.png"], [root / PLANS, new]):
        assert render_edited_articles(site, changed, output, cache) is None, changed
    assert all_files(output) == before


def test_serve_reloads_the_tab_once_per_save_with_the_edited_page_in_place_first(served, monkeypatch):
    from kbgen import serve

    root, output, options, _, _ = served
    state = serve.SiteState(root, output, options)
    state.rebuild()
    page = output / "en/billing/plans-and-pricing/index.html"
    seen = []
    real_build = serve.build

    def recording_build(*args, **kwargs):
        seen.append((state.version, page.read_bytes()))   # what the tab shows while the site rebuilds
        return real_build(*args, **kwargs)

    monkeypatch.setattr(serve, "build", recording_build)
    edit(root / PLANS, lambda text: text + "\nA sentence added while serving.\n")
    version = state.version
    state.rebuild("", [root / PLANS])
    assert seen == [(version + 1, page.read_bytes())], "announced before the full rebuild, with the new page"
    assert b"A sentence added while serving." in page.read_bytes()
    assert state.version == version + 1, "one reload: the full rebuild changed no other page"
    assert 0 < state.pages_seconds < state.site_seconds < state.search_seconds

    edit(root / PLANS, lambda text: re.sub(r'(?m)^title: .*$', 'title: "Plans and prices"', text, count=1))
    seen.clear()
    state.rebuild("", [root / PLANS])
    assert seen[0][0] == version + 1, "a title edit waits for the full rebuild"
    assert state.version == version + 2
    assert "Plans and prices".encode() in (output / "en/billing/index.html").read_bytes()
    assert state.pages_seconds == state.site_seconds


def test_when_the_head_start_got_a_page_wrong_the_full_rebuild_wins_and_the_tab_reloads_again(served, monkeypatch):
    """The full rebuild does not take the head start's bytes for its own: it renders the page
    again, and if the bytes differ (a gap in what the head start compares), the tab reloads."""
    from kbgen import serve

    root, output, options, _, _ = served
    state = serve.SiteState(root, output, options)
    state.rebuild()

    def wrong_head_start(*args):   # as if it had missed something the page shows
        shown = render_edited_articles(*args)
        for path in shown:
            shown[path] = shown[path].replace(b"</main>", b"<p>stale</p></main>")
            (output / path).write_bytes(shown[path])
        return shown

    monkeypatch.setattr(serve, "render_edited_articles", wrong_head_start)
    edit(root / PLANS, lambda text: text + "\nA sentence added while serving.\n")
    version = state.version
    state.rebuild("", [root / PLANS])
    page = (output / "en/billing/plans-and-pricing/index.html").read_bytes()
    assert b"A sentence added while serving." in page and b"<p>stale</p>" not in page
    assert state.version == version + 2, "reloaded with the head start's page, then with the right one"
