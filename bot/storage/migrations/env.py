"""Alembic environment: runs migrations on the connection `bot.storage.db.migrate` passes."""

from alembic import context

from bot.storage.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")

if connection is None:  # invoked from the alembic CLI
    from bot.storage.db import make_engine

    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    connection = engine.connect()

context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
