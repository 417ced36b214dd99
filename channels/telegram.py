"""Telegram: a Bot API webhook in, `sendMessage` out, through python-telegram-bot's objects.

Telegram calls `POST /channels/telegram/webhook` with the secret token chosen when the
webhook was registered (header `X-Telegram-Bot-Api-Secret-Token`); a request without it is
refused, so nobody can speak in a citizen's name. Updates are stored and acknowledged at
once; the inbox dispatcher answers in the background and the outbox sends the replies, so
Telegram never waits for Rasa and never redelivers because of a slow answer.

Buttons become an inline keyboard (one button per row); a payload longer than Telegram's
64-byte callback data travels as a short stored key (bot.options). Text is cut at 4,096
characters on sentence ends.

Register or remove the webhook (uses TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN and
PUBLIC_BASE_URL):

    python -m channels.telegram set-webhook
    python -m channels.telegram delete-webhook
    python -m channels.telegram webhook-info
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import re
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot import options
from bot.channel import Channel
from bot.messages import BotReply, InboundMessage
from bot.outbox import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from bot.pipeline import Pipeline
from bot.privacy import mask_pii
from bot.rendering import split_text
from bot.settings import Settings, get_settings
from bot.storage.db import Database
from bot.vietnamese import nfc

logger = logging.getLogger(__name__)

NAME = "telegram"
WEBHOOK_PATH = "/channels/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
MAX_TEXT_CHARS = 4096  # sendMessage limit, in UTF-16 code units
MAX_CALLBACK_DATA_BYTES = 64
CHOOSE_PROMPT = "Dạ, anh/chị chọn một mục dưới đây ạ:"
# Telegram clients send /start when a citizen opens the bot; /help and /menu are the usual
# commands. All three show the greeting and its menu of buttons.
MENU_COMMANDS = frozenset({"start", "help", "menu"})
MENU_PAYLOAD = "/greet"
# What a non-text message carries, in the order checked (the first present names it).
ATTACHMENT_KINDS = (
    "sticker", "photo", "voice", "audio", "video", "video_note", "animation", "document", "location", "venue",
    "contact", "poll", "dice", "game", "story", "paid_media", "invoice",
)  # fmt: skip
_SECRET_TOKEN_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts


# ------------------------------------------------------------------ keeping the token out of logs


class _TokenRedaction(logging.Filter):
    """Removes bot tokens from records: httpx logs every request URL, which holds the token."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.tokens:
            return True
        message = record.getMessage()
        redacted = redact(message, self.tokens)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTION = _TokenRedaction()
# Loggers that may print the API URL: httpx (INFO, every request) and the Bot (DEBUG).
_URL_LOGGERS = ("httpx", "telegram.Bot")


def redact(text: str, tokens: set[str] | frozenset[str]) -> str:
    for token in tokens:
        if token:
            text = text.replace(token, "<telegram-bot-token>")
    return text


def _protect_token(token: str) -> None:
    _REDACTION.tokens.add(token)
    for name in _URL_LOGGERS:
        target = logging.getLogger(name)
        if _REDACTION not in target.filters:
            target.addFilter(_REDACTION)


# ------------------------------------------------------------------ the Bot API client


def make_bot(settings: Settings) -> Bot:
    """A Bot for the configured token and API base; no network until a method is called."""
    token = settings.telegram_bot_token.get_secret_value()
    if not token:
        raise InvalidToken("TELEGRAM_BOT_TOKEN is not set")
    _protect_token(token)
    request = HTTPXRequest(connection_pool_size=64, read_timeout=10.0, pool_timeout=5.0)
    return Bot(token, base_url=settings.telegram_api_base_url, request=request, get_updates_request=request)


def _as_delivery_error(exc: TelegramError, token: str) -> DeliveryError:
    """Telegram's refusal as the outbox understands it: retry, or give up on this reply."""
    reason = redact(f"{type(exc).__name__}: {exc.message}", {token})
    if isinstance(exc, Forbidden | BadRequest):  # blocked, deactivated, chat not found, bad text
        return PermanentDeliveryError(reason)
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else float(exc.retry_after)
        return TransientDeliveryError(f"rate limited, retry after {wait:.0f}s", retry_after=wait)
    if isinstance(exc, TimedOut | NetworkError):  # BadRequest is a NetworkError: checked above
        return TransientDeliveryError(reason)
    # InvalidToken (a configuration error the operator can fix), Conflict, unknown: retry.
    return TransientDeliveryError(reason)


def _keyboard(body: dict) -> InlineKeyboardMarkup | None:
    buttons = body.get("buttons") or []
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(title, callback_data=data)] for title, data in buttons])


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_for_telegram(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Pieces within Telegram's limit, cut on sentence ends (emoji count twice in UTF-16)."""
    size = limit
    while True:
        pieces = split_text(text, size)
        if all(_utf16_length(piece) <= limit for piece in pieces) or size <= limit // 2:
            return pieces
        size -= limit // 16


class TelegramAdapter:
    """Replies are pushed through the Bot API, at any time after the update was acknowledged."""

    name = NAME
    numbered_options = False
    delivers_later = True

    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._db = db
        self._bot: Bot | None = None
        self._closed = False

    @property
    def configured(self) -> bool:
        return bool(self._settings.telegram_bot_token.get_secret_value())

    def parsing_bot(self) -> Bot | None:
        """The bot that parsed updates are bound to (for shortcuts), when one can exist."""
        return self.bot() if self.configured and not self._closed else None

    def bot(self) -> Bot:
        """The Bot API client, created on first use (raises InvalidToken without a token)."""
        if self._closed:
            raise TransientDeliveryError("the Telegram client is shut down")
        if self._bot is None:
            self._bot = make_bot(self._settings)
        return self._bot

    async def aclose(self) -> None:
        self._closed = True
        if self._bot is not None:
            await self._bot.request.shutdown()
            self._bot = None

    # ------------------------------------------------------------------ outbound

    def render(self, replies: Sequence[BotReply]) -> list[dict]:
        bodies: list[dict] = []
        for reply in replies:
            if reply.image:
                bodies.append({"photo": reply.image})
            buttons = [
                [button.title or button.payload, self._callback_data(button.payload or button.title)]
                for button in reply.buttons
                if button.title or button.payload
            ]
            text = nfc(reply.text).strip() or (CHOOSE_PROMPT if buttons else "")
            pieces = split_for_telegram(text)
            for position, piece in enumerate(pieces):
                body: dict[str, Any] = {"text": piece}
                if buttons and position == len(pieces) - 1:
                    body["buttons"] = buttons
                bodies.append(body)
        return bodies

    def _callback_data(self, payload: str) -> str:
        return options.short_payload(self._db, payload, MAX_CALLBACK_DATA_BYTES)

    async def deliver(self, recipient: str, body: dict) -> None:
        try:
            bot = self.bot()
        except InvalidToken as exc:
            raise TransientDeliveryError(f"cannot send to Telegram: {exc.message}") from exc
        try:
            await self._send(bot, recipient, body)
        except ChatMigrated as exc:  # a group became a supergroup: same chat, new id
            try:
                await self._send(bot, str(exc.new_chat_id), body)
            except TelegramError as again:
                raise _as_delivery_error(again, bot.token) from again
        except TelegramError as exc:
            raise _as_delivery_error(exc, bot.token) from exc

    async def _send(self, bot: Bot, chat_id: str, body: dict) -> None:
        if "photo" in body:
            await bot.send_photo(chat_id, photo=body["photo"], caption=body.get("caption"))
            return
        await bot.send_message(
            chat_id,
            text=body["text"],
            reply_markup=_keyboard(body),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def answer_callback(self, query_id: str) -> None:
        """Stop the spinner on the pressed button; failing only costs the citizen a spinner."""
        try:
            await self.bot().answer_callback_query(query_id)
        except (TelegramError, DeliveryError) as exc:
            logger.warning("answerCallbackQuery failed: %s", mask_pii(self._redact(str(exc))))

    def _redact(self, text: str) -> str:
        return redact(text, {self._settings.telegram_bot_token.get_secret_value()})


# ------------------------------------------------------------------ inbound


def _content_type(message: Message) -> str | None:
    """The content type: text, the kind of attachment, or None for service messages (joins, pins)."""
    if message.text is not None:
        return "text"
    return next((kind for kind in ATTACHMENT_KINDS if getattr(message, kind, None)), None)


def _text_and_payload(text: str) -> tuple[str, str | None]:
    """Typed text for the assistant; a Telegram command becomes the menu or plain words.

    Rasa reads text starting with "/" as an intent, so a typed "/..." is never passed on
    as is: /start, /help and /menu show the greeting, other commands lose their slash.
    """
    if not text.startswith("/"):
        return text, None
    command, _, rest = text.partition(" ")
    name = command.lstrip("/").split("@", 1)[0]
    if name.lower() in MENU_COMMANDS:
        return text, MENU_PAYLOAD
    return " ".join(part for part in (name, rest.strip()) if part), None


def _pressed_button_title(query: CallbackQuery) -> str:
    """The title of the button whose data came back, from the message that carried it."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return ""
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return ""


def _from_message(update: Update, message: Message) -> InboundMessage | None:
    kind = _content_type(message)
    if kind is None:
        return None
    metadata: dict[str, Any] = {"content_type": kind, "chat_type": str(message.chat.type)}
    text, payload = "", None
    if kind == "text":
        text, payload = _text_and_payload(nfc(message.text or ""))
    elif message.caption:
        metadata["has_caption"] = True
    return InboundMessage(
        channel=NAME,
        sender=str(message.chat.id),
        text=text,
        payload=payload,
        platform_message_id=str(update.update_id),
        timestamp=message.date,
        metadata=metadata,
    )


def _chat_id(query: CallbackQuery) -> int:
    message = query.message
    return message.chat.id if message is not None else query.from_user.id


class TelegramWebhook:
    """Turns authenticated updates into inbound messages for the pipeline."""

    def __init__(self, adapter: TelegramAdapter, settings: Settings, db: Database) -> None:
        self._adapter = adapter
        self._secret = settings.telegram_secret_token.get_secret_value()
        self._db = db

    def refusal(self, provided: str | None) -> str | None:
        """Why a request is not from Telegram, or None when its secret token matches."""
        if not self._secret:
            return "Telegram webhook secret is not configured (TELEGRAM_SECRET_TOKEN)"
        if provided is None:
            return f"missing {SECRET_HEADER} header"
        if not hmac.compare_digest(provided.encode(), self._secret.encode()):
            return f"wrong {SECRET_HEADER}"
        return None

    def parse(self, raw: bytes) -> Update:
        """The update in `raw`; ValueError with a reason when it is not one."""
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ValueError("body is not JSON") from exc
        if not isinstance(data, dict):
            raise ValueError("body is not a Telegram Update object")
        try:
            update = Update.de_json(data, self._adapter.parsing_bot())
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError("body is not a Telegram Update object") from exc
        if not isinstance(update.update_id, int) or isinstance(update.update_id, bool):
            raise ValueError("update_id must be an integer")
        return update

    async def inbound(self, update: Update) -> InboundMessage | None:
        """The citizen's message in `update`, or None for updates the assistant ignores."""
        if update.message is not None:
            return _from_message(update, update.message)
        query = update.callback_query
        if query is None or query.data is None:
            return None
        payload = await asyncio.to_thread(options.expand_payload, self._db, query.data)
        text = ""
        if payload is None:  # a key from a lost database: read the button's title instead
            text = nfc(_pressed_button_title(query))
        message = query.message
        return InboundMessage(
            channel=NAME,
            sender=str(_chat_id(query)),
            text=text,
            payload=payload,
            platform_message_id=str(update.update_id),
            metadata={
                "content_type": "callback",
                "chat_type": str(message.chat.type) if message is not None else "private",
            },
        )


def _router_factory(adapter: TelegramAdapter, settings: Settings, db: Database) -> Callable[[Pipeline], APIRouter]:
    webhook = TelegramWebhook(adapter, settings, db)

    def make_router(pipeline: Pipeline) -> APIRouter:
        router = APIRouter(tags=["telegram"])

        @router.post(WEBHOOK_PATH)
        async def telegram_webhook(request: Request, background: BackgroundTasks) -> JSONResponse:
            """Bot API updates: stored, then acknowledged; replies follow through sendMessage."""
            refusal = webhook.refusal(request.headers.get(SECRET_HEADER))
            if refusal is not None:
                logger.warning("refused a Telegram webhook call: %s", refusal)
                return JSONResponse(status_code=403, content={"detail": refusal})
            try:
                update = webhook.parse(await request.body())
            except ValueError as exc:
                return JSONResponse(status_code=400, content={"detail": f"Invalid update: {exc}"})
            message = await webhook.inbound(update)
            query = update.callback_query
            if message is None:
                if query is not None:
                    background.add_task(adapter.answer_callback, query.id)
                return JSONResponse({"ok": True, "ignored": True})
            accepted = await pipeline.receive(message)
            if accepted and query is not None:
                background.add_task(adapter.answer_callback, query.id)
            return JSONResponse({"ok": True, "duplicate": not accepted})

        return router

    return make_router


def channel(settings: Settings, db: Database) -> Channel:
    adapter = TelegramAdapter(settings, db)
    return Channel(adapter, _router_factory(adapter, settings, db))


# ------------------------------------------------------------------ webhook registration


class SetupError(Exception):
    """A setting the command needs is missing or unusable."""


def webhook_url(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + WEBHOOK_PATH


async def set_webhook(settings: Settings, drop_pending_updates: bool = False) -> str:
    """Point Telegram at this gateway; returns a line saying what was done."""
    secret = settings.telegram_secret_token.get_secret_value()
    if not secret:
        raise SetupError("TELEGRAM_SECRET_TOKEN is not set: the webhook must be authenticated")
    if not _SECRET_TOKEN_FORMAT.match(secret):
        raise SetupError("TELEGRAM_SECRET_TOKEN must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    url = webhook_url(settings)
    if not url.startswith("https://"):
        raise SetupError(f"PUBLIC_BASE_URL must start with https:// (Telegram only calls HTTPS webhooks): {url}")
    async with _cli_bot(settings) as bot:
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending_updates,
        )
        return f"webhook of @{bot.username} set to {url}"


async def delete_webhook(settings: Settings, drop_pending_updates: bool = False) -> str:
    async with _cli_bot(settings) as bot:
        await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
        return f"webhook of @{bot.username} deleted"


async def webhook_info(settings: Settings) -> str:
    async with _cli_bot(settings) as bot:
        info = await bot.get_webhook_info()
        lines = [
            f"bot: @{bot.username}",
            f"url: {info.url or '(none)'}",
            f"pending updates: {info.pending_update_count}",
        ]
        if info.last_error_message:
            lines.append(f"last error: {info.last_error_message}")
        return "\n".join(lines)


@asynccontextmanager
async def _cli_bot(settings: Settings) -> AsyncIterator[Bot]:
    """An initialised Bot (getMe checks the token); errors never show the token."""
    token = settings.telegram_bot_token.get_secret_value()
    if not token:
        raise SetupError("TELEGRAM_BOT_TOKEN is not set (the token @BotFather gave the bot)")
    bot = make_bot(settings)
    try:
        await bot.initialize()
    except InvalidToken as exc:
        await bot.shutdown()
        raise SetupError("Telegram rejected TELEGRAM_BOT_TOKEN") from exc
    except TelegramError as exc:
        await bot.shutdown()
        raise SetupError(f"cannot reach the Bot API: {redact(exc.message, {token})}") from exc
    try:
        yield bot
    except TelegramError as exc:
        raise SetupError(f"the Bot API refused: {redact(exc.message, {token})}") from exc
    finally:
        await bot.shutdown()


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m channels.telegram", description="Manage the Telegram webhook.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("set-webhook", "register PUBLIC_BASE_URL + /channels/telegram/webhook with the secret token"),
        ("delete-webhook", "stop Telegram from calling the gateway"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--drop-pending-updates", action="store_true", help="discard updates not yet delivered")
    commands.add_parser("webhook-info", help="show the registered URL and pending updates")
    args = parser.parse_args(argv)
    settings = settings or get_settings()
    try:
        if args.command == "set-webhook":
            result = asyncio.run(set_webhook(settings, args.drop_pending_updates))
        elif args.command == "delete-webhook":
            result = asyncio.run(delete_webhook(settings, args.drop_pending_updates))
        else:
            result = asyncio.run(webhook_info(settings))
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
