"""``kbgen serve``: build, serve, watch, rebuild, reload the browser.

The site is built into a private folder (never over output/), served by a small ASGI
app on one origin together with the companion API when it is installed. A failed
rebuild does not stop the server: every page shows the problems until the next save
fixes them, and the open tab reloads by itself (Server-Sent Events).
"""
from __future__ import annotations

import asyncio
import html
import os
import shutil
import signal
import tempfile
import threading
import time
import webbrowser
from collections.abc import Collection
from pathlib import Path

import click

from .build import BuildOptions, build
from .buildcache import BuildCache
from .collector import cyclic_gc_paused
from .config import load_config
from .edited_pages import render_edited_articles
from .errors import KbgenError
from .shutdown import server_stopping
from .structure import Site
from .sitefiles import lookup, media_type, no_lifespan
from .site_headers import site_headers

RELOAD_PATH = "/__kbgen/reload"
RELOAD_SCRIPT_PATH = "/__kbgen/reload.js"
# a file, not an inline script, so the page's CSP (script-src 'self') holds in development too
RELOAD_SCRIPT = f'<script src="{RELOAD_SCRIPT_PATH}"></script>'
RELOAD_JS = (
    "(function(){var first=null;var source=new EventSource('%s');"
    "source.onmessage=function(e){if(first===null){first=e.data;return;}if(e.data!==first){location.reload();}};})();\n"
    % RELOAD_PATH
).encode()


UNREGISTER_WORKER = (
    b"self.addEventListener('install', () => self.skipWaiting());\n"
    b"self.addEventListener('activate', (event) => event.waitUntil((async () => {\n"
    b"  for (const name of await caches.keys()) await caches.delete(name);\n"
    b"  await self.registration.unregister();\n"
    b"})()));\n"
)


class SiteState:
    """The latest build: where it is, or what went wrong. Shared by the watcher and the server."""

    def __init__(self, root: Path, output_dir: Path, options: BuildOptions):
        self.root, self.output_dir, self.options = root, output_dir, options
        self.cache = BuildCache()   # the server's memory between rebuilds, passed to each build
        self.version = 0
        self.error: str | None = None
        self.lock = threading.Lock()
        self.changed = threading.Condition()
        self.api_url = "/api"   # for the CSP's connect-src; from the config of each rebuild
        # seconds from the start of the last rebuild until the edited pages, every page, then
        # the search data were in place (kbgen benchmark reports them)
        self.pages_seconds: float | None = None
        self.site_seconds: float | None = None
        self.search_seconds: float | None = None
        self.site: Site | None = None   # the last successful build's site model: edited articles start from it

    def rebuild(self, reason: str = "", changed: Collection[Path] = ()) -> float:
        """``changed``: the files saved since the last rebuild, when the watcher knows them. An
        edit to articles' text alone shows their new pages before the whole site is rebuilt."""
        started = time.perf_counter()
        with self.lock:
            early = self._edited_pages(changed)
            self.site = None   # not kept through the rebuild: two site models would be in memory
            if early:
                self.pages_seconds = time.perf_counter() - started
                click.secho(f"{reason}{', '.join(early)} updated in {self.pages_seconds:.2f} s; "
                            "rebuilding the rest", err=True, fg="green")
                self._announce()
            # The cyclic garbage collector would walk everything kept between builds (every parsed
            # article, the last pages' bytes) several times per rebuild: 0.3-0.5 s of a 2 s
            # rebuild at 10,000 articles. It runs again once the new pages are visible.
            with cyclic_gc_paused():
                try:
                    config = load_config(self.root)   # read once per rebuild, and handed to the build
                    self.api_url = config.api_url
                    result = build(self.root, self.options, config=config, cache=self.cache)
                    self.error, self.site = None, result.site
                    self.site_seconds = pages_done = time.perf_counter() - started
                    if not early:
                        self.pages_seconds = pages_done
                    message = f"rebuilt {sum(result.articles.values())} articles in {pages_done:.2f} s"
                    click.secho(f"{reason}{message} ({len(result.warnings)} warnings)", err=True,
                                fg="green" if not result.warnings else "yellow")
                except KbgenError as error:
                    self.error, self.site = error.format_message(), None
                    click.secho(f"{reason}build failed; the browser shows why:\n{self.error}", err=True, fg="red")
                except Exception as error:  # a bug must not kill the server either
                    self.error, self.site = f"internal error: {type(error).__name__}: {error}", None
                    click.secho(self.error, err=True, fg="red")
            # The open tab reloaded with the edited pages already: again only if the full rebuild
            # changed any page, those included (it rewrites them, the same bytes if all was well).
            if not early or self.error is not None or any(
                    path.endswith(".html") and (path not in early or self._differs(path, early[path]))
                    for path in result.rewritten):
                self._announce()
            if self.error is None and result.finish_search is not None:
                # The open tab reloads with the new pages at once; search data follows.
                result.finish_search()
                self.search_seconds = time.perf_counter() - started
                click.secho(f"search data updated ({self.search_seconds:.2f} s after the change)", err=True)
        return time.perf_counter() - started

    def _edited_pages(self, changed: Collection[Path]) -> dict[str, bytes]:
        if not changed or self.site is None or self.error is not None:
            return {}
        try:
            return render_edited_articles(self.site, changed, self.output_dir, self.cache) or {}
        except Exception as error:  # the full rebuild that follows is the authority: it still runs
            click.secho(f"could not update the edited pages first ({type(error).__name__}: {error})",
                        err=True, fg="yellow")
            return {}

    def _differs(self, path: str, shown: bytes) -> bool:
        try:
            return (self.output_dir / path).read_bytes() != shown
        except OSError:
            return True

    def _announce(self) -> None:
        with self.changed:
            self.version += 1
            self.changed.notify_all()


def error_page(message: str) -> bytes:
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Build error</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#1a1a1a}"
        "pre{white-space:pre-wrap;background:#fff4f4;border:1px solid #e0b4b4;padding:1rem;border-radius:6px}</style>"
        "<h1>The last rebuild failed</h1><p>Fix the file below and save: this page reloads by itself.</p>"
        f"<pre>{html.escape(message)}</pre>{RELOAD_SCRIPT}</html>"
    ).encode("utf-8")


class DevApp:
    """ASGI app: the built site, live reload, and (when installed) the API on the same origin."""

    def __init__(self, state: SiteState, api_app=None):
        self.state = state
        self.api_app = api_app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            if self.api_app is not None:
                return await self.api_app(scope, receive, send)
            return await no_lifespan(receive, send)
        path = scope.get("path", "/")
        if self.api_app is not None and path.startswith(("/api", "/agent", "/internal")):
            return await self.api_app(scope, receive, send)
        if scope["type"] != "http":
            return
        if path == RELOAD_PATH:
            return await self.events(send)
        if path == RELOAD_SCRIPT_PATH:
            return await self.respond(send, 200, RELOAD_JS, "text/javascript; charset=utf-8")
        if path == "/sw.js":
            # No offline cache while writing: stale pages would hide the edits. This worker
            # also removes one a production build may have left on this origin.
            return await self.respond(send, 200, UNREGISTER_WORKER, "text/javascript; charset=utf-8")
        await self.static(path, scope, send)

    async def events(self, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")]})
        seen, written = -1, time.monotonic()
        loop = asyncio.get_running_loop()
        # Ends when the server stops: uvicorn waits for open responses before it exits, and with
        # a preview tab open Ctrl+C did nothing (the stream never ended).
        while not server_stopping():
            if self.state.version != seen or time.monotonic() - written >= 15:
                seen, written = self.state.version, time.monotonic()
                try:   # the same version every 15 s too: a closed tab's stream then ends
                    await send({"type": "http.response.body", "body": f"data: {seen}\n\n".encode(), "more_body": True})
                except Exception:
                    return
            await loop.run_in_executor(None, self._wait_for_change, seen)
        try:
            await send({"type": "http.response.body", "body": b""})
        except Exception:
            pass

    def _wait_for_change(self, seen: int) -> None:
        with self.state.changed:   # a second at most: the loop checks whether the server stops
            self.state.changed.wait_for(lambda: self.state.version != seen, timeout=1)

    async def static(self, path: str, scope, send):
        if self.state.error is not None and (path.endswith("/") or path.endswith(".html")):
            return await self.respond(send, 500, error_page(self.state.error), "text/html; charset=utf-8")
        found = lookup(self.state.output_dir, scope.get("raw_path", b"").decode("latin-1").split("?")[0] or path)
        if found.location:
            return await self.respond(send, 301, b"", "text/plain", [(b"location", found.location.encode())])
        if found.file is None:
            return await self.respond(send, 404, b"not found", "text/plain")
        data, content_type = found.file.read_bytes(), media_type(found.file)
        if content_type.startswith("text/html"):
            data = data.replace(b"</body>", RELOAD_SCRIPT.encode() + b"</body>", 1)
        await self.respond(send, found.status, data if scope["method"] != "HEAD" else b"", content_type)

    async def respond(self, send, status: int, body: bytes, content_type: str, headers=()):
        # every page and file gets the site's security headers (the API adds its own)
        security = [(name.lower().encode(), value.encode())
                    for name, value in site_headers(self.state.api_url)]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type.encode()), (b"cache-control", b"no-store"),
                                *security, *headers]})
        await send({"type": "http.response.body", "body": body})


def _watch(state: SiteState, paths: list[Path]):
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    pending = threading.Event()
    changed: set[Path] = set()
    changed_lock = threading.Lock()

    class Handler(FileSystemEventHandler):
        def __init__(self, root: Path):
            self.root = root

        def visible(self, raw) -> Path | None:
            # Editors' and tools' hidden files (.a.md.swp, .goutputstream-…) are not content. Only
            # what lies below the watched folder counts: a site may live in a hidden folder itself.
            path = Path(os.fsdecode(raw))
            try:
                inside = path.relative_to(self.root).parts
            except ValueError:
                inside = (path.name,)
            return None if any(part.startswith(".") for part in inside) else path

        def on_any_event(self, event):
            if event.event_type in ("opened", "closed_no_write"):
                return
            # A file saved through a hidden temporary file and renamed onto it counts by its new name.
            dest = getattr(event, "dest_path", "")
            saved = [path for path in (self.visible(event.src_path), self.visible(dest) if dest else None)
                     if path is not None]
            if not saved:
                return
            # A folder is "modified" whenever a file in it is saved: the file's own event names it.
            if not (event.is_directory and event.event_type == "modified"):
                with changed_lock:
                    changed.update(saved)
            pending.set()

    observer = Observer()
    for path in paths:
        if path.exists():
            observer.schedule(Handler(path if path.is_dir() else path.parent), str(path), recursive=path.is_dir())

    def rebuild_loop():
        while True:
            pending.wait()
            time.sleep(0.15)  # editors save in several steps: wait for them to finish
            with changed_lock:
                pending.clear()
                saved = sorted(changed)
                changed.clear()
            state.rebuild("change detected: ", saved)

    threading.Thread(target=rebuild_loop, daemon=True, name="kbgen-rebuild").start()
    observer.daemon = True
    observer.start()
    return observer


def load_api_app(root: Path, public_url: str):
    """The companion API for the dev server, on SQLite unless a database URL is configured.
    Links in mail (password resets, replies) point at this server unless kbgen.toml says
    where the portal really lives."""
    try:
        from .api.app import create_app
        from .api.settings import load_settings
    except ImportError:
        return None
    settings = load_settings(root, development=True)
    if "public_url" not in settings.file.api.model_fields_set:
        settings = settings.with_overrides(public_url=public_url.rstrip("/"))
    return create_app(settings)


def run_dev_server(ctx, *, host: str, port: int, audience: str, drafts: bool, with_api: bool, open_browser: bool):
    import uvicorn

    config = load_config(ctx.root)
    workspace = Path(tempfile.mkdtemp(prefix="kbgen-serve-"))
    # uvicorn stops on SIGTERM, then raises it again; by default that ends the process at once,
    # before the clean-up below.
    previous_handler = signal.signal(signal.SIGTERM, _exit_on_terminate)
    try:
        output_dir = workspace / "site"
        options = BuildOptions(audience=audience, drafts=drafts, output_dir=output_dir,
                               base_url=f"http://{host}:{port}/", in_place=True, defer_search=True)
        state = SiteState(ctx.root, output_dir, options)
        # watched before the first build, so that a file saved while it runs is rebuilt after it
        _watch(state, [config.content_dir, config.themes_dir, config.path])
        state.rebuild()
        api_app = load_api_app(ctx.root, f"http://{host}:{port}") if with_api else None
        url = f"http://{host}:{port}/{config.default_language}/"
        click.secho(f"Serving {url}" + (" with the API at /api/ and the agent page at /agent/" if api_app else "")
                    + " — press Ctrl+C to stop.", err=True, fg="cyan")
        if open_browser:
            threading.Timer(1.0, webbrowser.open, [url]).start()
        uvicorn.run(DevApp(state, api_app), host=host, port=port, log_level="warning")
    finally:
        # The preview is built anew on every start, so nothing in it is worth keeping; left
        # behind, each run of a 10,000-article KB put hundreds of MB in the temporary folder.
        shutil.rmtree(workspace, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous_handler)


def _exit_on_terminate(signum, frame):
    raise SystemExit(128 + signum)
