"""The same sources give the same bytes: builds can be diffed, cached and deployed safely."""
from __future__ import annotations

from conftest import all_files, build_site, copy_sample, run_kbgen


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
    assert serial.pages == parallel.pages == {"en": 130, "ja": 130}
    assert diff(all_files(tmp_path / "serial"), all_files(tmp_path / "parallel")) == []
