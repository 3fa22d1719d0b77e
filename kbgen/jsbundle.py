"""Makes one classic script from kbgen's ES modules.

Module scripts do not load from file://, and the portal must work when opened from
disk, so pages load this bundle. Our modules follow a narrow style (see
docs/ARCHITECTURE.md), which keeps this a plain textual transform: each module becomes
a function scope returning its exports; imports become destructuring of those.
"""
from __future__ import annotations

import re
from pathlib import Path

IMPORT = re.compile(r"^import\s*\{([^}]*)\}\s*from\s*['\"]\./([\w.-]+\.js)['\"];?\s*$", re.M)
EXPORT_DECLARATION = re.compile(r"^export\s+(async\s+function|function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)", re.M)
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\};?\s*$", re.M)


class BundleError(Exception):
    pass


def _module_name(file: str) -> str:
    return "__kb_" + re.sub(r"\W", "_", file[:-3])


def bundled_modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.js")
                  if not p.name.startswith("_") and not p.name.endswith(".test.js") and not p.name.startswith("sw-"))


def bundle(folder: Path, entry: str = "main.js") -> str:
    modules = {p.name: p.read_text(encoding="utf-8") for p in bundled_modules(folder)}
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in visiting:
            raise BundleError(f"import cycle: {' → '.join(chain + (name,))}")
        if name not in modules:
            raise BundleError(f"{chain[-1] if chain else '?'} imports ./{name}, which is not a bundled module")
        visiting.add(name)
        for match in IMPORT.finditer(modules[name]):
            visit(match.group(2), chain + (name,))
        visiting.discard(name)
        order.append(name)

    for name in sorted(modules):
        if name != entry:
            visit(name, ())
    if entry in modules:
        visit(entry, ())

    parts = ["/* kbgen portal script: generated from kbgen/assets/js/*.js, do not edit */", "(function () {", "'use strict';"]
    for name in order:
        parts.append(f"const {_module_name(name)} = (function () {{\n{_transform(name, modules[name])}\n}})();")
    parts.append("})();")
    return "\n".join(parts) + "\n"


def _transform(name: str, source: str) -> str:
    exported: list[str] = []

    def import_line(match: re.Match) -> str:
        bindings = []
        for item in match.group(1).split(","):
            item = item.strip()
            if not item:
                continue
            original, _, alias = (part.strip() for part in item.partition(" as "))
            bindings.append(f"{original}: {alias}" if alias else original)
        return f"const {{ {', '.join(bindings)} }} = {_module_name(match.group(2))};"

    body = IMPORT.sub(import_line, source)

    def declaration(match: re.Match) -> str:
        exported.append(match.group(2))
        return f"{match.group(1)} {match.group(2)}"

    body = EXPORT_DECLARATION.sub(declaration, body)

    def export_list(match: re.Match) -> str:
        for item in match.group(1).split(","):
            item = item.strip()
            if item:
                local, _, alias = (part.strip() for part in item.partition(" as "))
                exported.append(f"{alias}: {local}" if alias else local)
        return ""

    body = EXPORT_LIST.sub(export_list, body)
    if re.search(r"^\s*(import|export)\b", body, re.M):
        line = next(i for i, text in enumerate(body.splitlines(), 1) if re.match(r"^\s*(import|export)\b", text))
        raise BundleError(f"kbgen/assets/js/{name}:{line}: import/export form the bundler does not understand")
    return f"{body}\nreturn {{ {', '.join(exported)} }};"
