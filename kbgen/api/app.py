"""The ASGI app factory: `create_app(settings)` → FastAPI app with every route under /api/…,
the agent page under /agent/… and, when configured, the internal KB under /internal/…"""
from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from . import auth, pages
from .db import make_engine, make_session_factory
from .deps import AppState, csrf_protect
from .errors import ApiError, install_error_handlers
from .features import api_routers, page_routers
from .mailer import Mailer
from .middleware import BodyLimitMiddleware, BodyTooLarge, SecurityHeadersMiddleware
from .migrate import upgrade
from .settings import Settings, load_settings
from .storage import FileStore


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    engine = make_engine(settings.database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        upgrade(engine)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        engine.dispose()

    app = FastAPI(title="kbgen companion API", version="1", openapi_url="/api/openapi.json",
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.kb = AppState(settings=settings, sessions=make_session_factory(engine), mailer=Mailer(settings),
                            files=FileStore(settings.uploads_dir))
    app.state.engine = engine
    install_error_handlers(app)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_request, _error):
        from fastapi.responses import JSONResponse
        from .errors import error_body
        return JSONResponse(error_body("too_large", "The request is too large."), status_code=413)

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

    app.add_middleware(BodyLimitMiddleware, settings=settings)
    cross_origins = [o for o in settings.allowed_origins if o]
    if cross_origins:
        # a site on another origin (e.g. a CDN) calling this API with the visitor's cookies
        app.add_middleware(CORSMiddleware, allow_origins=cross_origins, allow_credentials=True,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["content-type", "x-csrf-token", "idempotency-key", "x-chat-token"])
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes (the CLI already migrated)."""
    settings = load_settings(os.environ.get("KBGEN_CONFIG", "kbgen.toml"))
    internal = os.environ.get("KBGEN_INTERNAL_SITE")
    if internal:
        settings = settings.with_overrides(internal_site=Path(internal).resolve())
    return create_app(settings, migrate=False)
