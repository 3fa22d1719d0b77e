"""HTML served by the API itself: the sign-in page, the agent page shell and its assets, and the
internal KB build, which only signed-in staff ever receive."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ..sitefiles import find_file, media_type
from .deps import current_user
from .errors import ApiError, request_language

AGENT_DIR = Path(__file__).parent / "agent"
BROWSER_JS_DIR = Path(__file__).parent.parent / "assets" / "js"

router = APIRouter(include_in_schema=False)


# the agent_* strings the sign-in page shows (signin.html's {{key}}) and its script needs
SIGNIN_KEYS = ("signin_title", "signin_heading", "signin_intro", "signin_email", "signin_password", "signin_submit",
               "signin_not_staff", "api_unreachable", "api_failed", "api_busy")


def signin_page(request: Request, status: int = 401) -> HTMLResponse:
    """The staff sign-in page, in the language the browser asks for. It carries the words of
    every site language, so that signin.js can follow an agent's own choice on the staff pages
    (kept in their browser), which the server never sees."""
    from .features.notifications import site_strings

    settings = request.app.state.kb.settings
    words = {lang: {key: site_strings(settings, lang)[f"agent_{key}"] for key in SIGNIN_KEYS}
             for lang in settings.languages}
    lang = request_language(request, settings.languages)
    fill = {**{key: html.escape(text) for key, text in words[lang].items()}, "lang": lang,
            # a JSON data block inside <script>: "<" escaped so that no text can close the element
            "words": json.dumps(words, ensure_ascii=False).replace("<", "\\u003c")}
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: fill[m[1]], (AGENT_DIR / "signin.html").read_text(encoding="utf-8"))
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store", "Vary": "Accept-Language"})


def _safe_file(root: Path, relative: str) -> Path | None:
    """The file `relative` inside `root`, or None; never anything outside `root`."""
    return find_file(root, relative)


def _file_response(path: Path) -> FileResponse:
    return FileResponse(path, media_type=media_type(path))


@router.get("/agent")
def agent_redirect() -> RedirectResponse:
    return RedirectResponse("/agent/", status_code=308)


@router.get("/agent/")
def agent_home(request: Request, user=Depends(current_user)) -> Response:
    if user is None or not user.is_staff:
        return signin_page(request, 401 if user is None else 403)
    return HTMLResponse((AGENT_DIR / "index.html").read_text(encoding="utf-8"))


@router.get("/agent/assets/{name}")
def agent_asset(name: str) -> Response:
    # the page shell and scripts hold no data (that comes from the staff-only API), so they are public
    path = _safe_file(AGENT_DIR, name)
    if path is None or path.suffix not in (".js", ".css", ".svg"):
        raise ApiError(404, "not_found", "No such file.")
    return _file_response(path)


@router.get("/agent/css/{name}")
def shared_stylesheet(name: str) -> Response:
    # the portal's design system (kbgen.css), so agent pages look and behave like the portal
    path = _safe_file(BROWSER_JS_DIR.parent / "css", name)
    if path is None or path.suffix != ".css":
        raise ApiError(404, "not_found", "No such file.")
    return _file_response(path)


@router.get("/agent/js/{name}")
def shared_browser_module(name: str) -> Response:
    # the same ES modules the static site bundles, imported directly by the agent page
    path = _safe_file(BROWSER_JS_DIR, name)
    if path is None or path.suffix != ".js" or name.startswith("_") or name.endswith(".test.js"):
        raise ApiError(404, "not_found", "No such file.")
    return _file_response(path)


def internal_router(site_dir: Path) -> APIRouter:
    internal = APIRouter(include_in_schema=False)

    @internal.get("/internal")
    def internal_redirect() -> RedirectResponse:
        return RedirectResponse("/internal/", status_code=308)

    @internal.get("/internal/{path:path}")
    def internal_page(path: str, request: Request, user=Depends(current_user)) -> Response:
        # the sign-in page is answered before the file is even looked up: no content, no hint of what exists
        if user is None or not user.is_staff:
            return signin_page(request, 401 if user is None else 403)
        file = _safe_file(site_dir, path)
        if file is None:
            missing = _safe_file(site_dir, "404.html")
            if missing is not None:
                return HTMLResponse(missing.read_text(encoding="utf-8"), status_code=404)
            return HTMLResponse("Not found", status_code=404)
        return _file_response(file)

    return internal
