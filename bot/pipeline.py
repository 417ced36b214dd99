"""The gateway's conversation pipeline, the same for every channel.

inbound message -> inbox (persisted; a duplicate platform id stops here) -> per-conversation
lock (one message of a sender at a time) -> router (Rasa, or an operator while handed off)
-> rendering for the channel -> outbox (persisted; delivered with retries).

Channels whose platform waits for the reply in the HTTP response (web chat, Twilio SMS and
voice) call `answer`; channels that must be acknowledged at once (Telegram, Zalo) call
`receive`, and the inbox dispatcher answers in the background. Either way the inbound
message is on disk before the platform is acknowledged, so a crash loses nothing: on
restart, interrupted messages are processed again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot import inbox, options
from bot.background import run_forever
from bot.channel import ChannelAdapter, close_adapter
from bot.inbox import OutgoingRow
from bot.locks import KeyedLocks
from bot.messages import BotReply, InboundMessage
from bot.outbox import OutboxDispatcher
from bot.privacy import mask_pii
from bot.rasa_client import RasaClient, RasaUnavailableError
from bot.rendering import all_buttons
from bot.storage.db import Database
from bot.vietnamese import clean

logger = logging.getLogger(__name__)

EMPTY_MESSAGE_REPLY = BotReply(
    'Dạ, em chưa nhận được nội dung tin nhắn. Anh/chị vui lòng nhắn câu hỏi, ví dụ: "làm hộ chiếu cần giấy tờ gì" ạ.'
)
UNSUPPORTED_CONTENT_REPLY = BotReply("Dạ, hiện em chỉ đọc được tin nhắn chữ. Anh/chị vui lòng nhắn bằng chữ giúp em ạ.")
BUSY_REPLY = BotReply("Dạ, hệ thống đang bận nên em chưa trả lời được. Anh/chị vui lòng thử lại sau ít phút ạ.")


class Router(Protocol):
    """Where a conversation's messages go: the assistant, or (while handed off) an operator."""

    async def route(self, message: InboundMessage, text: str) -> list[BotReply]: ...


class RasaRouter:
    """Every conversation to the Rasa assistant. The operator route joins with the console."""

    def __init__(self, client: RasaClient) -> None:
        self._client = client

    async def route(self, message: InboundMessage, text: str) -> list[BotReply]:
        metadata = {"channel": message.channel, **message.metadata}
        return await self._client.send(message.conversation_id, text, metadata)


class Pipeline:
    """Receives, orders, routes and answers messages of every channel."""

    def __init__(
        self,
        db: Database,
        router: Router,
        adapters: Mapping[str, ChannelAdapter],
        max_text_chars: int = 4000,
        max_attempts: int = 5,
        retry_delay_seconds: float = 2.0,
    ) -> None:
        self.db = db
        self.adapters = dict(adapters)
        self._router = router
        self._locks = KeyedLocks()
        self._max_text_chars = max_text_chars
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay_seconds
        self.outbox = OutboxDispatcher(db, {name: adapter.deliver for name, adapter in self.adapters.items()})
        self._wake_inbox = asyncio.Event()
        self._in_progress: set[str] = set()
        self._tasks: list[asyncio.Task] = []
        self._background: list[asyncio.Task] = []

    # ------------------------------------------------------------------ entry points

    async def answer(self, message: InboundMessage, within: float | None = None) -> list[BotReply] | None:
        """Answer now (platforms that wait for the reply); None for a duplicate delivery.

        A message with a platform id is claimed in the inbox before it is processed, so a
        concurrent redelivery is refused. One without (plain web chat) has nothing to
        de-duplicate and its reply travels in this very response, so its inbox record is
        written after the answer, off the citizen's critical path.

        `within`: how long the platform waits (Twilio: 15 s, including any wait for the
        sender's previous turn). When the answer takes longer, the turn is not cut short:
        it finishes in the background and its replies go out through the outbox, and this
        returns an empty list for the platform's response.
        """
        inbox_id = None
        if message.platform_message_id is not None:
            inbox_id = await asyncio.to_thread(inbox.accept, self.db, message, inbox.PROCESSING)
            if inbox_id is None:
                return None
        turn = self._track(asyncio.create_task(self._answer_turn(message)))
        try:
            replies, error = await asyncio.wait_for(asyncio.shield(turn), within)
        except TimeoutError:

            def deliver_late(done: asyncio.Task) -> None:
                if not done.cancelled():  # cancelled by stop(): on restart the inbox re-queues it
                    self._record(message, inbox_id, *done.result(), deliver=True)

            turn.add_done_callback(deliver_late)
            return []
        self._record(message, inbox_id, replies, error, deliver=False)
        return replies

    async def _answer_turn(self, message: InboundMessage) -> tuple[list[BotReply], str]:
        """The replies and, when the turn failed, what went wrong (the replies are then an apology)."""
        async with self._locks.hold(message.conversation_id):
            try:
                return await self._turn(message), ""
            except Exception as exc:  # the platform is waiting: it gets an apology, never a 500
                self._log_failed_turn(message, exc)
                return [BUSY_REPLY], _describe(exc)

    def _record(
        self, message: InboundMessage, inbox_id: int | None, replies: list[BotReply], error: str, deliver: bool
    ) -> None:
        """Write the outcome of an answered message in the background; `deliver` enqueues the replies."""

        def record() -> None:
            outgoing = self._outgoing(message, replies) if deliver else []
            if inbox_id is None and not outgoing:  # nothing to de-duplicate or send: one write
                inbox.accept(self.db, message, inbox.FAILED if error else inbox.DONE)
                return
            row_id = inbox_id if inbox_id is not None else inbox.accept(self.db, message, inbox.PROCESSING)
            if row_id is None:
                return
            if error:
                inbox.fail(self.db, row_id, error, outgoing)
            else:
                inbox.complete(self.db, row_id, outgoing)
            if outgoing:
                self.outbox.wake()

        self._track(asyncio.create_task(asyncio.to_thread(record)))

    def _track(self, task: asyncio.Task) -> asyncio.Task:
        """Keep a reference to a background task until it ends, so stop() can wait for it."""
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)
        return task

    async def receive(self, message: InboundMessage) -> bool:
        """Store for background answering (platforms acknowledged at once); False for a duplicate."""
        inbox_id = await asyncio.to_thread(inbox.accept, self.db, message)
        if inbox_id is None:
            return False
        self._wake_inbox.set()
        return True

    # ------------------------------------------------------------------ the turn

    async def _turn(self, message: InboundMessage) -> list[BotReply]:
        """One exchange: what the citizen sent -> what the assistant says (no persistence)."""
        adapter = self.adapters.get(message.channel)
        numbered = bool(adapter and adapter.numbered_options)
        text = clean(message.text)[: self._max_text_chars]
        payload = message.payload
        if payload is None and numbered and text:
            payload = await asyncio.to_thread(options.resolve_option, self.db, message.conversation_id, text)
        if payload is None and not text:
            unsupported = message.metadata.get("content_type") not in (None, "text")
            return [UNSUPPORTED_CONTENT_REPLY if unsupported else EMPTY_MESSAGE_REPLY]
        replies = await self._router.route(message, payload or text)
        if numbered:
            await asyncio.to_thread(options.remember_options, self.db, message.conversation_id, all_buttons(replies))
        return replies

    def _outgoing(self, message: InboundMessage, replies: Sequence[BotReply]) -> list[OutgoingRow]:
        adapter = self.adapters[message.channel]
        return [
            OutgoingRow(message.channel, message.sender, message.conversation_id, body)
            for body in adapter.render(replies)
        ]

    async def _process(self, inbox_id: int) -> bool:
        """Answer one stored message and enqueue the replies; False when a retry was scheduled.

        Any failure (the assistant unreachable, a locked database, a rendering bug) is
        retried with backoff and, after the last attempt, answered with an apology: a
        message already acknowledged to the platform is never left unanswered.
        """
        if not await asyncio.to_thread(inbox.claim, self.db, inbox_id):
            return True
        message = await asyncio.to_thread(inbox.load, self.db, inbox_id)
        try:
            replies = await self._turn(message)
            outgoing = await asyncio.to_thread(self._outgoing, message, replies)
            await asyncio.to_thread(inbox.complete, self.db, inbox_id, outgoing)
        except Exception as exc:
            self._log_failed_turn(message, exc)
            error = _describe(exc)
            attempts = await asyncio.to_thread(inbox.retry_later, self.db, inbox_id, error, self._retry_backoff)
            if attempts < self._max_attempts:
                return False
            apology = await asyncio.to_thread(self._outgoing, message, [BUSY_REPLY])
            await asyncio.to_thread(inbox.fail, self.db, inbox_id, error, apology)
        self.outbox.wake()
        return True

    @staticmethod
    def _log_failed_turn(message: InboundMessage, exc: Exception) -> None:
        conversation = mask_pii(message.conversation_id)
        if isinstance(exc, RasaUnavailableError):
            logger.warning("assistant unavailable for %s: %s", conversation, exc)
        else:
            logger.exception("turn of %s failed", conversation)

    def _retry_backoff(self, attempts: int) -> float:
        return self._retry_delay * 2 ** (attempts - 1)

    # ------------------------------------------------------------------ background work

    async def _conversation_worker(self, conversation: str, inbox_ids: list[int]) -> None:
        try:
            async with self._locks.hold(conversation):
                for inbox_id in inbox_ids:
                    if not await self._process(inbox_id):
                        break  # later messages wait for this one: a sender's turns stay in order
        except Exception:
            logger.exception("processing messages of %s failed", mask_pii(conversation))
        finally:
            self._in_progress.discard(conversation)
            self._wake_inbox.set()

    async def dispatch_inbox_once(self) -> int:
        """Start workers for every conversation with due messages; returns how many started."""
        due = await asyncio.to_thread(inbox.due, self.db)
        by_conversation: dict[str, list[int]] = {}
        for inbox_id, conversation in due:
            by_conversation.setdefault(conversation, []).append(inbox_id)
        started = 0
        for conversation, inbox_ids in by_conversation.items():
            if conversation in self._in_progress:
                continue  # its worker picks the new messages up on the next round, in order
            self._in_progress.add(conversation)
            self._track(asyncio.create_task(self._conversation_worker(conversation, inbox_ids)))
            started += 1
        return started

    async def start(self, poll_seconds: float = 1.0) -> None:
        """Recover interrupted messages and start the inbox and outbox dispatchers."""
        deferred = {name for name, adapter in self.adapters.items() if adapter.delivers_later}
        recovered = await asyncio.to_thread(inbox.recover_interrupted, self.db, deferred)
        if recovered:
            logger.info("re-queued %d messages interrupted by a restart", recovered)
        self._background = [
            asyncio.create_task(run_forever(self.dispatch_inbox_once, self._wake_inbox, poll_seconds, "inbox loop")),
            asyncio.create_task(self.outbox.run(poll_seconds)),
        ]

    async def stop(self) -> None:
        tasks = [*self._background, *self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(close_adapter(adapter) for adapter in self.adapters.values()), return_exceptions=True)


def _describe(exc: Exception) -> str:
    """What a failure is recorded as: the type and message (masked, since it may quote the citizen)."""
    return mask_pii(f"{type(exc).__name__}: {exc}")
