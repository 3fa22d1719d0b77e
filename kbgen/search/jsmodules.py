"""A tiny bundler for kbgen's browser modules, for scripts that must stand alone (the widget).

The modules follow the rules in docs/ARCHITECTURE.md (one `import { … } from './x.js';` per line,
`export function|async function|const|class`), so bundling is a plain textual transform: each
module becomes a function scope returning its exports, in dependency order, and the whole thing is
one IIFE, so nothing leaks into the host page's globals.
"""

from __future__ import annotations

import re
from pathlib import Path

JS_FOLDER = Path(__file__).resolve().parent.parent / "assets" / "js"
_IMPORT = re.compile(r"^import \{([^}]*)\} from '\./([\w.-]+\.js)';\s*$", re.MULTILINE)
_EXPORT = re.compile(r"^export (async function|function|const|class) ([A-Za-z_$][\w$]*)", re.MULTILINE)


def _module_variable(file_name: str) -> str:
    return "__kb_" + re.sub(r"\W", "_", file_name[:-3])


def _dependency_order(entry: str, folder: Path) -> list[str]:
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ValueError(f"{folder / name}: circular import")
        visiting.add(name)
        source = (folder / name).read_text(encoding="utf-8")
        for _, dependency in _IMPORT.findall(source):
            visit(dependency)
        visiting.discard(name)
        ordered.append(name)

    visit(entry)
    return ordered


def _wrap(name: str, source: str) -> str:
    def import_line(match: re.Match) -> str:
        names = ", ".join(
            part.strip().replace(" as ", ": ") for part in match.group(1).split(",") if part.strip()
        )
        return f"const {{ {names} }} = {_module_variable(match.group(2))};"

    exported = _EXPORT.findall(source)
    body = _IMPORT.sub(import_line, source)
    body = _EXPORT.sub(lambda m: f"{m.group(1)} {m.group(2)}", body)
    returned = ", ".join(export_name for _, export_name in exported)
    return f"const {_module_variable(name)} = (() => {{\n{body}\nreturn {{ {returned} }};\n}})();\n"


def bundle(entry: str, *, epilogue: str = "", folder: Path = JS_FOLDER) -> str:
    """`entry` and its imports as one classic script; `epilogue` runs inside the same scope."""
    parts = [_wrap(name, (folder / name).read_text(encoding="utf-8")) for name in _dependency_order(entry, folder)]
    return "(() => {\n'use strict';\n" + "".join(parts) + epilogue + "\n})();\n"


def module_variable(file_name: str) -> str:
    return _module_variable(file_name)
