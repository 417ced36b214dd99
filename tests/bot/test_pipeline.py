"""Pipeline semantics with a scripted router: ordering, de-duplication, retries, outbox."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from bot import inbox, outbox
from bot.messages import BotReply, Button, InboundMessage
from bot.outbox import PermanentDeliveryError, TransientDeliveryError
from bot.pipeline import BUSY_REPLY, EMPTY_MESSAGE_REPLY, UNSUPPORTED_CONTENT_REPLY, Pipeline
from bot.rasa_client import RasaUnavailableError
from bot.storage.db import Database
from bot.storage.models import InboxMessage


class ScriptedRouter:
    """Answers "echo: <text>", after an optional delay; can fail the first N calls with `error`."""

    def __init__(self, delay: float = 0.0, failures: int = 0, error: Exception | None = None) -> None:
        self.delay, self.failures, self.seen = delay, failures, []
        self.error = error or RasaUnavailableError("down")

    async def route(self, message: InboundMessage, text: str) -> list[BotReply]:
        self.seen.append((message.conversation_id, text))
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise self.error
        return [BotReply(f"echo: {text}", buttons=(Button("Một", "/one"), Button("Hai", "/two")))]


class RecordingAdapter:
    def __init__(self, name: str, numbered: bool = False, fail_with: Exception | None = None) -> None:
        self.name, self.numbered_options, self.delivers_later = name, numbered, True
        self.delivered: list[tuple[str, dict]] = []
        self.fail_with = fail_with

    def render(self, replies):
        return [{"text": reply.text} for reply in replies]

    async def deliver(self, recipient, body):
        if self.fail_with is not None:
            raise self.fail_with
        self.delivered.append((recipient, body))


@pytest.fixture
def db(tmp_path):
    return Database(f"sqlite:///{tmp_path / 'app.db'}")


def run(coroutine):
    return asyncio.run(coroutine)


def test_duplicate_platform_ids_are_answered_once(db):
    async def scenario():
        pipeline = Pipeline(db, ScriptedRouter(), {"t": RecordingAdapter("t")})
        message = InboundMessage("t", "u1", "hello", platform_message_id="42")
        assert await pipeline.answer(message) is not None
        assert await pipeline.answer(message) is None
        assert await pipeline.receive(message) is False

    run(scenario())


def test_one_sender_in_order_different_senders_in_parallel(db):
    async def scenario():
        router = ScriptedRouter(delay=0.05)
        adapter = RecordingAdapter("t")
        pipeline = Pipeline(db, router, {"t": adapter})
        for index in range(5):
            await pipeline.receive(InboundMessage("t", "a", f"a{index}", platform_message_id=f"a{index}"))
            await pipeline.receive(InboundMessage("t", "b", f"b{index}", platform_message_id=f"b{index}"))
        started = asyncio.get_running_loop().time()
        await pipeline.start(poll_seconds=0.05)
        while len(adapter.delivered) < 10:
            await asyncio.sleep(0.02)
        elapsed = asyncio.get_running_loop().time() - started
        await pipeline.stop()
        for sender in ("a", "b"):
            texts = [body["text"] for recipient, body in adapter.delivered if recipient == sender]
            assert texts == [f"echo: {sender}{i}" for i in range(5)]
        assert elapsed < 10 * 0.05 + 1.0  # the two senders overlapped

    run(scenario())


def test_a_transient_failure_recovers(db):
    async def scenario():
        adapter = RecordingAdapter("t")
        pipeline = Pipeline(db, ScriptedRouter(failures=1), {"t": adapter}, retry_delay_seconds=0.01)
        await pipeline.receive(InboundMessage("t", "u", "hello", platform_message_id="1"))
        await pipeline.start(poll_seconds=0.02)
        while not adapter.delivered:
            await asyncio.sleep(0.02)
        await pipeline.stop()
        assert adapter.delivered == [("u", {"text": "echo: hello"})]

    run(scenario())


def test_a_retried_message_is_not_overtaken_by_the_next_one(db):
    """The first message fails once; the second, already waiting, must still be answered after it."""

    async def scenario():
        adapter = RecordingAdapter("t")
        router = ScriptedRouter(failures=1)
        pipeline = Pipeline(db, router, {"t": adapter}, retry_delay_seconds=0.3)
        for index in range(3):
            await pipeline.receive(InboundMessage("t", "u", f"m{index}", platform_message_id=f"m{index}"))
        await pipeline.start(poll_seconds=0.02)
        while len(adapter.delivered) < 3:
            await asyncio.sleep(0.02)
        await pipeline.stop()
        assert [body["text"] for _, body in adapter.delivered] == ["echo: m0", "echo: m1", "echo: m2"]
        assert [text for _, text in router.seen] == ["m0", "m0", "m1", "m2"]

    run(scenario())


@pytest.mark.parametrize(
    "error", [RasaUnavailableError("down"), RuntimeError("database is locked 0912345678")], ids=["rasa", "other"]
)
def test_a_failing_turn_is_retried_then_apologised_for_never_left_pending(db, error):
    async def scenario():
        adapter = RecordingAdapter("t")
        router = ScriptedRouter(failures=99, error=error)
        pipeline = Pipeline(db, router, {"t": adapter}, max_attempts=2, retry_delay_seconds=0.01)
        await pipeline.receive(InboundMessage("t", "u", "hello", platform_message_id="1"))
        await pipeline.start(poll_seconds=0.02)
        while not adapter.delivered:
            await asyncio.sleep(0.02)
        await pipeline.stop()
        assert adapter.delivered == [("u", {"text": BUSY_REPLY.text})]
        assert inbox.counts(db) == {"failed": 1}
        assert len(router.seen) == 2  # both attempts were made
        with db.session() as session:
            recorded = session.scalars(select(InboxMessage.last_error)).one()
        assert recorded.startswith(type(error).__name__) and "0912345678" not in recorded

    run(scenario())


def test_a_waiting_platform_gets_an_apology_not_an_error(db):
    async def scenario():
        pipeline = Pipeline(db, ScriptedRouter(failures=1, error=KeyError("boom")), {"t": RecordingAdapter("t")})
        replies = await pipeline.answer(InboundMessage("t", "u", "hello", platform_message_id="1"))
        assert replies == [BUSY_REPLY]
        await asyncio.gather(*pipeline._tasks)
        assert inbox.counts(db) == {"failed": 1}

    run(scenario())


def test_empty_and_non_text_messages_get_a_reply_without_the_assistant(db):
    async def scenario():
        router = ScriptedRouter()
        pipeline = Pipeline(db, router, {"t": RecordingAdapter("t")})
        assert await pipeline.answer(InboundMessage("t", "u", "  \x00 ")) == [EMPTY_MESSAGE_REPLY]
        sticker = InboundMessage("t", "u", "", metadata={"content_type": "sticker"})
        assert await pipeline.answer(sticker) == [UNSUPPORTED_CONTENT_REPLY]
        assert router.seen == []

    run(scenario())


def test_numbered_reply_maps_to_the_offered_button(db):
    async def scenario():
        router = ScriptedRouter()
        pipeline = Pipeline(db, router, {"sms": RecordingAdapter("sms", numbered=True)})
        await pipeline.answer(InboundMessage("sms", "+84900000001", "xin chào"))
        await pipeline.answer(InboundMessage("sms", "+84900000001", " 2 "))
        assert router.seen[-1] == ("sms:+84900000001", "/two")

    run(scenario())


def test_interrupted_messages_are_requeued_after_a_restart(db):
    message = InboundMessage("t", "u", "hello", platform_message_id="7")
    web = InboundMessage("web", "u", "hello")
    inbox.accept(db, message, inbox.PROCESSING)
    inbox.accept(db, web, inbox.PROCESSING)
    assert inbox.recover_interrupted(db, {"t"}) == 1
    assert inbox.counts(db) == {"pending": 1, "failed": 1}


def test_outbox_retries_transient_failures_and_keeps_permanent_ones_visible(db):
    async def scenario():
        flaky = RecordingAdapter("t", fail_with=TransientDeliveryError("503"))
        blocked = RecordingAdapter("b", fail_with=PermanentDeliveryError("403 blocked"))
        inbox.complete(db, inbox.accept(db, InboundMessage("t", "u", "x", platform_message_id="1")), [
            inbox.OutgoingRow("t", "u", "t:u", {"text": "one"}),
            inbox.OutgoingRow("t", "u", "t:u", {"text": "two"}),
        ])  # fmt: skip
        inbox.complete(db, inbox.accept(db, InboundMessage("b", "v", "x", platform_message_id="2")), [
            inbox.OutgoingRow("b", "v", "b:v", {"text": "three"}),
        ])  # fmt: skip
        dispatcher = outbox.OutboxDispatcher(db, {"t": flaky.deliver, "b": blocked.deliver}, base_delay=0.01)
        await dispatcher.drain_once()
        assert outbox.counts(db) == {"pending": 2, "failed": 1}
        failed = outbox.listing(db, "failed")
        assert failed[0]["body"] == {"text": "three"} and "blocked" in failed[0]["last_error"]
        flaky.fail_with = None
        await asyncio.sleep(0.05)
        await dispatcher.drain_once()
        assert [body["text"] for _, body in flaky.delivered] == ["one", "two"]
        assert outbox.counts(db) == {"sent": 2, "failed": 1}

    run(scenario())


def test_outbox_body_listing_masks_phone_numbers(db):
    inbox.complete(db, inbox.accept(db, InboundMessage("t", "u", "x", platform_message_id="9")), [
        inbox.OutgoingRow("t", "0912345678", "t:0912345678", {"text": "gọi 0912345678"}),
    ])  # fmt: skip
    row = outbox.listing(db, "pending")[0]
    assert "0912345678" not in json.dumps(row, ensure_ascii=False)


def test_a_conversation_waiting_for_retries_does_not_hide_ready_ones(db):
    """The oldest pending replies all belong to a platform that is down; another's reply still goes out."""
    inbox.complete(db, inbox.accept(db, InboundMessage("z", "down", "x", platform_message_id="1")), [
        inbox.OutgoingRow("z", "down", "z:down", {"text": f"waiting {index}"}) for index in range(3)
    ])  # fmt: skip
    inbox.complete(db, inbox.accept(db, InboundMessage("t", "up", "x", platform_message_id="2")), [
        inbox.OutgoingRow("t", "up", "t:up", {"text": "ready"}),
    ])  # fmt: skip
    head_id = min(reply.id for reply in outbox.pending_by_conversation(db)["z:down"])
    outbox.mark_attempt_failed(db, head_id, "503", permanent=False, max_attempts=8, backoff=lambda _: 3600)
    ready = outbox.pending_by_conversation(db, limit=2)
    assert list(ready) == ["t:up"]
    assert [reply.body["text"] for reply in ready["t:up"]] == ["ready"]


def test_an_answer_slower_than_the_platform_waits_is_delivered_later(db):
    """The webhook gets an empty answer at the deadline; the reply follows through the outbox, once."""

    async def scenario():
        adapter = RecordingAdapter("t")
        router = ScriptedRouter(delay=0.3)
        pipeline = Pipeline(db, router, {"t": adapter})
        await pipeline.start(poll_seconds=0.02)
        message = InboundMessage("t", "u", "hello", platform_message_id="slow-1")
        assert await pipeline.answer(message, within=0.05) == []
        while not adapter.delivered:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        await pipeline.stop()
        assert adapter.delivered == [("u", {"text": "echo: hello"})]
        assert router.seen == [("t:u", "hello")]  # the turn was not cut short and re-run
        assert inbox.counts(db) == {"done": 1}

    run(scenario())


def test_an_answer_within_the_deadline_is_returned_not_delivered(db):
    async def scenario():
        adapter = RecordingAdapter("t")
        pipeline = Pipeline(db, ScriptedRouter(), {"t": adapter})
        replies = await pipeline.answer(InboundMessage("t", "u", "hi", platform_message_id="fast-1"), within=5)
        await asyncio.gather(*pipeline._tasks)
        assert [reply.text for reply in replies] == ["echo: hi"]
        assert outbox.counts(db) == {} and inbox.counts(db) == {"done": 1}

    run(scenario())
