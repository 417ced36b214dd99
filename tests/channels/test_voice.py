"""Phone calls over Twilio: speech rendering, signed webhooks, the IVR flow with the real assistant."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bot.messages import BotReply, Button
from bot.outbox import PermanentDeliveryError
from bot.storage.models import InboxMessage
from channels import voice
from channels.voice import (
    MAIN_MENU,
    VoiceAdapter,
    caller,
    is_handoff,
    options_prompt,
    speak_numbers,
    speakable,
    spoken_answer,
)
from tests.channels.twilio_account import BASE, NUMBER, SID, TOKEN, twilio_settings, twilio_signature

START = "/channels/voice/twilio"
GATHER = "/channels/voice/twilio/gather"


def voice_settings(**overrides: object) -> dict[str, object]:
    return twilio_settings(**{"voice_max_silences": 2, **overrides})


def signed(client, url: str, params: dict[str, str], token: str = TOKEN, headers: dict[str, str] | None = None):
    """POST as Twilio does: to the absolute public URL, signed over it and the form."""
    assert url.startswith(BASE)
    if headers is None:
        headers = {"X-Twilio-Signature": twilio_signature(url, params, token)}
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.post(path, data=params, headers=headers)


def call(number: str, call_sid: str, **extra: str) -> dict[str, str]:
    return {"CallSid": call_sid, "AccountSid": SID, "From": number, "To": NUMBER, "CallStatus": "in-progress",
            "Direction": "inbound", **extra}  # fmt: skip


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return root


def said(root: ET.Element) -> str:
    return " ".join(element.text or "" for element in root.iter("Say"))


def gather_action(root: ET.Element) -> str:
    (gather,) = root.iter("Gather")
    return gather.get("action")


def start_call(client, number: str, call_sid: str) -> ET.Element:
    return twiml(signed(client, BASE + START, call(number, call_sid)))


# ---------------------------------------------------------------- speech rendering (unit)


def test_speak_numbers_reads_codes_and_phone_numbers_digit_by_digit():
    assert speak_numbers("Gọi 0912") == "Gọi 0 9 1 2"
    assert speak_numbers("Hotline 0912 345 678.") == "Hotline 0 9 1 2 3 4 5 6 7 8."
    assert speak_numbers("số 024.3826.1234") == "số 0 2 4 3 8 2 6 1 2 3 4"
    assert speak_numbers("gọi +84 912 345 678") == "gọi cộng 8 4 9 1 2 3 4 5 6 7 8"
    assert speak_numbers("tổng đài 1900 1234") == "tổng đài 1 9 0 0 1 2 3 4"
    assert speak_numbers("mã YC-000123") == "mã Y C gạch 0 0 0 1 2 3"
    assert speak_numbers("hồ sơ H26-240101-0001") == "hồ sơ H 2 6 gạch 2 4 0 1 0 1 gạch 0 0 0 1"
    assert speak_numbers("mã 1.001456") == "mã 1 chấm 0 0 1 4 5 6"


def test_speak_numbers_leaves_amounts_counts_and_years_to_the_voice():
    text = "Lệ phí 200.000 đồng, 15 ngày, năm 2026, ảnh 4cm x 6cm, từ đủ 14 tuổi"
    assert speak_numbers(text) == text
    assert speak_numbers("ngày 15/3/2024") == "ngày 15 tháng 3 năm 2024"


def test_speakable_removes_links_emoji_markdown_and_bullets():
    text = speakable(
        "**Dạ**, anh/chị tra cứu trên Cổng Dịch vụ công (dichvucong.gov.vn) 👍\n"
        "Chi tiết: https://dichvucong.hanoi.gov.vn/tra-cuu?ma=1.\n"
        "- Nộp trực tiếp: 200.000 đồng/lần\n"
        "* Nộp trực tuyến"
    )
    assert text == (
        "Dạ, anh chị tra cứu trên Cổng Dịch vụ công. Chi tiết. Nộp trực tiếp: 200.000 đồng một lần. Nộp trực tuyến."
    )
    for unwanted in ("http", "gov.vn", "👍", "*", "- ", "(", "/"):
        assert unwanted not in text


def test_speakable_shortens_lists_and_drops_quotes():
    text = speakable(
        "Dạ, hồ sơ thủ tục «Cấp hộ chiếu» (mã 1.001456) gồm:\n"
        "1. Tờ khai\n2. Ảnh chân dung\n3. Căn cước\n4. Giấy khai sinh\n5. Giấy ủy quyền\n"
        "(và 5 giấy tờ khác tùy trường hợp)"
    )
    assert text == (
        "Dạ, hồ sơ thủ tục Cấp hộ chiếu, mã 1 chấm 0 0 1 4 5 6, gồm: Tờ khai. Ảnh chân dung. "
        "Căn cước, và 2 mục khác. và 5 giấy tờ khác tùy trường hợp."
    )


def test_speakable_spells_the_handoff_reference():
    text = speakable("Dạ, em đã ghi nhận yêu cầu gặp tổng đài viên (mã YC-000042) và chuyển vào hàng chờ.")
    assert "mã Y C gạch 0 0 0 0 4 2" in text


def test_options_prompt_reads_buttons_as_keys():
    assert options_prompt(MAIN_MENU) == (
        "Nhấn phím 1 để hỏi thủ tục, phím 2 để tra cứu hồ sơ, phím 3 để đặt lịch hẹn, hoặc phím 0 để gặp tổng đài viên."
    )
    offer = [Button("Gặp tổng đài viên", "/request_human"), Button("Không, cảm ơn", "/deny")]
    assert options_prompt(offer) == "Nhấn phím 1 để gặp tổng đài viên, phím 2 nếu không cần."
    assert "phím 0" in options_prompt([])


def test_spoken_answer_is_capped_at_a_sentence():
    long = " ".join(f"Câu số {n} của câu trả lời dài." for n in range(200))
    text = spoken_answer([BotReply(long)])
    assert len(text) <= voice.MAX_SPOKEN_CHARS and text.endswith("dài.")


def test_render_adds_the_key_choices_and_splits_for_say():
    bodies = VoiceAdapter().render([BotReply("Dạ, em chào anh/chị. 😀", buttons=MAIN_MENU)])
    assert bodies == [{"text": "Dạ, em chào anh chị. " + options_prompt(MAIN_MENU)}]
    long = VoiceAdapter().render([BotReply("Một câu trả lời khá dài. " * 40)])
    assert len(long) > 1 and all(len(body["text"]) <= voice.MAX_SAY_CHARS for body in long)


def test_is_handoff_recognises_a_recorded_request():
    assert is_handoff([BotReply("Dạ, em đã ghi nhận yêu cầu (mã YC-000012) và chuyển vào hàng chờ.")])
    assert is_handoff([BotReply("Phản ánh mã PA-000007 đã ghi nhận.")])
    assert is_handoff([BotReply("ok", custom={"handoff": {"reference": "YC-000001"}})])
    assert not is_handoff([BotReply("Dạ, em chưa hiểu rõ ý anh/chị.")])


def test_caller_withheld_numbers_get_one_conversation_per_call():
    assert caller({"From": "+84912345678", "CallSid": "CA1"}) == "+84912345678"
    assert caller({"From": "+266696687", "CallSid": "CA1"}) == "call-CA1"
    assert caller({"From": "anonymous", "CallSid": "CA2"}) == "call-CA2"
    assert caller({"CallSid": "CA3"}) == "call-CA3"


def test_voice_cannot_deliver_later():
    adapter = VoiceAdapter()
    assert adapter.numbered_options and not adapter.delivers_later
    with pytest.raises(PermanentDeliveryError):
        asyncio.run(adapter.deliver("+84912345678", {"text": "hello"}))


# ---------------------------------------------------------------- webhooks without the assistant


@pytest.fixture
def offline_gateway(gateway):
    """Rasa nowhere: the call start, the keypad 0, silences and rejections never need it."""
    return gateway([voice.channel], rasa_url="http://127.0.0.1:9", **voice_settings())


def test_call_start_greets_and_gathers_speech_or_one_key(offline_gateway):
    root = start_call(offline_gateway, "+84900000201", "CA0201")
    (gather,) = root.iter("Gather")
    assert gather.get("input") == "speech dtmf"
    assert gather.get("language") == "vi-VN"
    assert gather.get("speechModel") == "default"
    assert gather.get("numDigits") == "1"
    assert gather.get("timeout") == "5"
    assert gather.get("speechTimeout") == "2"  # an integer: "auto" is refused with a speechModel (13335)
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action") == f"{BASE}{GATHER}?turn=1&silences=0"
    says = list(gather.iter("Say"))
    assert says and all(s.get("voice") == "Google.vi-VN-Standard-A" and s.get("language") == "vi-VN" for s in says)
    text = said(gather)
    assert "xin chào" in text
    for choice in ("phím 1 để hỏi thủ tục", "phím 2 để tra cứu hồ sơ", "phím 3 để đặt lịch hẹn", "phím 0 để gặp"):
        assert choice in text
    (redirect,) = root.iter("Redirect")  # no input without a callback still reaches the silence handling
    assert redirect.text == gather.get("action")


@pytest.mark.parametrize("path", [START, f"{GATHER}?turn=1&silences=0"])
def test_forged_or_missing_signature_is_403(offline_gateway, path):
    params = call("+84900000202", "CA0202", Digits="0")
    missing = signed(offline_gateway, BASE + path, params, headers={})
    forged = signed(offline_gateway, BASE + path, params, token="not-the-token")
    assert (missing.status_code, forged.status_code) == (403, 403)
    assert missing.text == "invalid Twilio signature"


def test_query_state_is_covered_by_the_signature(offline_gateway):
    params = call("+84900000203", "CA0203")
    signature = twilio_signature(f"{BASE}{GATHER}?turn=1&silences=0", params)
    response = offline_gateway.post(
        f"{GATHER}?turn=1&silences=5", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_no_auth_token_is_403(gateway):
    client = gateway([voice.channel], rasa_url="http://127.0.0.1:9", public_base_url=BASE)
    assert signed(client, BASE + START, call("+84900000204", "CA0204")).status_code == 403


@pytest.mark.parametrize("path", [START, GATHER])
def test_missing_call_sid_is_400(offline_gateway, path):
    params = call("+84900000205", "CA0205")
    del params["CallSid"]
    response = signed(offline_gateway, BASE + path, params)
    assert response.status_code == 400
    assert "CallSid" in response.text


def test_key_zero_transfers_to_the_operators(offline_gateway):
    root = start_call(offline_gateway, "+84900000206", "CA0206")
    response = signed(offline_gateway, gather_action(root), call("+84900000206", "CA0206", Digits="0"))
    root = twiml(response)
    (enqueue,) = root.iter("Enqueue")
    assert enqueue.text == "tong-dai-vien"
    assert "tổng đài viên" in said(root)
    assert not list(root.iter("Gather"))


def test_spoken_zero_transfers_too(offline_gateway):
    response = signed(
        offline_gateway, f"{BASE}{GATHER}?turn=3&silences=0", call("+84900000207", "CA0207", SpeechResult="Số 0.")
    )
    assert list(twiml(response).iter("Enqueue"))


def test_silence_reprompts_then_hangs_up(offline_gateway):
    number, call_sid = "+84900000208", "CA0208"
    root = start_call(offline_gateway, number, call_sid)
    first = twiml(signed(offline_gateway, gather_action(root), call(number, call_sid, SpeechResult="", Digits="")))
    assert "chưa nghe thấy" in said(first)
    assert "phím 1 để hỏi thủ tục" in said(first)  # the options still offered are read again
    assert gather_action(first) == f"{BASE}{GATHER}?turn=1&silences=1"
    assert not list(first.iter("Hangup"))
    second = twiml(signed(offline_gateway, gather_action(first), call(number, call_sid)))
    assert list(second.iter("Hangup")) and not list(second.iter("Gather"))
    assert "kết thúc cuộc gọi" in said(second)


def test_silence_limit_is_a_setting(gateway):
    client = gateway([voice.channel], rasa_url="http://127.0.0.1:9", **voice_settings(voice_max_silences=3))
    url = f"{BASE}{GATHER}?turn=1&silences=0"
    for _ in range(2):
        root = twiml(signed(client, url, call("+84900000209", "CA0209")))
        assert not list(root.iter("Hangup"))
        url = gather_action(root)
    assert list(twiml(signed(client, url, call("+84900000209", "CA0209"))).iter("Hangup"))


def test_a_key_without_an_option_is_explained(offline_gateway):
    root = start_call(offline_gateway, "+84900000210", "CA0210")
    response = twiml(signed(offline_gateway, gather_action(root), call("+84900000210", "CA0210", Digits="7")))
    assert "phím 7 không có" in said(response)
    assert "phím 1 để hỏi thủ tục" in said(response)
    assert gather_action(response) == f"{BASE}{GATHER}?turn=1&silences=0"


@pytest.mark.parametrize(
    ("query", "extra"),
    [
        ("turn=abc&silences=-x", {}),  # odd state: defaults, no crash
        ("", {"Digits": "*#"}),  # only * and #: like silence
        ("turn=1&silences=0", {"SpeechResult": "   \u200b "}),  # invisible speech
        ("turn=1&silences=0&extra=%F0%9F%98%80", {"Digits": "##"}),
    ],
)
def test_odd_inputs_never_fail(offline_gateway, query, extra):
    url = f"{BASE}{GATHER}" + (f"?{query}" if query else "")
    root = twiml(signed(offline_gateway, url, call("+84900000211", "CA0211", **extra)))
    assert list(root.iter("Gather")) or list(root.iter("Hangup"))


def test_withheld_number_still_gets_the_menu(offline_gateway):
    root = start_call(offline_gateway, "anonymous", "CA0212")
    assert "phím 1" in said(root)


# ---------------------------------------------------------------- calls answered by the real assistant


@pytest.fixture
def voice_gateway(gateway, rasa_stack):
    return gateway([voice.channel], rasa_url=rasa_stack.rasa_url, **voice_settings())


@pytest.mark.stack
def test_spoken_question_is_answered_for_the_ear_then_listens_again(voice_gateway):
    number, call_sid = "+84900000301", "CA0301"
    root = start_call(voice_gateway, number, call_sid)
    answer = twiml(
        signed(
            voice_gateway,
            gather_action(root),
            call(number, call_sid, SpeechResult="Làm hộ chiếu cần giấy tờ gì?", Confidence="0.91"),
        )
    )
    text = said(answer)
    assert "hộ chiếu" in text.lower()
    for unwanted in ("«", "»", "http", "gov.vn", "\n", "- ", "1.001456"):
        assert unwanted not in text
    assert "1 chấm 0 0 1 4 5 6" in text  # the procedure code, digit by digit
    (gather,) = answer.iter("Gather")
    assert said(gather) == text  # the answer is said inside the Gather: the caller may interrupt
    assert gather.get("action") == f"{BASE}{GATHER}?turn=2&silences=0"
    assert gather.get("language") == "vi-VN"


@pytest.mark.stack
def test_menu_key_maps_to_the_assistant_and_later_keys_to_its_options(voice_gateway):
    number, call_sid = "+84900000302", "CA0302"
    root = start_call(voice_gateway, number, call_sid)
    tracking = twiml(signed(voice_gateway, gather_action(root), call(number, call_sid, Digits="2")))
    text = said(tracking)
    assert "tra cứu" in text and "hồ sơ" in text  # /track_dossier
    assert "dichvucong" not in text
    assert "phím 1 để gặp tổng đài viên" in text  # its button, as a key
    transfer = twiml(signed(voice_gateway, gather_action(tracking), call(number, call_sid, Digits="1")))
    (enqueue,) = transfer.iter("Enqueue")  # the assistant recorded the request: the caller is transferred
    assert enqueue.text == "tong-dai-vien"
    assert "mã Y C gạch 0 0 0" in said(transfer)  # its reference, spelled out
    assert not list(transfer.iter("Gather"))


@pytest.mark.stack
def test_retried_callback_is_answered_once_and_the_same_way(voice_gateway):
    number, call_sid = "+84900000303", "CA0303"
    root = start_call(voice_gateway, number, call_sid)
    url, params = gather_action(root), call(number, call_sid, SpeechResult="lệ phí làm căn cước bao nhiêu")
    first = signed(voice_gateway, url, params)
    again = signed(voice_gateway, url, params)
    assert twiml(first) is not None and again.text == first.text
    db = voice_gateway.app.state.pipeline.db
    with db.session() as session:
        count = session.scalar(select(func.count()).where(InboxMessage.platform_message_id == f"{call_sid}:1"))
    assert count == 1


@pytest.mark.stack
def test_unclear_speech_gets_an_answer_not_an_error(voice_gateway):
    number, call_sid = "+84900000304", "CA0304"
    root = start_call(voice_gateway, number, call_sid)
    response = twiml(signed(voice_gateway, gather_action(root), call(number, call_sid, SpeechResult="ờ ừm à")))
    assert said(response) and list(response.iter("Gather"))


@pytest.mark.stack
def test_key_zero_records_the_request_before_transferring(voice_gateway):
    number, call_sid = "+84900000305", "CA0305"
    root = start_call(voice_gateway, number, call_sid)
    transfer = twiml(signed(voice_gateway, gather_action(root), call(number, call_sid, Digits="0")))
    (enqueue,) = transfer.iter("Enqueue")
    assert enqueue.text == "tong-dai-vien"
    assert "mã Y C gạch" in said(transfer)  # recorded by the assistant, reference read out
