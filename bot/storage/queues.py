"""What the inbox and the outbox share: per-conversation queues that keep their order.

Both tables hold rows that wait (`pending`) until their `next_attempt_at`. A conversation
is ready when its *oldest* pending row is due; while that row waits for a retry, the rows
behind it wait too, so a sender's turns and replies are never reordered, and one
conversation's backlog never hides the others that are ready.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select

from bot.storage.models import InboxMessage, OutboxMessage, utcnow

PENDING = "pending"


def in_ready_conversations(model: type[InboxMessage] | type[OutboxMessage]) -> ColumnElement[bool]:
    """Filter for the pending rows of every conversation whose oldest pending row is due."""
    pending = model.status == PENDING
    heads = select(func.min(model.id)).where(pending).group_by(model.conversation_id)
    ready = select(model.conversation_id).where(model.id.in_(heads), model.next_attempt_at <= utcnow())
    return and_(pending, model.conversation_id.in_(ready))
