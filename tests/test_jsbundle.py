"""The classic-script bundle of kbgen's ES modules: valid JavaScript that runs the modules in
dependency order with their imports wired up."""
from __future__ import annotations

import shutil
import subprocess
import textwrap

import pytest

from kbgen.jsbundle import BundleError, bundle, bundled_modules
from kbgen.themes import KBGEN_ASSETS

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

FAKE_DOM = """
const log = [];
globalThis.__log = log;
globalThis.document = {
  readyState: 'complete',
  querySelector: () => null,
  querySelectorAll: (selector) => selector === '[data-kb-mount]' ? globalThis.__mounts || [] : [],
  addEventListener: () => {},
  documentElement: { dataset: {}, classList: { add() {}, remove() {} }, lang: 'en' },
  body: { appendChild() {}, classList: { add() {}, remove() {} } },
  createElement: () => ({ setAttribute() {}, appendChild() {}, classList: { add() {} }, dataset: {}, style: {} }),
};
globalThis.window = globalThis;
globalThis.location = { protocol: 'https:', href: 'https://example.com/en/', pathname: '/en/', search: '', hash: '' };
"""


def write_modules(folder, modules: dict[str, str]):
    folder.mkdir(exist_ok=True)
    for name, text in modules.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def run_node(code: str, tmp_path) -> subprocess.CompletedProcess:
    script = tmp_path / "run.js"
    script.write_text(code, encoding="utf-8")
    return subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=30)


MODULES = {
    "core.js": """
        const registry = new Map();
        export function registerMount(name, init) { registry.set(name, init); }
        export const VERSION = 'v1';
        export async function later() { return 1; }
        export class Thing { constructor() { this.kind = 'thing'; } }
        export function start() {
          for (const element of document.querySelectorAll('[data-kb-mount]')) registry.get(element.name)(element);
        }
        """,
    "greet.js": """
        import { registerMount, VERSION as version, Thing } from './core.js';
        import { shout } from './util.js';
        registerMount('greet', (element) => { __log.push(shout(`hello ${element.name} ${version} ${new Thing().kind}`)); });
        """,
    "util.js": """
        export function shout(text) { return text.toUpperCase(); }
        """,
    "main.js": """
        import { start } from './core.js';
        __log.push('main');
        start();
        console.log(JSON.stringify(__log));
        """,
    "_private.js": "this is not javascript at all (",
    "greet.test.js": "import { nothing } from './nope.js';",
    "sw-search.js": "self.addEventListener('fetch', () => {});",
}


def test_bundle_skips_private_test_and_service_worker_files(tmp_path):
    folder = write_modules(tmp_path / "js", MODULES)
    assert [p.name for p in bundled_modules(folder)] == ["core.js", "greet.js", "main.js", "util.js"]
    text = bundle(folder)
    assert "not javascript" not in text and "nope.js" not in text and "addEventListener('fetch'" not in text
    assert "import " not in text and "export " not in text


def test_modules_are_ordered_by_dependency_and_main_is_last(tmp_path):
    text = bundle(write_modules(tmp_path / "js", MODULES))
    positions = {name: text.index(f"const __kb_{name} =") for name in ("core", "util", "greet", "main")}
    assert positions["core"] < positions["greet"] and positions["util"] < positions["greet"]
    assert positions["main"] == max(positions.values())


@needs_node
def test_bundle_runs_in_node_with_imports_wired(tmp_path):
    text = bundle(write_modules(tmp_path / "js", MODULES))
    result = run_node(FAKE_DOM + "globalThis.__mounts = [{ name: 'greet' }];\n" + text, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '["main","HELLO GREET V1 THING"]'


def test_import_cycles_and_missing_modules_are_reported(tmp_path):
    folder = write_modules(tmp_path / "cycle", {
        "a.js": "import { b } from './b.js';\nexport const a = 1;\n",
        "b.js": "import { a } from './a.js';\nexport const b = 2;\n",
    })
    with pytest.raises(BundleError, match="import cycle: a.js → b.js → a.js"):
        bundle(folder)
    folder = write_modules(tmp_path / "missing", {"a.js": "import { x } from './gone.js';\n"})
    with pytest.raises(BundleError, match="gone.js"):
        bundle(folder)


@pytest.mark.parametrize("line", ["export default function f() {}", "import x from './a.js';", "export * from './a.js';"])
def test_unsupported_module_syntax_is_refused_with_the_line(tmp_path, line):
    folder = write_modules(tmp_path / "js", {"a.js": "export const ok = 1;\n", "b.js": f"// first\n{line}\n"})
    with pytest.raises(BundleError, match=r"b\.js:2"):
        bundle(folder)


@needs_node
def test_kbgens_own_bundle_is_valid_javascript_and_loads_without_errors(tmp_path):
    text = bundle(KBGEN_ASSETS / "js")
    (tmp_path / "kbgen.js").write_text(text, encoding="utf-8")
    check = subprocess.run([NODE, "--check", str(tmp_path / "kbgen.js")], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    # loading the script (before DOMContentLoaded) must not touch the DOM or throw
    result = run_node(FAKE_DOM + "document.readyState = 'loading';\n" + text + "\nconsole.log('loaded');\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("loaded")


def test_the_build_writes_the_bundle(tmp_path):
    from conftest import article, build_site, make_site
    root = make_site(tmp_path / "s", {"en/a.md": article("A")})
    assert build_site(root).exit_code == 0
    assert (root / "output/assets/kbgen/kbgen.js").read_text(encoding="utf-8") == bundle(KBGEN_ASSETS / "js")


ALIASED = {
    "helpers.js": """
        function helper() { return 42; }
        export { helper as answer };
        """,
    "_entry.js": """
        import { answer } from "./helpers.js";
        export function run() { globalThis.__answer = answer(); }
        """,
}


@needs_node
def test_export_aliases_and_double_quoted_imports_work_in_page_and_widget_bundles(tmp_path):
    """One bundler for both: `export { helper as answer }` with a double-quoted import threw a
    SyntaxError in the widget's bundle while the pages' bundle handled it."""
    from kbgen.jsbundle import bundle_entry, module_name

    folder = write_modules(tmp_path / "js", {**ALIASED, "main.js": ALIASED["_entry.js"] + "run();\n"})
    page = bundle(folder)
    widget = bundle_entry("_entry.js", folder=folder, epilogue=f"{module_name('_entry.js')}.run();")
    assert "__kb_main" not in widget, "the widget holds its entry and what it imports, nothing else"
    for script in (page, widget):
        result = run_node(script + "\nconsole.log(globalThis.__answer);\n", tmp_path)
        assert result.returncode == 0 and result.stdout.strip() == "42", result.stderr


def test_the_widget_bundles_with_the_page_bundler():
    from kbgen import jsbundle
    from kbgen.search import jsmodules

    assert jsmodules.bundle is jsbundle.bundle_entry and jsmodules.module_variable is jsbundle.module_name
