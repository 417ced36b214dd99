"""The persisted outbox: replies are delivered in order, retried with backoff, never dropped.

A reply that cannot be delivered after the last attempt, or that the platform refuses for
good (blocked bot, unknown user), is marked failed with the reason and stays in the table,
visible through `GET /api/admin/outbox?status=failed` and the health endpoint's counts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update

from bot.background import run_forever
from bot.privacy import mask_pii
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, utcnow
from bot.storage.queues import in_ready_conversations

logger = logging.getLogger(__name__)

SENT, FAILED = "sent", "failed"


class DeliveryError(Exception):
    """A platform refused or failed a delivery."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying: timeouts, 5xx, rate limits, expired tokens that were refreshed.

    `retry_after` is the platform's own instruction (Telegram's 429 `retry_after`), which
    the next attempt respects when it is longer than the usual backoff.
    """

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: the user blocked the bot, the recipient does not exist, bad request."""


Deliver = Callable[[str, dict], Awaitable[None]]


@dataclass(frozen=True)
class PendingReply:
    id: int
    channel: str
    recipient: str
    body: dict
    next_attempt_at: dt.datetime


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def pending_by_conversation(db: Database, limit: int = 2000) -> dict[str, list[PendingReply]]:
    """Pending replies of the conversations ready for delivery, in order (see bot.storage.queues)."""
    with db.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(in_ready_conversations(OutboxMessage)).order_by(OutboxMessage.id).limit(limit)
        ).all()
        grouped: dict[str, list[PendingReply]] = defaultdict(list)
        for row in rows:
            grouped[row.conversation_id].append(
                PendingReply(row.id, row.channel, row.recipient, json.loads(row.body_json), _aware(row.next_attempt_at))
            )
        return dict(grouped)


def mark_sent(db: Database, reply_id: int) -> None:
    with db.session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == reply_id).values(status=SENT, sent_at=utcnow()))


def mark_attempt_failed(
    db: Database, reply_id: int, error: str, permanent: bool, max_attempts: int, backoff: Callable[[int], float]
) -> str:
    """Record a failed delivery; returns the new status (pending for a retry, or failed)."""
    with db.session() as session:
        row = session.get_one(OutboxMessage, reply_id)
        row.attempts += 1
        row.last_error = error[:2000]
        if permanent or row.attempts >= max_attempts:
            row.status = FAILED
        else:
            row.next_attempt_at = utcnow() + dt.timedelta(seconds=backoff(row.attempts))
        return row.status


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {status: count for status, count in rows}


def listing(db: Database, status: str, limit: int = 100) -> list[dict]:
    """Recent outbox rows of one status, for operators (the body is masked like logs)."""
    with db.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == status).order_by(OutboxMessage.id.desc()).limit(limit)
        ).all()
        return [
            {
                "id": row.id,
                "channel": row.channel,
                "conversation_id": mask_pii(row.conversation_id),
                "attempts": row.attempts,
                "last_error": mask_pii(row.last_error),
                "created_at": row.created_at.isoformat(),
                "body": json.loads(mask_pii(row.body_json)),
            }
            for row in rows
        ]


class OutboxDispatcher:
    """Background delivery: per conversation in order, conversations in parallel."""

    def __init__(
        self,
        db: Database,
        deliverers: dict[str, Deliver],
        max_attempts: int = 8,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        concurrency: int = 32,
    ) -> None:
        self._db = db
        self._deliverers = deliverers
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._semaphore = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New replies were enqueued: deliver now rather than at the next poll."""
        self._wake.set()

    def _backoff(self, attempts: int) -> float:
        delay = min(self._max_delay, self._base_delay * 2 ** max(0, attempts - 1))
        return delay * random.uniform(0.8, 1.2)

    async def drain_once(self) -> int:
        """Deliver everything due now; returns how many replies were sent."""
        grouped = await asyncio.to_thread(pending_by_conversation, self._db)
        results = await asyncio.gather(*(self._deliver_conversation(replies) for replies in grouped.values()))
        return sum(results)

    async def _deliver_conversation(self, replies: list[PendingReply]) -> int:
        sent = 0
        async with self._semaphore:
            for reply in replies:
                if reply.next_attempt_at > utcnow():
                    break  # an earlier reply is waiting for its retry: keep the order
                if not await self._deliver(reply):
                    break
                sent += 1
        return sent

    async def _deliver(self, reply: PendingReply) -> bool:
        deliver = self._deliverers.get(reply.channel)
        try:
            if deliver is None:
                raise PermanentDeliveryError(f"no deliverer for channel {reply.channel!r}")
            await deliver(reply.recipient, reply.body)
        except DeliveryError as exc:
            permanent = isinstance(exc, PermanentDeliveryError)
            retry_after = getattr(exc, "retry_after", None)
            return await self._record_failure(reply, f"{type(exc).__name__}: {exc}", permanent, retry_after)
        except Exception as exc:
            return await self._record_failure(reply, f"{type(exc).__name__}: {exc}", permanent=False)
        await asyncio.to_thread(mark_sent, self._db, reply.id)
        return True

    async def _record_failure(
        self, reply: PendingReply, error: str, permanent: bool, retry_after: float | None = None
    ) -> bool:
        def backoff(attempts: int) -> float:
            return max(self._backoff(attempts), retry_after or 0.0)

        with_attempt = await asyncio.to_thread(
            mark_attempt_failed, self._db, reply.id, error, permanent, self._max_attempts, backoff
        )
        level = logging.ERROR if with_attempt == FAILED else logging.WARNING
        logger.log(level, "delivery of reply %s on %s: %s (%s)", reply.id, reply.channel, mask_pii(error), with_attempt)
        return permanent  # a permanent failure does not block the conversation's next replies

    async def run(self, poll_seconds: float = 1.0) -> None:
        """Deliver until cancelled."""
        await run_forever(self.drain_once, self._wake, poll_seconds, "outbox dispatcher")
