"""Database tables of the application core."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class HandoffRequest(Base):
    """A citizen's request for a human operator, or a complaint to pass on to one.

    Recorded before the citizen is told anything, so that a promise of a call-back is
    never made without the request being on file.
    """

    __tablename__ = "handoff_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))  # "request_human" or "complain"
    citizen_message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InboxMessage(Base):
    """Every inbound message, stored before it is acknowledged.

    The unique (channel, platform_message_id) pair is the de-duplication: a platform's
    redelivery, even after a restart, hits the constraint and is not answered twice. A
    message acknowledged to the platform is on disk, so a crash cannot lose it.
    """

    __tablename__ = "inbox_messages"
    __table_args__ = (UniqueConstraint("channel", "platform_message_id", name="uq_inbox_platform_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(240), index=True)
    platform_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxMessage(Base):
    """A reply waiting to be delivered, retried with backoff; permanent failures stay visible."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(240), index=True)
    body_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ButtonPayload(Base):
    """Button payloads too long for a platform's callback field, referenced by a short key."""

    __tablename__ = "button_payloads"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)


class OfferedOptions(Base):
    """The buttons last shown to a conversation, so that a reply "1" (SMS, voice keypad, Zalo
    numbered list) maps back to the first button's payload."""

    __tablename__ = "offered_options"

    conversation_id: Mapped[str] = mapped_column(String(240), primary_key=True)
    options_json: Mapped[str] = mapped_column(Text)
    offered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChannelCredential(Base):
    """Rotating platform credentials (Zalo's single-use refresh token), replaced atomically."""

    __tablename__ = "channel_credentials"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
