"""The versioned schema: migrations build exactly what the models declare, on SQLite and PostgreSQL."""
from sqlalchemy import inspect, text

from kbgen.api.db import make_engine
from kbgen.api.migrate import pending_revisions, schema_differences, upgrade


def test_migrations_match_the_models(api_db_url):
    engine = make_engine(api_db_url)
    upgrade(engine)
    assert schema_differences(engine) == []
    assert pending_revisions(engine) == set()
    upgrade(engine)  # running it again (every start-up does) changes nothing
    assert "tickets" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_cli_migrate_and_user_add(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from kbgen.api.cli import api

    monkeypatch.delenv("KBGEN_DATABASE_URL", raising=False)
    config = tmp_path / "kbgen.toml"
    config.write_text(f'[api]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(api, ["migrate", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    result = runner.invoke(api, ["user", "add", "Boss@Example.com", "--role", "admin", "--password", "long enough pw",
                                 "--config", str(config)])
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'kbgen.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("select role from users where email='boss@example.com'")).scalar() == "admin"
    engine.dispose()
    bad = runner.invoke(api, ["user", "add", "nope", "--role", "agent", "--password", "x" * 10, "--config", str(config)])
    assert bad.exit_code != 0 and "valid email" in bad.output


def test_the_migrations_have_a_single_head():
    from alembic.script import ScriptDirectory

    from kbgen.api.migrate import MIGRATIONS_DIR

    heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert len(heads) == 1, f"two branches of migrations {heads}: make the newer revise the other (or add a merge revision)"


def test_a_database_at_the_two_old_heads_upgrades_to_the_one_head(tmp_path):
    from alembic import command

    from kbgen.api.migrate import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    command.upgrade(alembic_config(engine), "0004_feedback")
    command.upgrade(alembic_config(engine), "0005_chat")   # what a database migrated before the merge holds
    assert pending_revisions(engine)
    upgrade(engine)
    assert pending_revisions(engine) == set() and schema_differences(engine) == []
    engine.dispose()
