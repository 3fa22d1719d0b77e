"""The staff moderation page for the community (/agent/community/): the forum's moderation queue,
topics and answers, feedback ideas (status, note, merge) and the block list. Guarded like /agent/:
anyone who is not signed-in staff gets the sign-in page. Its script and styles are static files
under kbgen/api/agent/ (served by /agent/assets/…); the data comes from the staff-only API."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..deps import current_user
from ..pages import AGENT_DIR, signin_page

page_router = APIRouter(include_in_schema=False)


@page_router.get("/agent/community")
def community_redirect() -> RedirectResponse:
    return RedirectResponse("/agent/community/", status_code=308)


@page_router.get("/agent/community/")
def community_moderation(request: Request, user=Depends(current_user)) -> Response:
    if user is None or not user.is_staff:
        return signin_page(request, 401 if user is None else 403)
    return HTMLResponse((AGENT_DIR / "forum-moderation.html").read_text(encoding="utf-8"),
                        headers={"Cache-Control": "no-store"})
