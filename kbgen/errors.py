"""One exception tree for everything a user can get wrong.

Rooted in ``click.ClickException`` so the CLI prints a message and exits non-zero
instead of showing a traceback (``--debug`` re-raises to show one).
"""
from __future__ import annotations

from dataclasses import dataclass

import click


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    file: str
    line: int | None = None
    field: str | None = None
    message: str = ""
    hint: str | None = None
    severity: str = "error"  # or "warning"; "info" is shown with --strict only and never fails a build

    def format(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        what = f"{self.field}: " if self.field else ""
        text = f"{where}: {self.severity}: {what}{self.message}"
        if self.hint:
            text += f"\n    → {self.hint}"
        return text

    def as_dict(self) -> dict:
        return {
            "file": self.file, "line": self.line, "field": self.field,
            "message": self.message, "hint": self.hint, "severity": self.severity,
        }


def _in_order(problems) -> list[Problem]:
    """By file, then line (unlocated problems of a file first), then the rest of the fields;
    None never meets an int in a comparison."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.field or "", p.message, p.hint or "", p.severity))


class KbgenError(click.ClickException):
    exit_code = 1

    def show(self, file=None) -> None:
        """A list of problems already says "error:" on each line: no "Error:" in front of it."""
        if getattr(self, "problems", None):
            click.echo(self.format_message(), err=True)
        else:
            super().show(file)


class ConfigError(KbgenError):
    """kbgen.toml is missing, unreadable or invalid."""

    def __init__(self, problems: list[Problem]):
        self.problems = _in_order(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class BuildError(KbgenError):
    """The content has problems; every one found in this run is listed."""

    def __init__(self, problems: list[Problem], checking: bool = False):
        self.problems = _in_order(p for p in problems if p.severity != "info")
        errors = [p for p in self.problems if p.severity == "error"]
        lines = [p.format() for p in self.problems]
        lines.append(f"{len(errors)} error(s) found by kbgen check (it writes nothing)." if checking else
                     f"{len(errors)} error(s): nothing was written; the previous output is unchanged.")
        super().__init__("\n".join(lines))


class OutputConflict(KbgenError):
    """Two sources claim the same output path."""


class Problems:
    """Collects problems across a stage so the user sees them all in one run."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, file, message, *, line=None, field=None, hint=None) -> None:
        self.items.append(Problem(str(file), line, field, message, hint, "error"))

    def warning(self, file, message, *, line=None, field=None, hint=None) -> None:
        self.items.append(Problem(str(file), line, field, message, hint, "warning"))

    def extend(self, problems) -> None:
        self.items.extend(problems)

    def info(self, file, message, *, line=None, field=None, hint=None) -> None:
        self.items.append(Problem(str(file), line, field, message, hint, "info"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self, strict: bool = False) -> None:
        if self.errors or (strict and self.warnings):
            if strict:
                promoted = [Problem(p.file, p.line, p.field, p.message, p.hint, "error")
                            if p.severity == "warning" else p for p in self.items]
                raise BuildError(promoted)
            raise BuildError(self.items)
