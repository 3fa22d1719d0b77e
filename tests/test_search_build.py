"""The search stage without a browser: data files, widgets, cache, audiences, service worker."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kbgen.build import BuildOptions, build
from kbgen.search import build_search, build_service_worker
from kbgen.search import indexer, pipeline
from kbgen.search.indexer import data_payload, data_script
from search_corpus import generate

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "fixtures" / "search" / "site"
LANGUAGES = {"en": "English", "ja": "日本語"}


def payload(data: bytes, expected_id: str):
    file_id, found = data_payload(data)  # raises on anything but a script calling the shared callback
    assert file_id == expected_id
    return found


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_data_scripts_hand_a_javascript_engine_the_payload_as_written():
    """The payload goes through JSON.parse inside a JS string: quotes, backslashes, line and
    paragraph separators and CJK arrive unchanged, whether the file runs as a script (file://, the
    widget on another site) or is fetched and read by search-index.js's dataPayload (the portal)."""
    tricky = {"terms": ["it's", "back\\slash", 'say "hi"', "line\u2028para\u2029end", "改行\n", "\\u2028"], "n": [1, -2, 3.5]}
    script = data_script("search/en/t-x.js", tricky).decode("utf-8")
    runner = "let got; new Function('__kbSearchData', require('fs').readFileSync(0, 'utf8'))((id, p) => { got = [id, p]; });" \
             "process.stdout.write(JSON.stringify(got));"
    completed = subprocess.run(["node", "-e", runner], input=script, capture_output=True, text=True, check=True, encoding="utf-8")
    assert json.loads(completed.stdout) == ["search/en/t-x.js", tricky]
    assert data_payload(script.encode("utf-8")) == ("search/en/t-x.js", tricky)
    module = (Path(__file__).parent.parent / "kbgen" / "assets" / "js" / "search-index.js").as_uri()
    reader = (f"import {{ readFileSync }} from 'node:fs'; import {{ dataPayload }} from {json.dumps(module)};"
              "const text = readFileSync(0, 'utf8');"
              "process.stdout.write(JSON.stringify([dataPayload(text, 'search/en/t-x.js'), dataPayload(text, 'search/en/t-y.js'),"
              " dataPayload(text.slice(0, -2), 'search/en/t-x.js')]));")
    completed = subprocess.run(["node", "--input-type=module", "-e", reader],
                               input=script, capture_output=True, text=True, check=True, encoding="utf-8")
    assert json.loads(completed.stdout) == [tricky, None, None]   # another file's name, a cut-off file: not it


def all_text(output: Path, folder: str) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (output / folder).rglob("*.js"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    base = tmp_path_factory.mktemp("audiences")
    public, internal = base / "public", base / "internal"
    build(SITE, BuildOptions(output_dir=public, use_cache=False, workers=1))
    build(SITE, BuildOptions(output_dir=internal, audience="internal", use_cache=False, workers=1))
    return public, internal


def test_every_data_file_is_a_script_that_names_itself(outputs):
    public, _ = outputs
    files = sorted(p for p in (public / "search").rglob("*.js")) + sorted((public / "widgets").rglob("*/*.js"))
    assert len(files) >= 6
    for path in files:
        payload(path.read_bytes(), path.relative_to(public).as_posix())


def test_a_data_files_name_is_the_hash_of_what_it_ships_so_it_changes_with_its_content(outputs):
    """Browsers and the service worker keep `t-`, `d-` and `v-` files forever: a file whose content
    changed under the same name would serve stale results."""
    import hashlib

    public, _ = outputs
    named = [p for p in (public / "search").rglob("*.js") if re.fullmatch(r"[tdv]-[0-9a-f]{10}\.js", p.name)]
    assert {p.name[0] for p in named} == {"t", "d", "v"}
    for path in named:
        shipped = json.dumps(payload(path.read_bytes(), path.relative_to(public).as_posix()),
                             ensure_ascii=False, separators=(",", ":"))
        assert path.name[2:12] == hashlib.sha1(shipped.encode("utf-8")).hexdigest()[:10], path


def test_internal_articles_are_only_in_the_internal_build(outputs):
    public, internal = outputs
    assert "zephyrin" not in all_text(public, "search")
    assert "Unlocking a locked account" not in all_text(public, "search")
    assert "zephyrin" in all_text(internal, "search")  # stemmed term in the internal index
    assert "Unlocking a locked account" in all_text(internal, "search")


def test_widget_data_holds_only_its_categories(outputs):
    public, _ = outputs
    manifest = payload((public / "widgets/billing/index.js").read_bytes(), "widgets/billing/index.js")
    assert {path for path, _ in manifest["categories"]} == {"billing"}
    assert manifest["docCount"] == 2
    assert manifest["featured"] == [0, 1]
    script = (public / "widgets/billing.js").read_text(encoding="utf-8")
    assert script.startswith("/*") and "startWidget(" in script and "import " not in script
    assert '"siteUrl": "https://golden.example/"' in script


def test_records_are_numbered_by_title_so_a_prefixs_best_results_share_a_file_and_featured_keeps_site_order():
    """The articles a prefix ranks first (titles starting with it) are numbered one after the
    other, so their display records come in one or two files, not one file each; the widget's
    featured articles are still the first ones in the site's order."""
    docs = generate(200)["en"]
    tokenized = [indexer.tokenize_fields(doc) for doc in docs]
    leads = [fields["lead"] for fields in tokenized]
    files = indexer.build_data_files(docs, tokenized, prefix="search/en/", lang="en", featured=3)
    manifest = payload(files["search/en/index.js"], "search/en/index.js")
    records = [record for chunk in manifest["chunks"]
               for record in payload(files["search/en/" + chunk], "search/en/" + chunk)["docs"]]
    assert sorted(r[0] for r in records) == sorted(doc.url for doc in docs)
    lead_of = {doc.url: lead for doc, lead in zip(docs, leads)}
    numbers: dict[tuple, list[int]] = {}
    for number, record in enumerate(records):
        numbers.setdefault(tuple(lead_of[record[0]]), []).append(number)
    shared = [n for n in numbers.values() if len(n) >= 3]
    assert len(shared) >= 5, "the corpus should have titles sharing a first word"
    for run in shared:
        assert run == list(range(run[0], run[0] + len(run))), "titles with one first word are numbered together"
    assert [records[n][0] for n in manifest["featured"]] == [doc.url for doc in docs[:3]]


def test_languages_file_lists_languages_in_order(outputs):
    public, _ = outputs
    assert payload((public / "search/languages.js").read_bytes(), "search/languages.js") == {
        "languages": [["en", "English"], ["ja", "日本語"]]}


def test_translations_are_linked_in_the_document_store(outputs):
    public, _ = outputs
    manifest = payload((public / "search/ja/index.js").read_bytes(), "search/ja/index.js")
    chunk_id = "search/ja/" + manifest["chunks"][0]
    docs = payload((public / chunk_id).read_bytes(), chunk_id)["docs"]
    two_step = next(d for d in docs if d[0] == "ja/security/two-step/")
    assert two_step[5] == {"en": ["en/security/two-step/", "Turning on two-step verification"]}


def test_tokenized_articles_are_reused_from_the_cache(tmp_path, monkeypatch):
    corpus = generate(20)
    calls = []
    real = indexer.tokenize_fields
    monkeypatch.setattr(pipeline, "tokenize_fields", lambda doc: calls.append(doc.ref) or real(doc))
    first = build_search(corpus, languages=LANGUAGES, widgets={}, site_url="https://x/", cache_dir=tmp_path, workers=1)
    assert len(calls) == 40
    calls.clear()
    second = build_search(corpus, languages=LANGUAGES, widgets={}, site_url="https://x/", cache_dir=tmp_path, workers=1)
    assert calls == [] and second == first
    changed = dict(corpus, en=[corpus["en"][0].__class__(**{**corpus["en"][0].__dict__, "title": "New", "digest": "new"})] + corpus["en"][1:])
    build_search(changed, languages=LANGUAGES, widgets={}, site_url="https://x/", cache_dir=tmp_path, workers=1)
    assert calls == ["en0"]


def test_data_cached_under_other_layout_settings_is_rebuilt(tmp_path, monkeypatch):
    """A kbgen that cuts the data differently (another store chunk size, here) must not reuse the
    files a previous version cached for the same articles: the build would differ from a cold one."""
    corpus = generate(40, languages=("en",))
    arguments = dict(languages={"en": "English"}, widgets={}, site_url="https://x/", cache_dir=tmp_path, workers=1)
    build_search(corpus, **arguments)
    monkeypatch.setattr(indexer, "STORE_CHUNK_DOCS", 8)
    files = build_search(corpus, **arguments)
    assert files == build_search(corpus, **{**arguments, "cache_dir": None})
    assert payload(files["search/en/index.js"], "search/en/index.js")["chunkSize"] == 8


def test_parallel_build_gives_the_same_files(monkeypatch):
    corpus = generate(40)
    serial = build_search(corpus, languages=LANGUAGES, widgets={}, site_url="https://x/", cache_dir=None, workers=1)
    monkeypatch.setattr(pipeline, "PARALLEL_THRESHOLD", 1)
    parallel = build_search(corpus, languages=LANGUAGES, widgets={}, site_url="https://x/", cache_dir=None, workers=2)
    assert parallel == serial


def test_first_result_download_is_small_for_a_large_corpus():
    corpus = generate(1000, languages=("en",))
    files = build_search(corpus, languages={"en": "English"}, widgets={}, site_url="https://x/", cache_dir=None, workers=1)
    manifest = payload(files["search/en/index.js"], "search/en/index.js")
    shard_sizes = sorted(len(gzip.compress(files["search/en/" + name])) for _, name, _ in manifest["shards"])
    # a typical two-word query touches two shards and up to ten store chunks
    chunk = max(len(gzip.compress(files["search/en/" + name])) for name in manifest["chunks"])
    needed = len(gzip.compress(files["search/en/index.js"])) + 2 * shard_sizes[-1] + 10 * chunk
    assert needed < 150_000
    assert len(manifest["shards"]) > 10


def sw_constants(files):
    script = build_service_worker(files, precache_limit_bytes=10_000)["sw.js"].decode("utf-8")
    name = re.search(r"const BUILD = (\"[^\"]+\");", script).group(1)
    precache = re.search(r"const PRECACHE = (\[.*?\]);", script).group(1)
    return json.loads(name), json.loads(precache)


def test_service_worker_cache_is_renamed_when_any_file_changes():
    files = {"en/index.html": b"<p>home</p>", "assets/kbgen/kbgen.js": b"js", "search/en/index.js": b"data"}
    name, precache = sw_constants(files)
    assert name.startswith("kbgen-")
    assert sw_constants(dict(files))[0] == name
    assert sw_constants({**files, "en/index.html": b"<p>changed</p>"})[0] != name
    assert sorted(precache) == sorted(files)


def test_service_worker_precaches_only_the_shell_of_a_big_site():
    files = {
        "en/index.html": b"home", "en/search.html": b"search", "assets/kbgen/kbgen.js": b"js",
        "search/en/index.js": b"data", "en/big/article/index.html": b"x" * 20_000,
        "widgets/help.js": b"widget", "sitemap.xml": b"<urlset/>",
    }
    _, precache = sw_constants(files)
    assert sorted(precache) == ["assets/kbgen/kbgen.js", "en/index.html", "en/search.html", "search/en/index.js"]


def test_unchanged_languages_and_widgets_are_reused_from_the_cache(tmp_path, monkeypatch):
    corpus = generate(15)
    widgets = {"help": {"language": "ja", "categories": ["billing"], "title": None, "max_results": 5}}
    built = []
    real = pipeline.build_data_files
    monkeypatch.setattr(pipeline, "build_data_files", lambda docs, tokenized, **kw: built.append(kw["prefix"]) or real(docs, tokenized, **kw))
    arguments = dict(languages=LANGUAGES, widgets=widgets, site_url="https://x/", cache_dir=tmp_path, workers=1)
    first = build_search(corpus, **arguments)
    assert sorted(built) == ["search/en/", "search/ja/", "widgets/help/"]
    built.clear()
    assert build_search(corpus, **arguments) == first and built == []
    doc = corpus["en"][3]
    edited = dict(corpus, en=corpus["en"][:3] + [doc.__class__(**{**doc.__dict__, "body": doc.body + " zebra", "digest": "edited"})] + corpus["en"][4:])
    files = build_search(edited, **arguments)
    assert built == ["search/en/"]
    assert files == build_search(edited, **{**arguments, "cache_dir": None})
