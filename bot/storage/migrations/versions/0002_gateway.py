"""Gateway: inbox (de-duplication), outbox (delivery), button payloads, offered options, credentials.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("conversation_id", sa.String(240), nullable=False),
        sa.Column("platform_message_id", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("metadata_json", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "platform_message_id", name="uq_inbox_platform_id"),
    )
    op.create_index("ix_inbox_messages_conversation_id", "inbox_messages", ["conversation_id"])
    op.create_index("ix_inbox_messages_status", "inbox_messages", ["status"])
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("conversation_id", sa.String(240), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_messages_channel", "outbox_messages", ["channel"])
    op.create_index("ix_outbox_messages_conversation_id", "outbox_messages", ["conversation_id"])
    op.create_index("ix_outbox_messages_status", "outbox_messages", ["status"])
    op.create_index("ix_outbox_messages_next_attempt_at", "outbox_messages", ["next_attempt_at"])
    op.create_table(
        "button_payloads",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_table(
        "offered_options",
        sa.Column("conversation_id", sa.String(240), primary_key=True),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "channel_credentials",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("channel_credentials", "offered_options", "button_payloads", "outbox_messages", "inbox_messages"):
        op.drop_table(table)
