from alembic import context

from kbgen.api import all_models

target_metadata = all_models.metadata()
engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                      render_as_batch=engine.dialect.name == "sqlite")
    context.run_migrations()
