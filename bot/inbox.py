"""The persisted inbox: de-duplication, crash safety and retry state of inbound messages.

Functions here are synchronous database operations; the pipeline runs them in a thread.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.messages import InboundMessage
from bot.storage.db import Database
from bot.storage.models import InboxMessage, OutboxMessage, utcnow
from bot.storage.queues import PENDING, in_ready_conversations

PROCESSING, DONE, FAILED = "processing", "done", "failed"


@dataclass(frozen=True)
class OutgoingRow:
    """One platform-ready message to enqueue together with marking an inbound message done."""

    channel: str
    recipient: str
    conversation_id: str
    body: dict


def accept(db: Database, message: InboundMessage, status: str = PENDING) -> int | None:
    """Store an inbound message; None when the platform already delivered it (duplicate)."""
    row = InboxMessage(
        channel=message.channel,
        sender=message.sender,
        conversation_id=message.conversation_id,
        platform_message_id=message.platform_message_id,
        text=message.text,
        payload=message.payload,
        metadata_json=json.dumps(message.metadata, ensure_ascii=False, default=str),
        status=status,
        received_at=message.timestamp,
    )
    try:
        with db.session() as session:
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def load(db: Database, inbox_id: int) -> InboundMessage:
    with db.session() as session:
        row = session.get_one(InboxMessage, inbox_id)
        return InboundMessage(
            channel=row.channel,
            sender=row.sender,
            text=row.text,
            payload=row.payload,
            platform_message_id=row.platform_message_id,
            timestamp=row.received_at,
            metadata=json.loads(row.metadata_json or "{}"),
        )


def _enqueue(session: Session, outgoing: Sequence[OutgoingRow]) -> None:
    for row in outgoing:
        body = json.dumps(row.body, ensure_ascii=False)
        session.add(
            OutboxMessage(
                channel=row.channel, recipient=row.recipient, conversation_id=row.conversation_id, body_json=body
            )
        )


def complete(db: Database, inbox_id: int, outgoing: Sequence[OutgoingRow] = ()) -> None:
    """Mark a message answered and enqueue its replies in the same transaction.

    Either both happen or neither: a reply is never enqueued twice for one message, and a
    message is never marked answered without its replies queued.
    """
    with db.session() as session:
        session.execute(update(InboxMessage).where(InboxMessage.id == inbox_id).values(status=DONE, last_error=""))
        _enqueue(session, outgoing)


def retry_later(db: Database, inbox_id: int, error: str, backoff: Callable[[int], float]) -> int:
    """Record a failed attempt and when to try again; returns the number of attempts so far."""
    with db.session() as session:
        row = session.get_one(InboxMessage, inbox_id)
        row.attempts += 1
        row.last_error = error[:2000]
        row.status = PENDING
        row.next_attempt_at = utcnow() + dt.timedelta(seconds=backoff(row.attempts))
        return row.attempts


def fail(db: Database, inbox_id: int, error: str, outgoing: Sequence[OutgoingRow] = ()) -> None:
    """Give up on a message (it stays visible as failed) and enqueue the apology sent instead."""
    with db.session() as session:
        row = session.get_one(InboxMessage, inbox_id)
        row.status, row.last_error = FAILED, error[:2000]
        _enqueue(session, outgoing)


def due(db: Database, limit: int = 200) -> list[tuple[int, str]]:
    """(id, conversation) of pending messages ready to process, oldest first (see bot.storage.queues)."""
    with db.session() as session:
        rows = session.execute(
            select(InboxMessage.id, InboxMessage.conversation_id)
            .where(in_ready_conversations(InboxMessage))
            .order_by(InboxMessage.id)
            .limit(limit)
        )
        return [(row.id, row.conversation_id) for row in rows]


def claim(db: Database, inbox_id: int) -> bool:
    """Move a pending message to processing; False if another worker took it first."""
    with db.session() as session:
        result = session.execute(
            update(InboxMessage)
            .where(InboxMessage.id == inbox_id, InboxMessage.status == PENDING)
            .values(status=PROCESSING)
        )
        return result.rowcount == 1


def recover_interrupted(db: Database, requeue_channels: Collection[str]) -> int:
    """After a restart, messages caught mid-processing go back to the queue.

    Only channels that can deliver a reply later are re-queued; on the others (web chat,
    a phone call) the citizen's request has ended, and the message is marked failed.
    """
    with db.session() as session:
        interrupted = (InboxMessage.status == PROCESSING,)
        requeued = session.execute(
            update(InboxMessage)
            .where(*interrupted, InboxMessage.channel.in_(list(requeue_channels)))
            .values(status=PENDING)
        ).rowcount
        session.execute(update(InboxMessage).where(*interrupted).values(status=FAILED, last_error="interrupted"))
        return requeued


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(InboxMessage.status, func.count()).group_by(InboxMessage.status))
        return {status: count for status, count in rows}
