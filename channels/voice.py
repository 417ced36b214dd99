"""Phone calls through Twilio (IVR): the caller speaks a question or presses a key.

`POST /channels/voice/twilio` answers a new call: a greeting and a keypad menu inside a
`<Gather input="speech dtmf">` (1 procedures, 2 dossier tracking, 3 appointments, 0 an
operator). `POST /channels/voice/twilio/gather` receives what was said (SpeechResult) or
pressed (Digits), asks the assistant, reads the answer and listens again.

The state of a call travels in the action URL's query, which Twilio signs with the rest:
`turn` numbers the caller's answered turns, so that a retried callback has the same
platform message id (`CallSid:turn`) and is not answered twice; `silences` counts turns
without input in a row, and after `VOICE_MAX_SILENCES` the call ends politely.

Answers are rewritten for the ear: no links, emoji or markdown, lists cut to a few items,
codes and phone numbers read digit by digit, buttons read as keypad choices. The key 0
always transfers to the operators' queue (`<Enqueue>`), and so does an answer in which
the assistant recorded a request for an operator.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from bot import options
from bot.channel import Channel
from bot.conversation_ids import conversation_id
from bot.messages import BotReply, Button, InboundMessage
from bot.outbox import PermanentDeliveryError
from bot.pipeline import Pipeline
from bot.rendering import all_buttons, split_text
from bot.settings import Settings
from bot.storage.db import Database
from bot.vietnamese import clean, nfc
from channels.twilio_common import (
    OPERATOR_KEY,
    REQUEST_HUMAN,
    WebhookError,
    require,
    strip_markdown,
    twiml,
    verified_form,
)

NAME = "voice"
PATH = "/channels/voice/twilio"
GATHER_PATH = f"{PATH}/gather"

MAIN_MENU = (
    Button("Hỏi thủ tục", "/ask_procedure"),
    Button("Tra cứu hồ sơ", "/track_dossier"),
    Button("Đặt lịch hẹn", "/book_appointment"),
)
GREETING = (
    "Dạ, Trung tâm Phục vụ hành chính công Hà Nội xin chào anh chị. Em là trợ lý tự động. "
    "Anh chị có thể nói câu hỏi, ví dụ: làm hộ chiếu cần giấy tờ gì."
)
ASK_AGAIN = "Dạ, anh chị có thể hỏi tiếp, hoặc nhấn phím 0 để gặp tổng đài viên ạ."
NOT_HEARD = "Dạ, em chưa nghe thấy anh chị nói gì."
GOODBYE = (
    "Dạ, em chưa nghe thấy anh chị phản hồi nên xin phép kết thúc cuộc gọi. "
    "Cảm ơn anh chị đã gọi tới tổng đài. Chào anh chị."
)
TRANSFER = "Dạ, em chuyển cuộc gọi tới tổng đài viên, anh chị vui lòng giữ máy trong giây lát."
NO_SUCH_KEY = "Dạ, phím {key} không có trong các lựa chọn ạ."

# Twilio warns (13335) that speechTimeout="auto" is not allowed with a speechModel: a fixed pause ends speech.
SPEECH_END_SECONDS = 2
MAX_LIST_ITEMS = 3  # a caller cannot scroll back: longer lists are cut with "và N mục khác"
MAX_SPOKEN_OPTIONS = 9  # one keypad digit each
MAX_SPOKEN_CHARS = 900  # per turn, before the options
MAX_SAY_CHARS = 500  # one <Say> each
RECENT_RESPONSES = 512  # answered turns kept to answer a retried callback the same way

# Twilio's caller ids for withheld numbers: many people, so never one conversation.
ANONYMOUS_CALLERS = frozenset(
    {"", "anonymous", "unknown", "restricted", "private", "+266696687", "+86282452253", "+7378742833", "+2562533",
     "+8656696"}
)  # fmt: skip
_HANDOFF_REFERENCE = re.compile(r"\b(?:YC|PA)-\d{6}\b")  # bot.handoff.HandoffReceipt.reference
_OPERATOR_SPOKEN = re.compile(rf"^\s*(?:số|phím|so|phim)?\s*{OPERATOR_KEY}\s*[.!]?\s*$", re.IGNORECASE)


# ---------------------------------------------------------------- speech rendering

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]«»\"]+"
    r"|\b(?:[a-z0-9-]+\.)+(?:vn|com|net|org|gov|edu|info|io)\b(?:/[^\s<>()\[\]«»\"]*)?",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•+▪◦‣]|\d{1,2}[.)])\s+")
_PHONE = re.compile(r"(?<![\w.])(?:\+84[ .]?|0)\d{1,4}(?:[ .]\d{2,4}){1,4}(?![\w])|(?<![\w.])1[89]00[ .]?\d{3,4}(?!\w)")
_TOKEN = re.compile(r"\+?[0-9A-Za-z](?:[0-9A-Za-z]|[.\-/](?=[0-9A-Za-z]))*")
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?")
_SEPARATOR_WORDS = {".": "chấm", "-": "gạch", "/": "xẹt", "+": "cộng"}
_SLASH_UNIT = re.compile(r"(?<=\w)/(?=(?:lần|năm|tháng|ngày|giờ|bản|trang|người|bộ|hồ sơ)\b)")
_SLASH_WORDS = re.compile(r"(?<=[^\W\d])/(?=[^\W\d])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _is_noise(char: str) -> bool:
    """Emoji, pictographs and other symbols a voice would read by name, or not at all."""
    if char in "\u200d\ufe0e\ufe0f":
        return True
    return unicodedata.category(char) in ("So", "Cs", "Co", "Cn")


def _spell(token: str) -> str:
    """A code read character by character: "YC-000123" -> "Y C gạch 0 0 0 1 2 3"."""
    words: list[str] = []
    letters = ""
    for char in token:
        if char.isalpha():
            letters += char
            continue
        if letters:
            words.append(" ".join(letters) if letters.isupper() else letters)
            letters = ""
        words.append(_SEPARATOR_WORDS.get(char, char))
    if letters:
        words.append(" ".join(letters) if letters.isupper() else letters)
    return " ".join(words)


def _speak_token(match: re.Match[str]) -> str:
    token = match.group(0)
    digits = sum(char.isdigit() for char in token)
    if not digits or _THOUSANDS.fullmatch(token):
        return token  # words, and amounts such as 200.000 that a voice reads as numbers
    date = _DATE.fullmatch(token)
    if date:
        day, month, year = date.groups()
        return f"{day} tháng {month}" + (f" năm {year}" if year else "")
    if token.isdigit():
        code_like = (token.startswith("0") and len(token) > 1) or len(token) >= 5
        return _spell(token) if code_like else token
    return _spell(token) if digits >= 3 or token.startswith("+") else token


def _join_phone(match: re.Match[str]) -> str:
    number = match.group(0)
    return re.sub(r"[ .]", "", number) if sum(char.isdigit() for char in number) >= 8 else number


def speak_numbers(text: str) -> str:
    """Phone numbers and codes digit by digit ("0912" -> "0 9 1 2"); amounts and counts as numbers."""
    return _TOKEN.sub(_speak_token, _PHONE.sub(_join_phone, text))


def _shorten_lists(lines: list[str]) -> list[str]:
    """List items without their markers, at most MAX_LIST_ITEMS per list, then how many more."""
    kept: list[str] = []
    run = 0  # items of the current list so far
    for line in [*lines, ""]:
        item = _LIST_ITEM.match(line)
        if item:
            run += 1
            if run <= MAX_LIST_ITEMS:
                kept.append(line[item.end() :])
            continue
        if run > MAX_LIST_ITEMS:
            kept[-1] = kept[-1].rstrip(" .;,") + f", và {run - MAX_LIST_ITEMS} mục khác"
        run = 0
        if line:
            kept.append(line)
    return kept


def _as_sentence(line: str) -> str:
    line = line.strip(" ,;")
    return line if not line or line[-1] in ".!?:" else line + "."


def _tidy_punctuation(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",\s*(?=[,.;:!?])", "", text)
    text = re.sub(r"([.;:!?])(?:\s*,)+", r"\1", text)
    text = re.sub(r"[,;:]+\s*\.", ".", text)  # "Chi tiết: <link>." without its link
    text = re.sub(r"\.{2,}", ".", text)
    return text.strip(" ,")


def speakable(text: str) -> str:
    """One reply rewritten for a voice: what a caller should hear, nothing they should not."""
    text = nfc(text)
    text = strip_markdown(text)
    text = _EMAIL.sub("", text)
    text = _URL.sub(lambda match: match.group(0)[len(match.group(0).rstrip(".,;:!?")) :], text)
    text = "".join(" " if _is_noise(char) else char for char in text)
    lines = [line.strip() for line in text.splitlines()]
    text = " ".join(_as_sentence(line) for line in _shorten_lists([line for line in lines if line]))
    text = text.replace("anh/chị", "anh chị").replace("Anh/chị", "Anh chị")
    text = speak_numbers(text)
    text = _SLASH_UNIT.sub(" một ", text)
    text = _SLASH_WORDS.sub(" hoặc ", text)
    text = re.sub(r"[«»“”\"*_#`|<>\[\]{}]", "", text)
    text = re.sub(r"\(\s*\)", "", text)
    text = text.replace("(", ", ").replace(")", ", ")
    text = text.replace("…", ".")
    return _tidy_punctuation(text)


def _cap(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a sentence end when there is one."""
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or text[:limit].rsplit(" ", 1)[0] + "."


def _choice(number: int, button: Button) -> str:
    if button.payload.startswith("/deny"):
        return f"phím {number} nếu không cần"
    title = speakable(button.title).rstrip(".")
    return f"phím {number} để {title[:1].lower()}{title[1:]}"


def options_prompt(buttons: Sequence[Button]) -> str:
    """Buttons as keypad choices: "Nhấn phím 1 để hỏi thủ tục, phím 2 để ..."."""
    shown = list(buttons)[:MAX_SPOKEN_OPTIONS]
    if not shown:
        return ASK_AGAIN
    choices = [_choice(number, button) for number, button in enumerate(shown, start=1)]
    if not any(button.payload == REQUEST_HUMAN for button in shown):
        choices.append(f"hoặc phím {OPERATOR_KEY} để gặp tổng đài viên")
    return "Nhấn " + ", ".join(choices) + "."


def spoken_answer(replies: Sequence[BotReply]) -> str:
    """A turn's replies as one text to say, before the options prompt."""
    return _cap(" ".join(filter(None, (speakable(reply.text) for reply in replies))), MAX_SPOKEN_CHARS)


def is_handoff(replies: Sequence[BotReply]) -> bool:
    """Whether the assistant recorded a request for an operator (its reply quotes the reference)."""
    return any((reply.custom or {}).get("handoff") or _HANDOFF_REFERENCE.search(reply.text) for reply in replies)


# ---------------------------------------------------------------- adapter


class VoiceAdapter:
    """Replies are spoken in the call; nothing can be sent once the call moved on."""

    name = NAME
    numbered_options = True
    delivers_later = False

    def render(self, replies: Sequence[BotReply]) -> list[dict]:
        """The turn as <Say> texts: the answer, then the keypad choices (or how to go on)."""
        text = " ".join(filter(None, (spoken_answer(replies), options_prompt(all_buttons(replies)))))
        return [{"text": part} for part in split_text(text, MAX_SAY_CHARS)]

    async def deliver(self, recipient: str, body: dict) -> None:
        raise PermanentDeliveryError("a call's replies are spoken in the call; nothing to deliver afterwards")


def caller(params: dict[str, str]) -> str:
    """Who is calling: their number, or for a withheld number this one call."""
    number = params.get("From", "").strip()
    if number.lower() in ANONYMOUS_CALLERS or not re.fullmatch(r"[\w+:.@-]{1,64}", number):
        return f"call-{params['CallSid'].strip()}"
    return number


def _query_int(request: Request, name: str, default: int) -> int:
    try:
        return max(0, int(request.query_params.get(name, default)))
    except ValueError:
        return default


class _Calls:
    """TwiML building for one gateway: settings, URLs and the last answers given."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._recent: OrderedDict[str, str] = OrderedDict()

    def action_url(self, turn: int, silences: int) -> str:
        query = urlencode({"turn": turn, "silences": silences})
        return f"{self.settings.public_base_url.rstrip('/')}{GATHER_PATH}?{query}"

    def say(self, parent: VoiceResponse | Gather, text: str) -> None:
        for part in split_text(text, MAX_SAY_CHARS):
            parent.say(part, voice=self.settings.voice_name, language=self.settings.voice_language)

    def listen(self, texts: Sequence[str], turn: int, silences: int) -> VoiceResponse:
        """Say `texts` while listening for speech or one key; no input comes back as silence."""
        response = VoiceResponse()
        action = self.action_url(turn, silences)
        gather = response.gather(
            input="speech dtmf",
            action=action,
            method="POST",
            language=self.settings.voice_language,
            speech_model=self.settings.voice_speech_model,
            speech_timeout=SPEECH_END_SECONDS,
            timeout=self.settings.voice_gather_timeout_seconds,
            num_digits=1,
            action_on_empty_result=True,
        )
        for text in texts:
            self.say(gather, text)
        response.redirect(action, method="POST")  # if the Gather ends without calling its action
        return response

    def transfer(self, texts: Sequence[str] = ()) -> VoiceResponse:
        response = VoiceResponse()
        for text in [*texts, TRANSFER]:
            self.say(response, text)
        response.enqueue(self.settings.voice_operator_queue)
        return response

    def goodbye(self) -> VoiceResponse:
        response = VoiceResponse()
        self.say(response, GOODBYE)
        response.hangup()
        return response

    def remember(self, key: str, document: VoiceResponse) -> Response:
        self._recent[key] = str(document)
        while len(self._recent) > RECENT_RESPONSES:
            self._recent.popitem(last=False)
        return twiml(document)

    def recall(self, key: str) -> str | None:
        return self._recent.get(key)


async def _call_params(request: Request, settings: Settings) -> dict[str, str]:
    """The signed form of a Twilio voice webhook, which must name its call."""
    params = await verified_form(request, settings)
    require(params, "CallSid")
    if not params["CallSid"].strip():
        raise WebhookError(400, "empty CallSid")
    return params


def _router(pipeline: Pipeline, adapter: VoiceAdapter, settings: Settings) -> APIRouter:
    router = APIRouter(tags=["voice"])
    calls = _Calls(settings)
    db = pipeline.db

    @router.post(PATH)
    async def call_started(request: Request) -> Response:
        """A new call: greet, offer the menu, listen."""
        try:
            params = await _call_params(request, settings)
        except WebhookError as exc:
            return exc.response()
        conversation = conversation_id(NAME, caller(params))
        await asyncio.to_thread(options.remember_options, db, conversation, MAIN_MENU)
        return twiml(calls.listen([GREETING, options_prompt(MAIN_MENU)], turn=1, silences=0))

    @router.post(GATHER_PATH)
    async def gathered(request: Request) -> Response:
        """What the caller said or pressed: answer it and listen again."""
        try:
            params = await _call_params(request, settings)
        except WebhookError as exc:
            return exc.response()
        turn, silences = _query_int(request, "turn", 1), _query_int(request, "silences", 0)
        sender = caller(params)
        conversation = conversation_id(NAME, sender)
        speech = clean(params.get("SpeechResult", ""))
        digits = re.sub(r"[^0-9]", "", params.get("Digits", ""))

        if not speech and not digits:  # silence, or only * and #
            if silences + 1 >= settings.voice_max_silences:
                return twiml(calls.goodbye())
            offered = await asyncio.to_thread(options.offered_options, db, conversation)
            return twiml(calls.listen([NOT_HEARD, options_prompt(offered)], turn, silences + 1))

        # "0" (pressed or spoken) always reaches an operator; it goes through the assistant
        # first so that the request is recorded with a reference, even if the transfer fails.
        wants_operator = digits == OPERATOR_KEY or (not digits and bool(_OPERATOR_SPOKEN.match(speech)))
        payload = REQUEST_HUMAN if wants_operator else None
        if digits and not wants_operator:
            payload = await asyncio.to_thread(options.resolve_option, db, conversation, digits)
            if payload is None:
                offered = await asyncio.to_thread(options.offered_options, db, conversation)
                return twiml(calls.listen([NO_SUCH_KEY.format(key=digits), options_prompt(offered)], turn, 0))

        key = f"{params['CallSid'].strip()}:{turn}"
        replies = await pipeline.answer(
            InboundMessage(
                channel=NAME,
                sender=sender,
                text=digits or speech,
                payload=payload,
                platform_message_id=key,
                metadata={"content_type": "text", "input": "dtmf" if digits else "speech"},
            )
        )
        if replies is None:  # Twilio retried a callback already answered: answer it the same way
            earlier = calls.recall(key)
            if earlier is not None:
                return Response(earlier, media_type="application/xml")
            return twiml(calls.listen([ASK_AGAIN], turn + 1, 0))
        if wants_operator or is_handoff(replies):
            return calls.remember(key, calls.transfer([spoken_answer(replies)]))
        return calls.remember(key, calls.listen([body["text"] for body in adapter.render(replies)], turn + 1, 0))

    return router


def channel(settings: Settings, db: Database) -> Channel:
    adapter = VoiceAdapter()
    return Channel(adapter, lambda pipeline: _router(pipeline, adapter, settings))
