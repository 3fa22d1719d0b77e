"""`kbgen api …`: serve the API, migrate the database, add staff accounts."""
from __future__ import annotations

import os
from pathlib import Path

import click


def _settings(config: str):
    """Settings with every section of the file checked now (one schema), so a typo in [chat] or
    [forum] stops the command with the file, line and key instead of failing a request later;
    and the site's reworded mails (themes/<theme>/i18n/<lang>.toml)."""
    from .features.notifications import check_mail_texts
    from .settings import load_settings
    settings = load_settings(config)
    check_mail_texts(settings)
    return settings


@click.group("api")
def api() -> None:
    """The companion API (accounts, tickets, documents, ratings, agent page)."""


@api.command("serve")
@click.option("--config", "config", default="kbgen.toml", show_default=True, help="Site configuration file.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--internal-site", type=click.Path(file_okay=False, exists=True),
              help="Internal KB build to serve at /internal/ to signed-in staff only.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(config: str, host: str, port: int, internal_site: str | None, workers: int) -> None:
    """Run the API with uvicorn (migrates the database first)."""
    import uvicorn

    from .db import make_engine
    from .migrate import upgrade

    settings = _settings(config)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    os.environ["KBGEN_CONFIG"] = str(Path(config).resolve())
    if internal_site:
        os.environ["KBGEN_INTERNAL_SITE"] = str(Path(internal_site).resolve())
    click.echo(f"kbgen API on http://{host}:{port}/api/ (database: {_safe_url(settings.database_url)})")
    uvicorn.run("kbgen.api.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=settings.trust_proxy)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


@api.command("migrate")
@click.option("--config", "config", default="kbgen.toml", show_default=True)
def migrate(config: str) -> None:
    """Bring the database schema up to date."""
    from .db import make_engine
    from .migrate import pending_revisions, upgrade

    settings = _settings(config)
    engine = make_engine(settings.database_url)
    pending = pending_revisions(engine)
    upgrade(engine)
    engine.dispose()
    click.echo(f"Database {_safe_url(settings.database_url)} is up to date"
               + (f" (applied {', '.join(sorted(pending))})." if pending else " (nothing to apply)."))


@api.group("user")
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["agent", "admin"]), required=True)
@click.option("--name", default="")
@click.option("--password", envvar="KBGEN_USER_PASSWORD", help="Password (default: prompt; or KBGEN_USER_PASSWORD).")
@click.option("--config", "config", default="kbgen.toml", show_default=True)
def user_add(email: str, role: str, name: str, password: str | None, config: str) -> None:
    """Create a staff account, or give an existing account a staff role."""
    from sqlalchemy import select

    from .db import make_engine, make_session_factory
    from .migrate import upgrade
    from .models import User
    from .schemas import normalize_email
    from .security import hash_password

    try:
        email = normalize_email(email)
    except ValueError:
        raise click.BadParameter("is not a valid email address", param_hint="EMAIL") from None
    settings = _settings(config)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_session_factory(engine)() as db:
        existing = db.scalar(select(User).where(User.email == email))
        if existing is not None and not password:
            existing.role = role
            db.commit()
            click.echo(f"{email} is now {role}.")
            return
        if not password:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < 8:
            raise click.BadParameter("must be at least 8 characters", param_hint="--password")
        if existing is None:
            db.add(User(email=email, name=name, password_hash=hash_password(password), role=role))
        else:
            from .auth import invalidate_reset_links
            existing.role = role
            existing.password_hash = hash_password(password)
            invalidate_reset_links(db, existing.id)   # an older reset link must not undo this
        db.commit()
    engine.dispose()
    click.echo(f"{'Added' if existing is None else 'Updated'} {role} {email}.")
