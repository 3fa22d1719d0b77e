"""Feature modules of the API, listed once here (a new feature adds its line):

- `api_routers()`: APIRouters mounted under /api (CSRF protection applies to them);
- `page_routers()`: APIRouters mounted at the site root (HTML pages such as /agent/);
- `model_modules()`: the modules that declare SQLAlchemy tables, seen by migrations and schema checks.

Imported inside the functions, so importing this package stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # the builder imports chat_settings from here without the API installed
    from fastapi import APIRouter


def api_routers() -> list[APIRouter]:
    from . import (account, agent, canned, chat, chat_agent, documents, feedback, feedback_staff, forum, forum_staff,
                   ratings, tickets, verification)
    return [account.router, agent.router, canned.router, chat.router, chat_agent.router, documents.router, feedback.router,
            feedback_staff.router, forum.router, forum_staff.router, ratings.router, tickets.router, verification.router]


def page_routers() -> list[APIRouter]:
    from . import chat_agent, forum_pages
    return [chat_agent.page_router, forum_pages.page_router]


def model_modules() -> list:
    from . import canned_models, chat_models, feedback_models, forum_models, satisfaction_models
    return [canned_models, chat_models, feedback_models, forum_models, satisfaction_models]
