"""The Telegram channel against the real gateway, real Rasa and a fake Bot API server.

Requests are built with python-telegram-bot's own objects, so what the gateway parses is
what Telegram sends; replies are read from what the fake Bot API received.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import logging
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from telegram import (
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    Sticker,
    Update,
    User,
)

from bot import options
from bot.messages import BotReply, Button
from bot.outbox import DeliveryError, TransientDeliveryError
from bot.pipeline import EMPTY_MESSAGE_REPLY, UNSUPPORTED_CONTENT_REPLY
from bot.storage.db import Database
from bot.storage.models import InboxMessage, OutboxMessage
from channels import telegram
from tests.fakes.platform_server import FakePlatform, Recorded, Scripted

TOKEN = "123:ABC"
SECRET = "s3cret"
BOT_USER = User(id=123, first_name="Tổng đài 1022", is_bot=True, username="tongdai_hanoi_bot")
CITIZEN = User(id=4242, first_name="Lan", is_bot=False, language_code="vi")
_ids = itertools.count(1000)


# ------------------------------------------------------------------ building Telegram objects


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def private_chat(chat_id: int = CITIZEN.id) -> Chat:
    return Chat(id=chat_id, type=Chat.PRIVATE, first_name=CITIZEN.first_name)


def message_update(chat_id: int = CITIZEN.id, update_id: int | None = None, **content: object) -> Update:
    message = Message(message_id=next(_ids), date=_now(), chat=private_chat(chat_id), from_user=CITIZEN, **content)
    return Update(update_id=update_id if update_id is not None else next(_ids), message=message)


def text_update(text: str, chat_id: int = CITIZEN.id, update_id: int | None = None) -> Update:
    return message_update(chat_id, update_id, text=text)


def button_press(data: str, shown_on: Message | None = None, chat_id: int = CITIZEN.id) -> Update:
    message = shown_on or Message(
        message_id=next(_ids), date=_now(), chat=private_chat(chat_id), from_user=BOT_USER, text="Dạ"
    )
    query = CallbackQuery(id=str(next(_ids)), from_user=CITIZEN, chat_instance="ci-1", data=data, message=message)
    return Update(update_id=next(_ids), callback_query=query)


def sent_message(chat_id: int = CITIZEN.id) -> dict:
    """A realistic sendMessage result, so PTB can parse what the fake answers."""
    message = Message(message_id=next(_ids), date=_now(), chat=private_chat(chat_id), from_user=BOT_USER, text="Dạ")
    return {"ok": True, "result": message.to_dict()}


def post(client: TestClient, update: Update | dict | bytes, secret: str | None = SECRET):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[telegram.SECRET_HEADER] = secret
    if isinstance(update, Update):
        body = update.to_json().encode()
    elif isinstance(update, dict):
        body = json.dumps(update).encode()
    else:
        body = update
    return client.post(telegram.WEBHOOK_PATH, content=body, headers=headers)


# ------------------------------------------------------------------ reading what was sent


def texts(calls: list[Recorded]) -> list[str]:
    return [call.form()["text"] for call in calls]


def keyboard(call: Recorded) -> list[list[dict]]:
    markup = call.form().get("reply_markup")
    return json.loads(markup)["inline_keyboard"] if markup else []


def eventually(check: Callable[[], object], timeout: float = 30.0) -> object:
    """Poll like FakePlatform.wait_for until `check` returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


def database(client: TestClient) -> Database:
    return client.app.state.pipeline.db


def outbox_rows(client: TestClient) -> list[OutboxMessage]:
    with database(client).session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        session.expunge_all()
        return list(rows)


def inbox_rows(client: TestClient) -> list[InboxMessage]:
    with database(client).session() as session:
        rows = session.scalars(select(InboxMessage).order_by(InboxMessage.id)).all()
        session.expunge_all()
        return list(rows)


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def bot_api(fake_platform: FakePlatform) -> FakePlatform:
    fake_platform.respond("/sendMessage", Scripted(200, sent_message()))
    fake_platform.respond("/getMe", Scripted(200, {"ok": True, "result": BOT_USER.to_dict()}))
    return fake_platform


@pytest.fixture
def telegram_settings(bot_api: FakePlatform) -> dict:
    return {
        "telegram_bot_token": SecretStr(TOKEN),
        "telegram_secret_token": SecretStr(SECRET),
        "telegram_api_base_url": f"{bot_api.url}/bot",
    }


@pytest.fixture
def client(gateway, rasa_stack, telegram_settings) -> TestClient:
    """The gateway with the Telegram channel, answering through the real Rasa stack."""
    return gateway([telegram.channel], rasa_url=rasa_stack.rasa_url, **telegram_settings)


@pytest.fixture
def offline_client(gateway, telegram_settings) -> TestClient:
    """The gateway for updates answered without the assistant (non-text, refusals)."""
    return gateway([telegram.channel], rasa_url="http://127.0.0.1:9", **telegram_settings)


@pytest.fixture
def adapter(make_settings, telegram_settings) -> telegram.TelegramAdapter:
    settings = make_settings(**telegram_settings)
    return telegram.TelegramAdapter(settings, Database(settings.resolved_database_url))


def deliver(adapter: telegram.TelegramAdapter, recipient: str, body: dict) -> None:
    async def run() -> None:
        try:
            await adapter.deliver(recipient, body)
        finally:
            await adapter.aclose()

    asyncio.run(run())


# ------------------------------------------------------------------ conversations through Rasa


@pytest.mark.stack
def test_vietnamese_question_is_answered_with_the_procedure(client, bot_api):
    response = post(client, text_update("làm hộ chiếu cần giấy tờ gì"))

    assert response.status_code == 200
    calls = eventually(
        lambda: [c for c in bot_api.calls("/sendMessage") if keyboard(c)] and bot_api.calls("/sendMessage")
    )
    answer = "\n".join(texts(calls))
    assert "hộ chiếu" in answer
    assert "1.001456" in answer  # the passport procedure's code
    assert "Tờ khai đề nghị cấp hộ chiếu" in answer  # its first document
    assert {call.form()["chat_id"] for call in calls} == {str(CITIZEN.id)}
    buttons = [button for row in keyboard(calls[-1]) for button in row]
    assert all(len(row) == 1 for row in keyboard(calls[-1]))  # one button per row
    assert {"text": "Lệ phí", "callback_data": '/ask_fee{"procedure": "ho-chieu"}'} in buttons
    assert not any(keyboard(call) for call in calls[:-1])  # buttons go with the last part only
    assert all(row.status == "sent" for row in outbox_rows(client))


@pytest.mark.stack
def test_button_press_is_answered_and_acknowledged(client, bot_api):
    post(client, text_update("làm hộ chiếu cần giấy tờ gì"))
    first = eventually(lambda: [c for c in bot_api.calls("/sendMessage") if keyboard(c)])
    shown = first[-1]
    fee_button = next(b for row in keyboard(shown) for b in row if b["text"] == "Lệ phí")
    carrier = Message(
        message_id=next(_ids),
        date=_now(),
        chat=private_chat(),
        from_user=BOT_USER,
        text=shown.form()["text"],
        reply_markup=InlineKeyboardMarkup.de_json(json.loads(shown.form()["reply_markup"]), None),
    )
    before = len(bot_api.calls("/sendMessage"))

    press = button_press(fee_button["callback_data"], shown_on=carrier)
    response = post(client, press)

    assert response.status_code == 200
    acknowledged = bot_api.wait_for("/answerCallbackQuery")
    assert [call.form()["callback_query_id"] for call in acknowledged] == [press.callback_query.id]
    after = eventually(lambda: "200.000" in "\n".join(texts(bot_api.calls("/sendMessage")[before:])))
    assert after
    fee_answer = "\n".join(texts(bot_api.calls("/sendMessage")[before:]))
    assert "hộ chiếu" in fee_answer
    pressed = inbox_rows(client)[-1]
    assert pressed.payload == '/ask_fee{"procedure": "ho-chieu"}'


@pytest.mark.stack
def test_payload_longer_than_callback_data_travels_as_a_short_key(client, bot_api):
    payload = '/ask_online_submission{"procedure": "xac-nhan-tinh-trang-hon-nhan"}'
    assert len(payload.encode()) > 64
    adapter = client.app.state.pipeline.adapters["telegram"]
    [body] = adapter.render([BotReply("Dạ, anh/chị cần hỏi gì thêm ạ?", (Button("Nộp trực tuyến", payload),))])
    [[title, data]] = body["buttons"]
    assert title == "Nộp trực tuyến"
    assert data.startswith(options.KEY_PREFIX)
    assert len(data.encode()) <= 64

    post(client, button_press(data))

    bot_api.wait_for("/answerCallbackQuery")
    assert inbox_rows(client)[-1].payload == payload
    eventually(lambda: "tình trạng hôn nhân" in "\n".join(texts(bot_api.calls("/sendMessage"))).lower())


@pytest.mark.stack
def test_same_update_twice_is_answered_once(client, bot_api):
    update = text_update("làm hộ chiếu cần giấy tờ gì")

    first, second = post(client, update), post(client, update)
    # A later message of the same chat is answered after everything before it.
    post(client, message_update(sticker=_sticker()))

    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    calls = eventually(
        lambda: (found := bot_api.calls("/sendMessage")) and UNSUPPORTED_CONTENT_REPLY.text in texts(found) and found
    )
    sent = texts(calls)
    assert sent[-1] == UNSUPPORTED_CONTENT_REPLY.text
    assert sent.count(sent[0]) == 1
    assert len(sent) == len(outbox_rows(client))
    assert [row.platform_message_id for row in inbox_rows(client)].count(str(update.update_id)) == 1


@pytest.mark.stack
def test_start_command_shows_the_greeting_menu(client, bot_api):
    post(client, text_update("/start"))

    [call] = bot_api.wait_for("/sendMessage")
    assert "trợ lý" in call.form()["text"]
    assert [row[0]["text"] for row in keyboard(call)][:2] == ["Hỏi thủ tục", "Tra cứu hồ sơ"]
    assert inbox_rows(client)[0].payload == telegram.MENU_PAYLOAD


# ------------------------------------------------------------------ what is not a question


def _sticker() -> Sticker:
    return Sticker(
        file_id="CAACAgIAAxk", file_unique_id="AgAD", width=512, height=512, is_animated=False, is_video=False,
        type=Sticker.REGULAR, emoji="👍",
    )  # fmt: skip


def test_sticker_and_photo_get_the_text_only_reply(offline_client, bot_api):
    photo = (PhotoSize(file_id="AgACAgIAAxk", file_unique_id="AQAD", width=90, height=90),)

    responses = [
        post(offline_client, message_update(sticker=_sticker())),
        post(offline_client, message_update(photo=photo, caption="giấy tờ của tôi")),
    ]

    assert [r.status_code for r in responses] == [200, 200]
    calls = bot_api.wait_for("/sendMessage", 2)
    assert texts(calls) == [UNSUPPORTED_CONTENT_REPLY.text] * 2
    kinds = [json.loads(row.metadata_json)["content_type"] for row in inbox_rows(offline_client)]
    assert kinds == ["sticker", "photo"]
    assert all(row.text == "" for row in inbox_rows(offline_client))


def test_empty_text_gets_the_empty_message_reply(offline_client, bot_api):
    response = post(offline_client, text_update(""))

    assert response.status_code == 200
    [call] = bot_api.wait_for("/sendMessage")
    assert call.form()["text"] == EMPTY_MESSAGE_REPLY.text


def test_updates_without_a_message_are_acknowledged_and_ignored(offline_client, bot_api):
    edited = Message(
        message_id=7, date=_now(), chat=private_chat(), from_user=CITIZEN, text="sửa lại", edit_date=_now()
    )
    service = message_update(new_chat_members=(CITIZEN,))
    updates = [
        Update(update_id=next(_ids), edited_message=edited),
        Update(update_id=next(_ids), channel_post=edited),
        service,
        Update(
            update_id=next(_ids),
            my_chat_member=ChatMemberUpdated(
                chat=private_chat(),
                from_user=CITIZEN,
                date=_now(),
                old_chat_member=ChatMemberMember(user=BOT_USER),
                new_chat_member=ChatMemberBanned(user=BOT_USER, until_date=_now()),
            ),
        ),
    ]

    responses = [post(offline_client, update) for update in updates]

    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert all(r.json()["ignored"] for r in responses)
    assert inbox_rows(offline_client) == []
    assert bot_api.calls("/sendMessage") == []


# ------------------------------------------------------------------ refusals


def test_forged_or_missing_secret_is_refused(offline_client, bot_api):
    update = text_update("làm hộ chiếu cần giấy tờ gì")

    missing = post(offline_client, update, secret=None)
    forged = post(offline_client, update, secret="s3cret-not")
    empty = post(offline_client, update, secret="")

    assert [missing.status_code, forged.status_code, empty.status_code] == [403, 403, 403]
    assert "missing" in missing.json()["detail"]
    assert "wrong" in forged.json()["detail"]
    assert inbox_rows(offline_client) == []


def test_webhook_without_configured_secret_refuses_everything(gateway, telegram_settings):
    client = gateway([telegram.channel], **{**telegram_settings, "telegram_secret_token": SecretStr("")})

    response = post(client, text_update("xin chào"), secret="")

    assert response.status_code == 403
    assert "not configured" in response.json()["detail"]
    assert inbox_rows(client) == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"update"', b"{}", b'{"message": {"text": "hi"}}', b'{"update_id": "7"}'],
    ids=["not-json", "list", "string", "empty-object", "no-update-id", "string-update-id"],
)
def test_malformed_body_is_a_bad_request(offline_client, body):
    response = post(offline_client, body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid update")
    assert inbox_rows(offline_client) == []


# ------------------------------------------------------------------ delivery failures


def test_blocked_bot_is_recorded_as_failed_without_retry(offline_client, bot_api):
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    bot_api.respond("/sendMessage", Scripted(403, blocked))

    post(offline_client, message_update(sticker=_sticker()))

    bot_api.wait_for("/sendMessage")
    [row] = eventually(lambda: [r for r in outbox_rows(offline_client) if r.status == "failed"])
    assert row.attempts == 1
    assert "Forbidden" in row.last_error and "blocked" in row.last_error
    assert TOKEN not in row.last_error


def test_server_error_is_retried_until_delivered(offline_client, bot_api):
    failure = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
    bot_api.respond("/sendMessage", Scripted(500, failure), Scripted(200, sent_message()))

    post(offline_client, message_update(sticker=_sticker()))

    calls = bot_api.wait_for("/sendMessage", 2)
    assert texts(calls) == [UNSUPPORTED_CONTENT_REPLY.text] * 2
    [row] = eventually(lambda: [r for r in outbox_rows(offline_client) if r.status == "sent"])
    assert row.attempts == 1
    assert "Internal Server Error" in row.last_error


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, "Permanent"),
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: user is deactivated"}, "Permanent"),
        (
            429,
            {"ok": False, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": 3}},
            "Transient",
        ),
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, "Transient"),
        (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, "Transient"),
    ],
    ids=["chat-not-found", "deactivated", "retry-after", "bad-gateway", "token-rejected"],
)
def test_platform_errors_map_to_delivery_errors(adapter, bot_api, status, answer, expected):
    bot_api.respond("/sendMessage", Scripted(status, answer))

    with pytest.raises(DeliveryError) as raised:
        deliver(adapter, "4242", {"text": "Dạ"})

    assert type(raised.value).__name__ == f"{expected}DeliveryError"
    assert TOKEN not in str(raised.value)


def test_unreachable_bot_api_is_transient(make_settings, telegram_settings):
    settings = make_settings(**{**telegram_settings, "telegram_api_base_url": "http://127.0.0.1:9/bot"})
    adapter = telegram.TelegramAdapter(settings, Database(settings.resolved_database_url))

    with pytest.raises(TransientDeliveryError):
        deliver(adapter, "4242", {"text": "Dạ"})


def test_missing_token_is_a_clear_delivery_error(make_settings):
    settings = make_settings(telegram_secret_token=SecretStr(SECRET))
    adapter = telegram.TelegramAdapter(settings, Database(settings.resolved_database_url))

    with pytest.raises(TransientDeliveryError, match="TELEGRAM_BOT_TOKEN is not set"):
        deliver(adapter, "4242", {"text": "Dạ"})


def test_migrated_group_is_answered_at_its_new_id(adapter, bot_api):
    migrated = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
    }
    bot_api.respond(
        "/sendMessage",
        Scripted(400, {**migrated, "parameters": {"migrate_to_chat_id": -1001234567890}}),
        Scripted(200, sent_message(-1001234567890)),
    )

    deliver(adapter, "-4242", {"text": "Dạ"})

    assert [call.form()["chat_id"] for call in bot_api.calls("/sendMessage")] == ["-4242", "-1001234567890"]


def test_token_never_reaches_the_logs(adapter, bot_api, caplog):
    caplog.set_level(logging.DEBUG)

    deliver(adapter, "4242", {"text": "Dạ, số 0912345678"})

    assert bot_api.calls(f"/bot{TOKEN}/sendMessage")  # the token is in the URL...
    assert "sendMessage" in caplog.text  # ...which httpx and PTB log...
    assert TOKEN not in caplog.text  # ...without it


# ------------------------------------------------------------------ rendering


def test_long_reply_is_split_on_sentences_with_buttons_on_the_last_piece(adapter):
    sentence = "Dạ, hồ sơ gồm tờ khai đề nghị cấp hộ chiếu phổ thông và ảnh chân dung cỡ 4cm x 6cm."
    text = " ".join(f"{n}) {sentence}" for n in range(100))
    buttons = (Button("Lệ phí", '/ask_fee{"procedure": "ho-chieu"}'), Button("Gặp tổng đài viên", "/request_human"))
    assert len(text) > 2 * telegram.MAX_TEXT_CHARS

    bodies = adapter.render([BotReply(text, buttons)])

    assert len(bodies) == 3
    assert all(len(body["text"]) <= telegram.MAX_TEXT_CHARS for body in bodies)
    assert all(body["text"].endswith(".") for body in bodies)  # cut at sentence ends
    assert " ".join(body["text"] for body in bodies) == text
    assert [("buttons" in body) for body in bodies] == [False, False, True]
    assert bodies[-1]["buttons"] == [
        ["Lệ phí", '/ask_fee{"procedure": "ho-chieu"}'],
        ["Gặp tổng đài viên", "/request_human"],
    ]
    json.dumps(bodies)  # stored in the outbox as JSON


def test_emoji_count_twice_against_the_limit(adapter):
    text = " ".join(["Dạ 🙂🙂🙂 vâng."] * 260)  # under 4,096 characters, over 4,096 UTF-16 units

    bodies = adapter.render([BotReply(text)])

    assert len(bodies) == 2
    assert all(len(body["text"].encode("utf-16-le")) // 2 <= telegram.MAX_TEXT_CHARS for body in bodies)


def test_buttons_without_text_and_images_render(adapter):
    bodies = adapter.render(
        [BotReply(buttons=(Button("Gặp tổng đài viên", "/request_human"),)), BotReply(image="https://x.vn/a.png")]
    )

    assert bodies == [
        {"text": telegram.CHOOSE_PROMPT, "buttons": [["Gặp tổng đài viên", "/request_human"]]},
        {"photo": "https://x.vn/a.png"},
    ]


def test_delivered_body_becomes_an_inline_keyboard(adapter, bot_api):
    [body] = adapter.render(
        [BotReply("Dạ, anh/chị chọn giúp em ạ.", (Button("Lệ phí", "/ask_fee"), Button("Không", "/deny")))]
    )

    deliver(adapter, "4242", body)

    [call] = bot_api.calls("/sendMessage")
    sent = call.form()
    assert sent["chat_id"] == "4242"
    assert sent["text"] == "Dạ, anh/chị chọn giúp em ạ."
    markup = InlineKeyboardMarkup.de_json(json.loads(sent["reply_markup"]), None)
    assert markup == InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Lệ phí", callback_data="/ask_fee")],
            [InlineKeyboardButton("Không", callback_data="/deny")],
        ]
    )


def test_typed_slash_text_is_not_an_intent():
    assert telegram._text_and_payload("/start") == ("/start", "/greet")
    assert telegram._text_and_payload("/help@tongdai_hanoi_bot") == ("/help@tongdai_hanoi_bot", "/greet")
    assert telegram._text_and_payload("/request_human") == ("request_human", None)
    assert telegram._text_and_payload('/ask_fee{"procedure": "ho-chieu"} nhé') == (
        'ask_fee{"procedure": "ho-chieu"} nhé',
        None,
    )
    assert telegram._text_and_payload("làm hộ chiếu") == ("làm hộ chiếu", None)


def test_text_is_stored_nfc(offline_client):
    decomposed = "la\u0300m ho\u0323\u0302 chie\u0302\u0301u"  # "làm hộ chiếu" typed as NFD

    post(offline_client, text_update(decomposed))

    assert inbox_rows(offline_client)[0].text == "làm hộ chiếu"


# ------------------------------------------------------------------ registering the webhook


def test_set_webhook_registers_url_secret_and_update_kinds(make_settings, telegram_settings, bot_api, capsys):
    settings = make_settings(**telegram_settings, public_base_url="https://tongdai.hanoi.example.vn/")

    assert telegram.main(["set-webhook"], settings=settings) == 0

    [call] = bot_api.calls("/setWebhook")
    sent = call.form()
    assert sent["url"] == "https://tongdai.hanoi.example.vn/channels/telegram/webhook"
    assert sent["secret_token"] == SECRET
    assert json.loads(sent["allowed_updates"]) == ["message", "callback_query"]
    out = capsys.readouterr()
    assert "@tongdai_hanoi_bot" in out.out
    assert TOKEN not in out.out + out.err


def test_delete_webhook(make_settings, telegram_settings, bot_api, capsys):
    assert telegram.main(["delete-webhook", "--drop-pending-updates"], settings=make_settings(**telegram_settings)) == 0

    [call] = bot_api.calls("/deleteWebhook")
    assert call.form()["drop_pending_updates"] == "true"
    assert "deleted" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"telegram_bot_token": SecretStr("")}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"telegram_secret_token": SecretStr("")}, "TELEGRAM_SECRET_TOKEN is not set"),
        ({"telegram_secret_token": SecretStr("có dấu")}, "TELEGRAM_SECRET_TOKEN must be"),
        ({"public_base_url": "http://127.0.0.1:8000"}, "https://"),
    ],
    ids=["no-token", "no-secret", "bad-secret", "plain-http"],
)
def test_set_webhook_explains_missing_settings(make_settings, telegram_settings, bot_api, capsys, overrides, reason):
    values = {**telegram_settings, "public_base_url": "https://tongdai.hanoi.example.vn", **overrides}

    assert telegram.main(["set-webhook"], settings=make_settings(**values)) == 2

    assert reason in capsys.readouterr().err
    assert bot_api.calls("/setWebhook") == []


def test_rejected_token_is_reported_without_the_token(make_settings, telegram_settings, bot_api, capsys):
    bot_api.respond("/getMe", Scripted(401, {"ok": False, "error_code": 401, "description": "Unauthorized"}))

    assert telegram.main(["delete-webhook"], settings=make_settings(**telegram_settings)) == 2

    err = capsys.readouterr().err
    assert "rejected TELEGRAM_BOT_TOKEN" in err
    assert TOKEN not in err


def test_press_of_an_unknown_short_key_reads_the_button_title(offline_client, bot_api):
    carrier = Message(
        message_id=next(_ids),
        date=_now(),
        chat=private_chat(),
        from_user=BOT_USER,
        text="Dạ, anh/chị có muốn gặp tổng đài viên không ạ?",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Gặp tổng đài viên", callback_data="k:0badc0ffee")]]),
    )

    response = post(offline_client, button_press("k:0badc0ffee", shown_on=carrier))

    assert response.status_code == 200
    bot_api.wait_for("/answerCallbackQuery")
    [row] = inbox_rows(offline_client)
    assert (row.text, row.payload) == ("Gặp tổng đài viên", None)
