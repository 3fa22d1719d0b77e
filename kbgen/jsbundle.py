"""Makes one classic script from kbgen's ES modules: the one bundler, for the pages' script
(`bundle`) and for scripts that stand alone on other sites, the search widget (`bundle_entry`).

Module scripts do not load from file://, and the portal must work when opened from
disk, so pages load this bundle. Our modules follow a narrow style (see
docs/ARCHITECTURE.md), which keeps this a plain textual transform: each module becomes
a function scope returning its exports; imports become destructuring of those. The whole
is one IIFE, so nothing leaks into the host page's globals.
"""
from __future__ import annotations

import re
from pathlib import Path

IMPORT = re.compile(r"^import\s*\{([^}]*)\}\s*from\s*['\"]\./([\w.-]+\.js)['\"];?\s*$", re.M)
EXPORT_DECLARATION = re.compile(r"^export\s+(async\s+function|function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)", re.M)
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\};?\s*$", re.M)
JS_FOLDER = Path(__file__).resolve().parent / "assets" / "js"


class BundleError(Exception):
    pass


def _module_name(file: str) -> str:
    return "__kb_" + re.sub(r"\W", "_", file[:-3])


def bundled_modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.js")
                  if not p.name.startswith("_") and not p.name.endswith(".test.js") and not p.name.startswith("sw-"))


def _dependency_order(read, names: list[str]) -> list[str]:
    """`names` and what they import, each after its imports; `read(name)` gives a module's text."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in visiting:
            raise BundleError(f"import cycle: {' → '.join(chain + (name,))}")
        source = read(name)
        if source is None:
            raise BundleError(f"{chain[-1] if chain else '?'} imports ./{name}, which is not a bundled module")
        visiting.add(name)
        for match in IMPORT.finditer(source):
            visit(match.group(2), chain + (name,))
        visiting.discard(name)
        order.append(name)

    for name in names:
        visit(name, ())
    return order


def _script(header: str, folder: Path, order: list[str], read, epilogue: str = "") -> str:
    parts = [header, "(function () {", "'use strict';"]
    for name in order:
        parts.append(f"const {_module_name(name)} = (function () {{\n{_transform(name, read(name), folder)}\n}})();")
    if epilogue:
        parts.append(epilogue)
    parts.append("})();")
    return "\n".join(parts) + "\n"


def bundle(folder: Path, entry: str = "main.js") -> str:
    """Every bundled module of `folder` (the page script), `entry` last."""
    modules = {p.name: p.read_text(encoding="utf-8") for p in bundled_modules(folder)}
    names = sorted(name for name in modules if name != entry) + ([entry] if entry in modules else [])
    order = _dependency_order(modules.get, names)
    return _script("/* kbgen portal script: generated from kbgen/assets/js/*.js, do not edit */", folder, order, modules.get)


def bundle_entry(entry: str, *, folder: Path = JS_FOLDER, epilogue: str = "",
                 header: str = "/* generated from kbgen/assets/js/*.js, do not edit */") -> str:
    """`entry` and only what it imports, as one classic script; `epilogue` runs inside the same
    scope, where `module_name(file)` names each module's exports."""
    texts: dict[str, str | None] = {}

    def read(name: str) -> str | None:
        if name not in texts:
            path = folder / name
            texts[name] = path.read_text(encoding="utf-8") if path.is_file() else None
        return texts[name]

    return _script(header, folder, _dependency_order(read, [entry]), read, epilogue)


def module_name(file: str) -> str:
    """The variable holding a bundled module's exports (for `bundle_entry`'s epilogue)."""
    return _module_name(file)


def _transform(name: str, source: str, folder: Path) -> str:
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
        raise BundleError(f"{folder / name}:{line}: import/export form the bundler does not understand")
    return f"{body}\nreturn {{ {', '.join(exported)} }};"
