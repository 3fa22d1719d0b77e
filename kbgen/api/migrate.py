"""Versioned schema: Alembic migrations shipped inside the package, applied at start-up and by
`kbgen api migrate`. One line of revisions: a new one revises the current head (a test fails on two heads)."""
from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


@functools.cache
def _script_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def _current_heads(engine: Engine) -> frozenset[str]:
    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> None:
    # every start-up (and every test) calls this; skip Alembic's machinery when nothing is pending
    if _current_heads(engine) == _script_heads():
        return
    command.upgrade(alembic_config(engine), "heads")


def pending_revisions(engine: Engine) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return set(script.get_heads()) - current


def schema_differences(engine: Engine) -> list:
    """What the models declare but the migrated database lacks (empty when migrations are complete)."""
    from alembic.autogenerate import compare_metadata

    from . import all_models

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, all_models.metadata())
