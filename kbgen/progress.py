"""Progress on a terminal for the stages of a build that take more than a second.

A stage that knows how many items it has (files read, pages rendered) shows a bar; one
that does not (search data, writing) shows its name and the seconds spent, once it has
taken a second, so a long build never sits silent.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Any

import click

BAR_FROM_ITEMS = 500       # fewer items than this finish in well under a second
TICKER_AFTER_S = 1.0


class _Bar:
    def __init__(self, label: str, total: int, stream) -> None:
        self.total, self.done = total, 0
        bar = click.progressbar(length=total, label=label, file=stream)
        bar.__enter__()
        self.bar: Any = bar   # None once closed

    def __call__(self, count: int) -> None:
        self.done += count
        self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


class _Ticker:
    """`label… 3 s`, redrawn in place twice a second from a background thread."""

    def __init__(self, label: str, stream) -> None:
        self.label, self.stream, self.started = label, stream, time.monotonic()
        self.stopped, self.shown = threading.Event(), False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        if self.stopped.wait(TICKER_AFTER_S):
            return
        while not self.stopped.is_set():
            self.shown = True
            self.stream.write(f"\r{self.label}… {time.monotonic() - self.started:.0f} s")
            self.stream.flush()
            self.stopped.wait(0.5)

    def __call__(self, count: int) -> None:  # a ticker has nothing to count
        pass

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        if self.shown:
            self.stream.write(f"\r{self.label}: {time.monotonic() - self.started:.1f} s\n")
            self.stream.flush()


def terminal_progress(quiet: bool, stream=None):
    """``start(label, total) -> advance`` for BuildOptions.progress, or None when nobody
    would see it (quiet, or output not a terminal). ``advance(n)`` counts items done;
    ``advance.close()`` ends the display."""
    stream = stream or sys.stderr
    if quiet or not stream.isatty():
        return None

    def start(label: str, total: int | None):
        if total is None:
            return _Ticker(label, stream)
        return _Bar(label, total, stream) if total >= BAR_FROM_ITEMS else None
    return start
