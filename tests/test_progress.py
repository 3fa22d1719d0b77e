import io
import time

from kbgen.build import BuildOptions, build
from kbgen.progress import terminal_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_drawn_when_quiet_or_not_on_a_terminal():
    assert terminal_progress(quiet=True, stream=Terminal()) is None
    assert terminal_progress(quiet=False, stream=io.StringIO()) is None


def test_a_stage_without_a_count_shows_its_time_once_it_has_taken_a_second():
    screen = Terminal()
    start = terminal_progress(quiet=False, stream=screen)
    quick = start("Writing the site", None)
    quick.close()
    assert screen.getvalue() == ""            # finished within the second: nothing to look at
    slow = start("Building search data", None)
    time.sleep(1.3)
    slow.close()
    shown = screen.getvalue()
    assert "\rBuilding search data… 1 s" in shown
    assert shown.endswith("s\n") and "Building search data: 1." in shown


def test_a_counted_stage_shows_a_bar_only_when_it_is_long():
    screen = Terminal()
    start = terminal_progress(quiet=False, stream=screen)
    assert start("Rendering pages", 20) is None
    bar = start("Rendering pages", 600)
    for _ in range(600):
        bar(1)
    bar.close()
    assert "Rendering pages" in screen.getvalue() and "100%" in screen.getvalue()


def test_every_stage_of_a_build_reports_progress(tmp_path):
    from kbgen.scaffold import init_site
    init_site(tmp_path / "site")
    seen = []

    class Display:
        def __init__(self, label, total):
            self.label, self.total, self.done, self.closed = label, total, 0, False
            seen.append(self)

        def __call__(self, count):
            self.done += count

        def close(self):
            self.closed = True

    build(tmp_path / "site", BuildOptions(output_dir=tmp_path / "out", progress=Display, workers=1))
    # search data before the pages: its workers then fork from a process without every page in it
    assert [d.label for d in seen] == ["Reading content", "Building the site structure", "Building search data",
                                       "Rendering pages", "Writing the site"]
    assert all(d.closed for d in seen)
    markdown = sum(1 for _ in (tmp_path / "site" / "content").rglob("*.md"))
    reading, rendering = seen[0], seen[3]
    assert reading.total == markdown and reading.done == markdown
    assert rendering.total and rendering.done == rendering.total
