"""pytest plugin: under CI=true a skip is a failure, and every run says how many tests ran.

A test skipped because node, Chromium, Java or PostgreSQL is missing would otherwise let CI go
green without the check it stands for. A skip that is right on every machine says so with a
reason starting "not applicable:". Loaded by tests/conftest.py (pytest_plugins).
"""
from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
NOT_APPLICABLE = "not applicable:"


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _fail_skip_in_ci(report) -> None:
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report)
        if NOT_APPLICABLE not in reason:
            report.outcome = "failed"
            report.longrepr = f"CI=true, so this skip is a failure (install what it needs: tests/run.sh does): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_skip_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_skip_in_ci(outcome.get_result())


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line a CI log reader can trust: how many tests ran, and how many did not."""
    stats = terminalreporter.stats
    ran = sum(len([r for r in stats.get(key, []) if getattr(r, "when", "call") == "call"])
              for key in ("passed", "failed", "xfailed", "xpassed"))
    skipped = len(stats.get("skipped", []))
    errors = len(stats.get("error", []))
    terminalreporter.write_line(f"kbgen tests: {ran} ran, {skipped} skipped, {errors} errors"
                                + (" (CI=true: skips for a missing tool count as failures)" if IN_CI else ""))
