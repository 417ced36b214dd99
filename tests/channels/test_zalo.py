"""Zalo OA channel: signed webhook, real Rasa behind it, a fake Zalo API and OAuth server in front."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid

import httpx
import pytest
from pydantic import SecretStr

from bot import inbox, outbox
from bot.messages import BotReply, Button
from bot.outbox import PermanentDeliveryError, TransientDeliveryError
from bot.storage.db import Database
from bot.storage.models import ChannelCredential
from bot.storage.queues import PENDING
from channels import zalo
from tests.fakes.platform_server import Scripted

APP_ID = "4321987654321"
OA_SECRET = "oa-secret-key"
APP_SECRET = "app-secret-key"
WEBHOOK = "/channels/zalo/webhook"
SEND = "/v3.0/oa/message/cs"
REFRESH = "/v4/oa/access_token"
SENT_OK = {"error": 0, "message": "Success", "data": {"message_id": "m-1", "user_id": "u"}}
EXPIRED = {"error": -216, "message": "Access token is invalid"}


# ---------------------------------------------------------------------------- helpers


def sign(raw: bytes, timestamp: str, app_id: str = APP_ID, secret: str = OA_SECRET) -> str:
    """Zalo's webhook signature, computed here independently of the channel's code."""
    return "mac=" + hashlib.sha256(app_id.encode() + raw + timestamp.encode() + secret.encode()).hexdigest()


def user_event(name: str, user: str, text: str | None = None, msg_id: str | None = None) -> dict:
    message: dict = {"msg_id": msg_id or uuid.uuid4().hex}
    if text is not None:
        message["text"] = text
    return {
        "app_id": APP_ID,
        "user_id_by_app": f"app-{user}",
        "event_name": name,
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": user},
        "recipient": {"id": "579745863508352884"},
        "message": message,
    }


def text_event(user: str, text: str, msg_id: str | None = None) -> dict:
    return user_event("user_send_text", user, text, msg_id)


def post(client, event: dict, signature: str | bytes | None = "compute"):
    raw = json.dumps(event, ensure_ascii=False).encode()
    headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
    if signature == "compute":
        headers["X-ZEvent-Signature"] = sign(raw, str(event["timestamp"]))
    elif signature is not None:
        headers["X-ZEvent-Signature"] = signature
    return client.post(WEBHOOK, content=raw, headers=headers)


def sends_to(fake, user: str) -> list:
    return [call for call in fake.calls(SEND) if call.json()["recipient"]["user_id"] == user]


def wait_for_reply(fake, user: str, containing: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in sends_to(fake, user):
            if containing in call.json()["message"]["text"]:
                return call
        time.sleep(0.05)
    texts = [call.json()["message"]["text"] for call in sends_to(fake, user)]
    raise AssertionError(f"no reply to {user} containing {containing!r}; sent: {texts}")


def db_of(client) -> Database:
    return client.app.state.pipeline.db


def wait_until_delivered(client, timeout: float = 60.0) -> dict[str, int]:
    """Wait until the inbox is answered and the outbox has nothing pending; returns outbox counts."""
    db = db_of(client)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inbox_counts, outbox_counts = inbox.counts(db), outbox.counts(db)
        busy = inbox_counts.get(PENDING, 0) + inbox_counts.get(inbox.PROCESSING, 0)
        if not busy and not outbox_counts.get(PENDING, 0):
            return outbox_counts
        time.sleep(0.05)
    raise AssertionError(f"still busy: inbox {inbox.counts(db)}, outbox {outbox.counts(db)}")


def stored_pair(client) -> tuple[str, str, int]:
    with db_of(client).session() as session:
        row = session.get_one(ChannelCredential, "zalo")
        return row.access_token, row.refresh_token, row.version


def zalo_settings(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "zalo_app_id": APP_ID,
        "zalo_oa_secret_key": SecretStr(OA_SECRET),
        "zalo_app_secret_key": SecretStr(APP_SECRET),
        "zalo_access_token": SecretStr("old-access"),
        "zalo_refresh_token": SecretStr("refresh-1"),
    }
    values.update(overrides)
    return values


@pytest.fixture
def client(gateway, rasa_stack, fake_platform):
    fake_platform.respond(SEND, Scripted(body=SENT_OK))
    return gateway(
        [zalo.channel],
        rasa_url=rasa_stack.rasa_url,
        zalo_api_base_url=fake_platform.url,
        zalo_oauth_base_url=fake_platform.url,
        **zalo_settings(),
    )


# ---------------------------------------------------------------------------- conversations (real Rasa)


@pytest.mark.stack
def test_vietnamese_question_is_answered_through_the_send_api(client, fake_platform):
    response = post(client, text_event("user-fee", "lệ phí đổi bằng lái bao nhiêu"))
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}

    call = wait_for_reply(fake_platform, "user-fee", "135.000")
    assert call.method == "POST"
    assert call.headers["access_token"] == "old-access"
    body = call.json()
    assert body["recipient"] == {"user_id": "user-fee"}
    assert set(body["message"]) == {"text"}
    assert len(body["message"]["text"]) <= 2000
    texts = " ".join(c.json()["message"]["text"] for c in sends_to(fake_platform, "user-fee"))
    assert "lái xe" in texts.lower()
    assert wait_until_delivered(client).get(outbox.FAILED, 0) == 0


@pytest.mark.stack
def test_numbered_option_reply_maps_back_to_the_button(client, fake_platform):
    post(client, text_event("user-options", "xin chào"))
    greeting = wait_for_reply(fake_platform, "user-options", "1. Hỏi thủ tục")
    assert "2. Tra cứu hồ sơ" in greeting.json()["message"]["text"]
    wait_until_delivered(client)

    post(client, text_event("user-options", "2"))  # "Tra cứu hồ sơ" -> /track_dossier
    wait_for_reply(fake_platform, "user-options", "dichvucong.gov.vn")


@pytest.mark.stack
def test_expired_token_is_renewed_once_and_the_new_refresh_token_is_used_next_time(
    client, fake_platform, caplog: pytest.LogCaptureFixture
):
    caplog.set_level("DEBUG")
    fake_platform.respond(SEND, Scripted(body=EXPIRED), Scripted(body=SENT_OK))
    fake_platform.respond(
        REFRESH,
        Scripted(body={"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": "90000"}),
        Scripted(body={"access_token": "access-3", "refresh_token": "refresh-3", "expires_in": "90000"}),
    )

    post(client, text_event("user-token", "xin chào"))
    wait_for_reply(fake_platform, "user-token", "Hỏi thủ tục")
    assert wait_until_delivered(client) == {outbox.SENT: 1}

    refreshes = fake_platform.calls(REFRESH)
    assert len(refreshes) == 1
    assert refreshes[0].method == "POST"
    assert refreshes[0].headers["secret_key"] == APP_SECRET
    assert refreshes[0].form() == {"app_id": APP_ID, "grant_type": "refresh_token", "refresh_token": "refresh-1"}
    assert [c.headers["access_token"] for c in sends_to(fake_platform, "user-token")] == ["old-access", "access-2"]
    assert stored_pair(client) == ("access-2", "refresh-2", 2)

    # Later the new access token expires too: the NEW refresh token is presented, once.
    fake_platform.respond(SEND, Scripted(body=EXPIRED), Scripted(body=SENT_OK))
    post(client, text_event("user-token", "xin chào"))
    deadline = time.monotonic() + 60
    while len(sends_to(fake_platform, "user-token")) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert wait_until_delivered(client) == {outbox.SENT: 2}

    refreshes = fake_platform.calls(REFRESH)
    assert len(refreshes) == 2
    assert refreshes[1].form()["refresh_token"] == "refresh-2"
    assert [c.headers["access_token"] for c in sends_to(fake_platform, "user-token")][2:] == ["access-2", "access-3"]
    assert stored_pair(client) == ("access-3", "refresh-3", 3)
    for secret in ("old-access", "access-2", "access-3", "refresh-1", "refresh-2", "refresh-3", APP_SECRET):
        assert secret not in caplog.text


@pytest.mark.stack
def test_duplicate_message_id_is_answered_once(client, fake_platform):
    event = text_event("user-dup", "xin chào", msg_id="dup-msg-1")
    first, second = post(client, event), post(client, event)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"status": "duplicate"}

    wait_for_reply(fake_platform, "user-dup", "Hỏi thủ tục")
    wait_until_delivered(client)
    time.sleep(1.0)
    assert len(sends_to(fake_platform, "user-dup")) == 1
    assert sum(inbox.counts(db_of(client)).values()) == 1


@pytest.mark.stack
def test_non_text_and_other_events_never_fail(client, fake_platform):
    sticker = user_event("user_send_sticker", "user-sticker")
    sticker["message"]["attachments"] = [{"type": "sticker", "payload": {"id": "bfe458bf64fa8da4d4eb"}}]
    image = user_event("user_send_image", "user-image")
    image["message"]["attachments"] = [{"type": "image", "payload": {"url": "https://example.org/a.jpg"}}]
    follow = {
        "app_id": APP_ID,
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
        "oa_id": "579745863508352884",
        "follower": {"id": "user-follow"},
        "source": "testing_webhook",
    }
    unfollow = {**follow, "event_name": "unfollow"}
    echo = {**text_event("user-echo", "tin OA gửi"), "event_name": "oa_send_text"}
    unknown = {"app_id": APP_ID, "event_name": "some_future_event", "timestamp": str(int(time.time() * 1000))}

    for event in (sticker, image):
        response = post(client, event)
        assert response.status_code == 200 and response.json() == {"status": "accepted"}
    for event in (follow, unfollow, echo, unknown):
        response = post(client, event)
        assert response.status_code == 200 and response.json() == {"status": "ignored"}

    for user in ("user-sticker", "user-image"):
        wait_for_reply(fake_platform, user, "chỉ đọc được tin nhắn chữ")
    wait_until_delivered(client)
    assert sum(inbox.counts(db_of(client)).values()) == 2  # the ignored events were not stored
    assert not sends_to(fake_platform, "user-follow") and not sends_to(fake_platform, "user-echo")


@pytest.mark.stack
def test_webhook_is_acknowledged_before_the_reply_is_delivered(client, fake_platform):
    fake_platform.respond(SEND, Scripted(body=SENT_OK, delay=2.5))

    started = time.monotonic()
    response = post(client, text_event("user-fast", "xin chào"))
    acknowledged = time.monotonic() - started
    assert response.status_code == 200
    assert acknowledged < 1.0, f"acknowledged after {acknowledged:.2f}s; Zalo allows 2 s"
    assert outbox.counts(db_of(client)).get(outbox.SENT, 0) == 0  # nothing delivered yet

    assert wait_until_delivered(client) == {outbox.SENT: 1}
    assert time.monotonic() - started >= 2.5  # the delivery finished well after the acknowledgement
    wait_for_reply(fake_platform, "user-fast", "Hỏi thủ tục")


# ---------------------------------------------------------------------------- webhook authenticity and input


def test_missing_or_forged_signature_is_refused(gateway, fake_platform):
    client = gateway([zalo.channel], zalo_api_base_url=fake_platform.url, **zalo_settings())
    event = text_event("user-forged", "xin chào")
    raw = json.dumps(event, ensure_ascii=False).encode()

    missing = post(client, event, signature=None)
    assert missing.status_code == 403 and "X-ZEvent-Signature" in missing.json()["detail"]

    wrong_secret = post(client, event, signature=sign(raw, event["timestamp"], secret="guessed"))
    assert wrong_secret.status_code == 403 and wrong_secret.json() == {"detail": "invalid signature"}

    other_timestamp = post(client, event, signature=sign(raw, "1"))
    assert other_timestamp.status_code == 403

    tampered = {**event, "message": {**event["message"], "text": "nội dung bị sửa"}}
    replayed = post(client, tampered, signature=sign(raw, event["timestamp"]))
    assert replayed.status_code == 403 and replayed.json() == {"detail": "invalid signature"}

    assert post(client, event, signature="mac=").status_code == 403
    assert post(client, event, signature="mác=ñ".encode("latin-1")).status_code == 403
    assert sum(inbox.counts(db_of(client)).values()) == 0
    assert not fake_platform.calls(SEND)


def test_unconfigured_secret_refuses_every_event(gateway):
    client = gateway([zalo.channel], **zalo_settings(zalo_oa_secret_key=SecretStr("")))
    event = text_event("user-x", "xin chào")
    raw = json.dumps(event).encode()
    response = post(client, event, signature=sign(raw, event["timestamp"], secret=""))
    assert response.status_code == 403


def test_malformed_bodies_get_400(gateway):
    client = gateway([zalo.channel], **zalo_settings())
    headers = {"X-ZEvent-Signature": "mac=" + "0" * 64, "Content-Type": "application/json"}

    not_json = client.post(WEBHOOK, content=b"event_name=user_send_text", headers=headers)
    assert not_json.status_code == 400 and not_json.json()["detail"]
    assert client.post(WEBHOOK, content=b"\xff\xfe", headers=headers).status_code == 400
    assert client.post(WEBHOOK, content=b"[1, 2]", headers=headers).status_code == 400
    no_timestamp = {k: v for k, v in text_event("u", "x").items() if k != "timestamp"}
    assert client.post(WEBHOOK, content=json.dumps(no_timestamp).encode(), headers=headers).status_code == 400

    # Correctly signed but incomplete events.
    no_sender = {k: v for k, v in text_event("u", "x").items() if k != "sender"}
    assert post(client, no_sender).status_code == 400
    no_text = text_event("u", "x")
    del no_text["message"]["text"]
    assert post(client, no_text).status_code == 400
    no_message = {k: v for k, v in user_event("user_send_image", "u").items() if k != "message"}
    assert post(client, no_message).status_code == 400
    no_event_name = {k: v for k, v in text_event("u", "x").items() if k != "event_name"}
    assert post(client, no_event_name).status_code == 400
    assert sum(inbox.counts(db_of(client)).values()) == 0


# ---------------------------------------------------------------------------- rendering


@pytest.fixture
def adapter(make_settings):
    def build(handler=None, **overrides: object) -> zalo.ZaloAdapter:
        settings = make_settings(
            zalo_api_base_url="https://zalo.test",
            zalo_oauth_base_url="https://oauth.zalo.test",
            **zalo_settings(**overrides),
        )
        transport = httpx.MockTransport(handler) if handler else None
        return zalo.ZaloAdapter(settings, Database(settings.resolved_database_url), transport=transport)

    return build


def test_render_splits_long_text_at_2000_characters(adapter):
    sentence = "Anh/chị mang theo căn cước và giấy khám sức khỏe khi đến nộp hồ sơ đổi giấy phép lái xe. "
    long_text = sentence * 60  # about 5,400 characters
    bodies = adapter().render([BotReply(long_text)])

    assert len(bodies) == 3
    assert all(set(body) == {"text"} and 0 < len(body["text"]) <= 2000 for body in bodies)
    assert " ".join(body["text"] for body in bodies) == long_text.strip()
    assert adapter().render([BotReply("x" * 2000)]) == [{"text": "x" * 2000}]
    assert len(adapter().render([BotReply("x" * 2001)])) == 2


def test_render_numbers_buttons_across_the_turn(adapter):
    replies = [
        BotReply("Anh/chị muốn hỏi gì ạ?", buttons=(Button("Hỏi thủ tục", "/ask_procedure"), Button("Tra cứu", "/t"))),
        BotReply(""),
        BotReply("Hoặc:", buttons=(Button("Gặp tổng đài viên", "/request_human"),)),
    ]
    zalo_adapter = adapter()
    assert zalo_adapter.numbered_options is True and zalo_adapter.delivers_later is True
    assert zalo_adapter.render(replies) == [
        {"text": "Anh/chị muốn hỏi gì ạ?\n1. Hỏi thủ tục\n2. Tra cứu"},
        {"text": "Hoặc:\n3. Gặp tổng đài viên"},
    ]
    assert zalo_adapter.render([]) == []


# ---------------------------------------------------------------------------- delivery errors and token renewal


class FakeZalo:
    """An httpx handler: the send API answers per access token, the OAuth API rotates pairs."""

    def __init__(self, send_answers: dict[str, object] | None = None, refresh_answer: dict | None = None) -> None:
        self.send_answers = send_answers or {}
        self.refresh_answer = refresh_answer
        self.sends: list[str] = []
        self.refreshes: list[dict[str, str]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == REFRESH:
            form = dict(httpx.QueryParams(request.content.decode()))
            self.refreshes.append(form)
            await asyncio.sleep(0.05)  # let concurrent senders pile up behind the refresh
            n = len(self.refreshes) + 1
            answer = self.refresh_answer or {"access_token": f"access-{n}", "refresh_token": f"refresh-{n}"}
            return httpx.Response(200, json=answer)
        token = request.headers["access_token"]
        self.sends.append(token)
        answer = self.send_answers.get(token, EXPIRED if token == "old-access" else SENT_OK)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)


def test_concurrent_expiries_refresh_once(adapter):
    fake = FakeZalo()
    zalo_adapter = adapter(fake)

    async def deliver_many() -> None:
        await asyncio.gather(*(zalo_adapter.deliver(f"user-{i}", {"text": "xin chào"}) for i in range(5)))
        await zalo_adapter.aclose()

    asyncio.run(deliver_many())
    assert fake.refreshes == [{"app_id": APP_ID, "grant_type": "refresh_token", "refresh_token": "refresh-1"}]
    assert fake.sends.count("old-access") == 5 and fake.sends.count("access-2") == 5
    pair = asyncio.run(zalo_adapter.tokens.current())
    assert (pair.access_token, pair.refresh_token, pair.version) == ("access-2", "refresh-2", 2)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"error": -213, "message": "User has not followed the OA"}, PermanentDeliveryError),
        ({"error": -230, "message": "User has not interacted in 7 days"}, PermanentDeliveryError),
        ({"error": -201, "message": "Parameters invalid"}, PermanentDeliveryError),
        ({"error": -32, "message": "Request rate limit exceeded"}, TransientDeliveryError),
        (httpx.Response(503, text="unavailable"), TransientDeliveryError),
        (httpx.Response(429, json={}), TransientDeliveryError),
        (httpx.Response(200, text="<html>"), TransientDeliveryError),
        (httpx.ConnectError("connection refused"), TransientDeliveryError),
        (httpx.ReadTimeout("timed out"), TransientDeliveryError),
    ],
)
def test_delivery_errors_are_classified(adapter, answer, error):
    fake = FakeZalo({"old-access": answer})
    with pytest.raises(error):
        asyncio.run(adapter(fake).deliver("user-1", {"text": "xin chào"}))
    assert fake.refreshes == []


def test_token_rejected_after_renewal_is_transient(adapter):
    fake = FakeZalo({"old-access": EXPIRED, "access-2": EXPIRED})
    with pytest.raises(TransientDeliveryError, match="-216"):
        asyncio.run(adapter(fake).deliver("user-1", {"text": "xin chào"}))
    assert len(fake.refreshes) == 1 and fake.sends == ["old-access", "access-2"]


def test_refused_refresh_keeps_the_stored_pair(adapter, caplog: pytest.LogCaptureFixture):
    fake = FakeZalo(refresh_answer={"error": -14014, "error_name": "Invalid refresh token"})
    zalo_adapter = adapter(fake)
    with pytest.raises(TransientDeliveryError, match="refused"):
        asyncio.run(zalo_adapter.deliver("user-1", {"text": "xin chào"}))
    pair = asyncio.run(zalo_adapter.tokens.current())
    assert (pair.access_token, pair.refresh_token, pair.version) == ("old-access", "refresh-1", 1)
    assert "refresh-1" not in caplog.text and "old-access" not in caplog.text


def test_stored_pair_wins_over_settings_after_a_restart(adapter):
    fake = FakeZalo()
    asyncio.run(adapter(fake).deliver("user-1", {"text": "xin chào"}))  # renews: access-2 / refresh-2 stored
    # A new process, same database, the stale initial pair still in its settings: it uses the stored pair.
    fake.sends.clear()
    asyncio.run(adapter(fake).deliver("user-2", {"text": "xin chào"}))
    assert fake.sends == ["access-2"] and len(fake.refreshes) == 1
