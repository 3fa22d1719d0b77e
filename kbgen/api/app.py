"""The ASGI app factory: `create_app(settings)` → FastAPI app with every route under /api/…,
the agent page under /agent/… and, when configured, the internal KB under /internal/…"""
from __future__ import annotations

import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from . import auth, pages
from .db import make_engine, make_read_session_factory, make_session_factory
from .deps import AppState, csrf_protect, end_sessions_in_endpoints
from .errors import ApiError, install_error_handlers
from .features import api_routers, page_routers
from .features.ticket_core import guest_key_matches_id
from .mailer import Mailer
from .middleware import (BodyLimitMiddleware, HeaderCheckMiddleware, LoadShedMiddleware, OverloadMiddleware, ReadCacheMiddleware,
                         SecurityHeadersMiddleware, TimingMiddleware)
from .migrate import upgrade
from .settings import Settings, load_settings
from .storage import FileStore


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    from .features.notifications import check_mail_texts

    check_mail_texts(settings)   # a site's reworded mail with a typo fails the start, not a request later
    engine = make_engine(settings.database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        upgrade(engine)

    @asynccontextmanager
    async def lifespan(_app):
        # mail left in the outbox by a crash or a restart goes out now, not at the next request;
        # upload files a crash left without their database row are removed
        app.state.kb.mailer.start_worker(persistent=True)
        threading.Thread(target=sweep_orphan_uploads, args=(app.state.kb,), daemon=True).start()
        yield
        app.state.kb.mailer.stop_worker()
        engine.dispose()

    app = FastAPI(title="kbgen companion API", version="1", openapi_url="/api/openapi.json",
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    sessions = make_session_factory(engine)
    app.state.kb = AppState(settings=settings, sessions=sessions, mailer=Mailer(settings, sessions),
                            files=FileStore(settings.uploads_dir), read_sessions=make_read_session_factory(engine))
    app.state.engine = engine
    install_error_handlers(app)

    api = APIRouter(prefix="/api", dependencies=[Depends(csrf_protect)])

    @api.get("/health", tags=["meta"])
    def health() -> dict:
        return {"status": "ok"}

    api.include_router(auth.router)
    for router in api_routers():
        api.include_router(router)

    @api.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown_endpoint(path: str):
        raise ApiError(404, "not_found", f"There is no API endpoint /api/{path}.")

    app.include_router(api)
    app.include_router(pages.router)
    for router in page_routers():
        app.include_router(router)
    if settings.internal_site is not None:
        app.include_router(pages.internal_router(settings.internal_site))

    end_sessions_in_endpoints(app.routes)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(LoadShedMiddleware, settings=settings)
    app.add_middleware(ReadCacheMiddleware, directory=settings.data_dir,
                       key_ok=lambda ticket_id, key: guest_key_matches_id(settings, ticket_id, key))
    if settings.overload_lag > 0:
        app.add_middleware(OverloadMiddleware, max_lag=settings.overload_lag)
    app.add_middleware(HeaderCheckMiddleware)
    if os.environ.get("KBGEN_API_TIMING") == "1":   # the load benchmark: where a request waits
        app.add_middleware(TimingMiddleware)
    cross_origins = [o for o in settings.allowed_origins if o]
    if cross_origins:
        # a site on another origin (e.g. a CDN) calling this API with the visitor's cookies
        app.add_middleware(CORSMiddleware, allow_origins=cross_origins, allow_credentials=True,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["content-type", "x-csrf-token", "idempotency-key", "x-chat-token"])
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure)
    return app


def sweep_orphan_uploads(state: AppState, older_than_seconds: float = 3600) -> list[str]:
    from sqlalchemy import select

    from .models import StoredFile
    try:
        with state.session_for("GET") as db:
            known = set(db.scalars(select(StoredFile.storage_key)))
        return state.files.sweep_orphans(known, older_than_seconds)
    except Exception as error:   # never stop the server for housekeeping
        import logging
        logging.getLogger("kbgen.api").warning("orphan upload sweep failed: %s", error)
        return []


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes (the CLI already migrated)."""
    settings = load_settings(os.environ.get("KBGEN_CONFIG", "kbgen.toml"))
    internal = os.environ.get("KBGEN_INTERNAL_SITE")
    if internal:
        settings = settings.with_overrides(internal_site=Path(internal).resolve())
    return create_app(settings, migrate=False)
