"""End to end on the real sample knowledge base, under a base path."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlsplit

import pytest

from conftest import article, build_site, copy_sample, follow, read, tags

BASE = "https://example.com/help/"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = copy_sample(tmp_path_factory.mktemp("sample") / "site")
    report = root / "report.json"
    result = build_site(root, "--base-url", BASE, "--report", str(report))
    return root, result, json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}


@pytest.fixture(scope="module")
def out(sample):
    root, result, _ = sample
    assert result.exit_code == 0, result.output
    return root / "output"


def test_sample_builds_in_both_languages(sample):
    _, result, report = sample
    assert result.exit_code == 0, result.output
    assert report["articles"]["en"] >= 10 and report["articles"]["ja"] >= 10
    assert report["pages"]["en"] > report["articles"]["en"], "category and portal pages count as pages"
    assert report["errors"] == []


def test_sample_builds_without_warnings(sample):
    _, _, report = sample
    assert report.get("warnings") == [], "\n".join(f"{w['file']}:{w['line']}: {w['message']}" for w in report["warnings"])


def broken_links(out) -> list[str]:
    pages = [p for p in out.rglob("*.html") if p.name != "404.html"]
    assert pages
    broken = []
    for file in pages:
        for attrs in tags(read(file)):
            for name in ("href", "src"):
                value = attrs.get(name)
                if not value or value.startswith(("#", "http:", "https:", "mailto:", "data:", "tel:")):
                    continue
                if not follow(file, value).is_file():
                    broken.append(f"{file.relative_to(out)}: {value}")
    return broken


def test_every_link_on_every_page_resolves(out):
    assert broken_links(out) == []


@pytest.mark.parametrize("theme", ["minimalistic", "montana"])
def test_every_bundled_theme_builds_the_sample_with_working_links(tmp_path, theme):
    root = copy_sample(tmp_path / "site")
    config = root / "kbgen.toml"
    config.write_text(re.sub(r'(?m)^theme = .*$', f'theme = "{theme}"', config.read_text(encoding="utf-8")), encoding="utf-8")
    result = build_site(root, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert f"theme-{theme}" in read(root / "output/en/index.html")
    assert broken_links(root / "output") == []


def test_every_anchor_exists_on_its_target_page(out):
    missing = []
    for file in (out / "en").rglob("index.html"), (out / "ja").rglob("index.html"):
        for page in file:
            html = read(page)
            main = html[html.find("<main"):html.find("</main>")]
            for value in [a.get("href") for a in tags(main, "a")]:
                if not value or "#" not in value or value.startswith(("http:", "https:")):
                    continue
                path, fragment = value.split("#", 1)
                if not fragment:
                    continue
                target = follow(page, path) if path else page
                if f'id="{unquote(fragment)}"' not in read(target):
                    missing.append(f"{page.relative_to(out)}: {value}")
    assert missing == []


def test_in_page_links_are_relative_and_absolute_urls_use_the_base(out):
    for page in [out / "en/index.html", next((out / "ja").rglob("*/index.html"))]:
        html = read(page)
        for value in [a["href"] for a in tags(html, "a") if a.get("href")]:
            assert not value.startswith("/"), f"{page}: {value}"
            assert not value.startswith("https://example.com/"), f"{page}: {value}"
        canonical = [l["href"] for l in tags(html, "link") if l.get("rel") == "canonical"]
        assert canonical and canonical[0].startswith(BASE)


def test_sitemap_is_valid_and_every_url_exists(out):
    root = ET.parse(out / "sitemap.xml").getroot()
    locs = [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(locs) > 20
    for loc in locs:
        assert loc.startswith(BASE)
        path = unquote(urlsplit(loc).path)[len("/help/"):]
        assert (out / path / "index.html").is_file() or (out / path).is_file(), loc
    hreflang = list(root.iter("{http://www.w3.org/1999/xhtml}link"))
    assert hreflang, "translations are announced"
    for link in hreflang:
        assert link.get("href").startswith(BASE)


def test_feeds_are_valid_atom(out):
    for lang in ("en", "ja"):
        feed = ET.parse(out / lang / "feed.xml").getroot()
        entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
        assert entries
        for entry in entries:
            href = entry.find("{http://www.w3.org/2005/Atom}link").get("href")
            assert href.startswith(BASE + lang + "/")


def test_404_page_works_at_any_depth(out):
    html = read(out / "404.html")
    links = [a["href"] for a in tags(html, "a") if a.get("href") and not a["href"].startswith("#")]
    links += [l["href"] for l in tags(html, "link") if l.get("href")]
    assert links and all(v.startswith("/help/") or v.startswith(BASE) for v in links), links


def test_site_files(out):
    assert (out / "robots.txt").read_text() .endswith(f"Sitemap: {BASE}sitemap.xml\n")
    assert (out / "index.html").is_file()
    assert (out / "assets/kbgen/kbgen.js").is_file() and (out / "assets/kbgen/pygments.css").is_file()
    assert (out / "en/search.html").is_file() and (out / "ja/search.html").is_file()
    for app in ("tickets", "account", "community", "feedback", "roadmap"):
        assert (out / "en" / "_portal" / app / "index.html").is_file()


def test_internal_build_adds_staff_articles(sample, tmp_path):
    root, _, report = sample
    internal_report = tmp_path / "internal.json"
    result = build_site(root, "--audience", "internal", "--report", str(internal_report))
    assert result.exit_code == 0, result.output
    internal = json.loads(internal_report.read_text(encoding="utf-8"))
    assert sum(internal["articles"].values()) > sum(report["articles"].values()), "the sample has staff-only articles"
    badges = [p for p in (root / "output-internal").rglob("index.html") if "kb-badge-internal" in read(p)]
    assert badges


def test_the_search_cache_lives_in_one_folder_not_search_search(site):
    root = site({"en/a.md": article("A", "Some words."), "ja/a.md": article("A ja", "言葉")})
    assert build_site(root).exit_code == 0
    cache = root / ".kbgen-cache" / "search"
    assert any(cache.glob("*.pickle")), sorted(p.relative_to(root).as_posix() for p in cache.rglob("*"))
    assert not (cache / "search").exists()


def test_a_broken_search_install_fails_the_build_instead_of_a_site_without_search(site, monkeypatch):
    import sys

    root = site({"en/a.md": article("A"), "ja/a.md": article("A ja")})
    monkeypatch.setitem(sys.modules, "kbgen.search", None)   # what `import lunr` failing inside it looks like
    result = build_site(root)
    assert result.exit_code == 1
    assert "the search index cannot be built" in result.output and "Traceback" not in result.output
    assert not (root / "output").exists(), "nothing is published"


def test_a_build_runs_without_the_cyclic_collector_and_gives_it_back_even_when_it_fails(site, monkeypatch):
    """The collector's full passes over a site held in memory cost a fifth of a rebuild after an
    edit at 10,000 articles (kbgen benchmark); a caller's collector must not stay off afterwards."""
    import gc

    from kbgen import build as build_module

    root = site({"en/a.md": article("A", "Some words."), "ja/a.md": article("A ja", "言葉")})
    seen = []
    real_load_content = build_module.load_content

    def recording_load_content(*args, **kwargs):
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise build_module.KbgenError("broken on purpose")
        return real_load_content(*args, **kwargs)

    monkeypatch.setattr(build_module, "load_content", recording_load_content)
    assert gc.isenabled()
    assert build_site(root).exit_code == 0
    assert gc.isenabled()
    assert build_site(root).exit_code == 1
    assert gc.isenabled()
    gc.disable()
    try:   # a caller that paused it (kbgen serve) finds it paused
        build_module.build(root, build_module.BuildOptions(write=False))
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [False, False, False]
