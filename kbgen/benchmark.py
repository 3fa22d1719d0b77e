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
import time
from collections.abc import Sequence
from pathlib import Path

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


def generate_corpus(root: Path, articles: int, seed: int = 1) -> dict:
    """Writes a site (kbgen.toml + content/) with ``articles`` articles in total."""
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
    counts = {"internal": 0, "draft": 0}
    for number in range(pairs):
        category = categories[number % len(categories)]
        slug = f"article-{number:05d}"
        internal = rng.random() < 0.05
        draft = not internal and rng.random() < 0.02
        counts["internal"] += internal
        counts["draft"] += draft
        for lang in ("en", "ja"):
            title = (" ".join(rng.choice(EN_WORDS) for _ in range(4)).title() if lang == "en"
                     else "".join(rng.choice(JA_WORDS) for _ in range(2)) + "の" + rng.choice(("設定", "使い方", "トラブルシューティング")))
            body = [f"## {'Overview' if lang == 'en' else '概要'}", _paragraph(rng, lang, 5)]
            if placed and not internal:
                target_category, target_slug = placed[rng.randrange(len(placed))]
                relative = os.path.relpath(f"{target_category}/{target_slug}.md", category)
                body.append(f"See [{'this article' if lang == 'en' else '関連記事'}]({relative}).")
            body += [f"## {'Steps' if lang == 'en' else '手順'}", "\n".join(f"{i}. {_sentence(rng, lang)}" for i in range(1, 5)),
                     "```python\nimport orbit\nclient = orbit.Client(token=\"...\")\nprint(client.tickets.list(status=\"open\"))\n```",
                     "| Plan | Seats | Price |\n|---|---|---|\n| Starter | 3 | 0 |\n| Team | 25 | 49 |",
                     "> [!NOTE]\n> " + _sentence(rng, lang), f"## {'Details' if lang == 'en' else '詳細'}", _paragraph(rng, lang, 6)]
            front = [f"title: \"{title}\"", f"date: 2026-{1 + number % 12:02d}-{1 + number % 28:02d}",
                     f"translationKey: {slug}", f"description: \"{_sentence(rng, lang)}\"",
                     f"keywords: [{rng.choice(EN_WORDS)}, {rng.choice(EN_WORDS)}]"]
            if internal:
                front.append("internal: true")
            if draft:
                front.append("draft: true")
            path = root / "content" / lang / category / f"{slug}.md"
            path.write_text("---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")
        if not internal and not draft:
            placed.append((category, slug))
    return {"articles": pairs * 2, "categories": len(categories), **counts}


def _run_build(site: Path, output: Path, extra: Sequence[str] = ()) -> tuple[float, int, dict]:
    report = site / "report.json"
    command = [sys.executable, "-m", "kbgen", "-C", str(site), "-q", "build", "--output", str(output),
               "--report", str(report), *extra]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"benchmark build failed (exit status {status >> 8})")
    return elapsed, usage.ru_maxrss * 1024, json.loads(report.read_text())


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


def run_benchmark(articles: int, workdir: Path | None, *, browser: bool = False, as_json: bool = False) -> dict:
    temporary = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="kbgen-bench-"))
    try:
        site = workdir / "site"
        if site.exists():
            shutil.rmtree(site)
        corpus = generate_corpus(site, articles)
        output = workdir / "output"
        cold, peak, report = _run_build(site, output)
        pages = sum(report["articles"].values())
        # Edit one article, then measure a rebuild in a new process (CI) and in-process (dev server).
        victim = next((site / "content" / "en").rglob("article-00001.md"))
        victim.write_text(victim.read_text(encoding="utf-8") + "\nEdited for the benchmark.\n", encoding="utf-8")
        warm, _, _ = _run_build(site, output)
        dev_rebuild = _dev_server_rebuild(site, output, victim)
        figures = {
            "corpus": corpus, "articles_built": pages, "files_written": report["files"],
            "cold_build_s": round(cold, 2), "pages_per_s": round(report["files"] and pages / cold, 1),
            "peak_rss_mb": round(peak / 2**20, 1), "rebuild_one_article_cli_s": round(warm, 2),
            "rebuild_one_article_dev_server_pages_s": round(dev_rebuild[0], 3),
            "rebuild_one_article_dev_server_search_s": round(dev_rebuild[1], 3),
            "stage_timings_cold_s": report["timings"], "search_bytes": _search_bytes(output),
        }
        if browser:
            try:
                from .search.benchmark import measure_in_browser
                figures["browser"] = {lang: measure_in_browser(output, lang, ["ticket", "export data"] if lang == "en" else ["顧客ポータル", "請求書"])
                                      for lang in ("en", "ja")}
            except ImportError as exc:
                figures["browser"] = f"unavailable: {exc}"
        _print(figures, as_json)
        return figures
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)


def _dev_server_rebuild(site: Path, output: Path, victim: Path) -> tuple[float, float]:
    """What `kbgen serve` does after a save: an in-process rebuild with warm caches, pages
    updated in place first (the tab reloads then), search data right after."""
    code = (
        "import sys,time; from pathlib import Path; from kbgen.build import build, BuildOptions\n"
        f"o=BuildOptions(output_dir=Path({str(output) + '-serve'!r}), in_place=True, defer_search=True)\n"
        f"r=build({str(site)!r}, o); r.finish_search()\n"
        f"p=Path({str(victim)!r}); p.write_text(p.read_text(encoding='utf-8')+'\\nAgain.\\n', encoding='utf-8')\n"
        "t=time.perf_counter(); r=build(" + repr(str(site)) + ", o); pages=time.perf_counter()-t\n"
        "r.finish_search(); print(pages, time.perf_counter()-t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[-2]), float(out[-1])


def _print(figures: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    corpus = figures["corpus"]
    print(f"corpus: {corpus['articles']} articles ({corpus['internal'] * 2} internal, {corpus['draft'] * 2} draft), "
          f"{corpus['categories']} leaf categories; public build: {figures['articles_built']} articles, "
          f"{figures['files_written']} files")
    print(f"cold build:                  {figures['cold_build_s']:.2f} s  ({figures['pages_per_s']} articles/s)")
    print(f"peak memory (main process):  {figures['peak_rss_mb']} MB")
    print(f"rebuild after 1 edit (CLI):  {figures['rebuild_one_article_cli_s']:.2f} s")
    print(f"rebuild after 1 edit (kbgen serve, in-process): pages {figures['rebuild_one_article_dev_server_pages_s']:.3f} s, "
          f"search data {figures['rebuild_one_article_dev_server_search_s']:.3f} s")
    print("stages (cold): " + ", ".join(f"{k} {v:.2f} s" for k, v in figures["stage_timings_cold_s"].items()))
    for lang, size in figures["search_bytes"].items():
        print(f"search data {lang}: {size['raw'] / 1024:.0f} KB raw, {size['gzip'] / 1024:.0f} KB gzipped (all files)")
    if "browser" in figures:
        print(f"browser: {json.dumps(figures['browser'], ensure_ascii=False)}")
