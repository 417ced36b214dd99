"""SMS over Twilio: segment arithmetic, compact rendering, signed webhooks, REST delivery."""

from __future__ import annotations

import asyncio
import base64
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from bot.messages import BotReply, Button
from bot.outbox import PermanentDeliveryError, TransientDeliveryError
from bot.rendering import as_plain_text
from bot.settings import Settings
from bot.stack import free_port
from bot.storage.models import InboxMessage
from channels import sms
from channels.sms import GSM7, UCS2, compose, is_gsm7, measure, strip_diacritics, to_gsm7, truncate_to_segments
from tests.channels.twilio_account import BASE, NUMBER, SID, TOKEN, twilio_settings, twilio_signature
from tests.fakes.platform_server import FakePlatform, Scripted

PATH = "/channels/sms/twilio"


def signature(params: dict[str, str], path: str = PATH, token: str = TOKEN) -> str:
    return twilio_signature(BASE + path, params, token)


def post_sms(client, params: dict[str, str], headers: dict[str, str] | None = None):
    headers = {"X-Twilio-Signature": signature(params)} if headers is None else headers
    return client.post(PATH, data=params, headers=headers)


def inbound(sender: str, body: str, sid: str) -> dict[str, str]:
    return {"From": sender, "To": NUMBER, "Body": body, "MessageSid": sid, "AccountSid": SID, "NumMedia": "0"}


def messages(response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return [element.text or "" for element in root.iter("Message")]


# ---------------------------------------------------------------- segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", GSM7, 0, 0),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("€" * 80, GSM7, 160, 1),  # extension characters take two septets
        ("€" * 81, GSM7, 162, 2),
        ("a" * 152 + "€" + "a" * 10, GSM7, 164, 2),  # the escape pair is not split across parts
        ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),
        ("Đăng ký", UCS2, 7, 1),
        ("ă" * 70, UCS2, 70, 1),
        ("ă" * 71, UCS2, 71, 2),
        ("ă" * 134, UCS2, 134, 2),
        ("ă" * 135, UCS2, 135, 3),
        ("ă" * 66 + "😀", UCS2, 68, 1),  # a surrogate pair counts two units
        ("ă" * 66 + "😀" + "ă" * 5, UCS2, 73, 2),  # ...and is not split: part 1 holds 66
        ("ă" * 66 + "😀" + "ă" * 66, UCS2, 134, 3),  # 134 units would fit two parts, but the pair moves on
    ],
)
def test_measure_counts_segments_as_the_network_bills_them(text, encoding, units, segments):
    length = measure(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_strip_diacritics_keeps_case_and_maps_d_bar():
    assert strip_diacritics("Đăng ký hộ chiếu ĐÃ XONG, đường Nguyễn Trãi") == (
        "Dang ky ho chieu DA XONG, duong Nguyen Trai"
    )


def test_to_gsm7_gives_plain_gsm_text():
    text = to_gsm7("Dạ, thủ tục «Cấp hộ chiếu» – lệ phí “200.000 đồng”… 😀 **quan trọng**\n\n  - Bước 1")
    assert text == 'Da, thu tuc "Cap ho chieu" - le phi "200.000 dong"... quan trong\n- Buoc 1'
    assert is_gsm7(text)


def test_truncate_to_segments_cuts_at_a_word_and_respects_the_cap():
    text = "một hai ba " * 100
    cut = truncate_to_segments(strip_diacritics(text), 2, "...")
    assert cut is not None
    assert cut.endswith("...") and measure(cut).segments == 2
    assert cut[:-3].split()[-1] in {"mot", "hai", "ba"}  # whole words only
    assert truncate_to_segments("abc", 1, "x" * 200) is None  # the suffix alone does not fit


# ---------------------------------------------------------------- rendering

PASSPORT = (
    "Dạ, hồ sơ thủ tục «Cấp hộ chiếu phổ thông ở trong nước» (mã 1.001456) gồm:\n"
    "1. Tờ khai đề nghị cấp hộ chiếu phổ thông ở trong nước\n2. Ảnh chân dung cỡ 4cm x 6cm\n"
    "(và 5 giấy tờ khác tùy trường hợp)"
)
MENU = (
    Button("Hỏi thủ tục", "/ask_procedure"),
    Button("Tra cứu hồ sơ", "/track_dossier"),
    Button("Gặp tổng đài viên", "/request_human"),
)


def test_compose_short_turn_is_the_plain_text_without_diacritics():
    replies = [BotReply("Dạ, em chào anh/chị.", buttons=MENU[:2]), BotReply("Anh/chị cần gì ạ?", buttons=MENU[2:])]
    text = compose(replies, strip=True, max_segments=4)
    assert text == to_gsm7("\n".join(as_plain_text(replies)))
    assert text.splitlines()[1:3] == ["1. Hoi thu tuc", "2. Tra cuu ho so"]
    assert "3. Gap tong dai vien" in text  # numbering runs across the turn, as the pipeline stores it
    assert measure(text).encoding == GSM7


def test_compose_long_turn_keeps_options_and_stays_within_the_cap():
    replies = [BotReply(PASSPORT * 4, buttons=MENU)]
    for cap in (1, 2, 3):
        text = compose(replies, strip=True, max_segments=cap)
        assert measure(text).segments <= cap
        assert text.endswith("...\n1. Hoi thu tuc\n2. Tra cuu ho so\n3. Gap tong dai vien")
        assert "Tra loi 0" not in text  # an operator option is already offered


def test_compose_long_answer_adds_the_operator_hint_when_it_fits():
    text = compose([BotReply(PASSPORT * 4)], strip=True, max_segments=2)
    assert measure(text).segments <= 2
    assert text.startswith("Da, ho so thu tuc")
    assert text.endswith("...\nTra loi 0 de gap tong dai vien.")


def test_compose_drops_the_hint_when_it_would_leave_too_little_text():
    long_options = tuple(Button(f"Lựa chọn số {n} khá dài để chiếm chỗ", f"/x{n}") for n in range(1, 5))
    text = compose([BotReply(PASSPORT * 4, buttons=long_options)], strip=True, max_segments=1)
    assert measure(text).segments == 1
    assert "Tra loi 0" not in text


def test_compose_in_vietnamese_counts_ucs2_segments():
    text = compose([BotReply(PASSPORT * 4)], strip=False, max_segments=3)
    length = measure(text)
    assert length.encoding == UCS2 and length.segments <= 3 and length.units <= 3 * 67
    assert "hộ chiếu" in text and text.endswith("Trả lời 0 để gặp tổng đài viên.")


def test_render_one_message_per_turn(make_settings):
    adapter = sms.SmsAdapter(make_settings(sms_max_segments=2))
    bodies = adapter.render([BotReply("Một."), BotReply("Hai.", buttons=MENU[:1])])
    assert bodies == [{"text": "Mot.\nHai.\n1. Hoi thu tuc"}]
    assert adapter.render([]) == []


# ---------------------------------------------------------------- REST delivery


def deliver(settings: Settings, recipient: str = "+84912345678", text: str = "Xin chao") -> None:
    asyncio.run(sms.SmsAdapter(settings).deliver(recipient, {"text": text}))


def test_deliver_posts_to_the_messages_api_with_account_auth(make_settings, fake_platform: FakePlatform):
    fake_platform.respond("/Messages.json", Scripted(201, {"sid": "SM" + "1" * 32, "status": "queued"}))
    deliver(make_settings(**twilio_settings(twilio_api_base_url=fake_platform.url)), text="Da, ho so gom: ...")
    (call,) = fake_platform.calls("/Messages.json")
    assert call.method == "POST"
    assert call.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert call.form() == {"To": "+84912345678", "From": NUMBER, "Body": "Da, ho so gom: ..."}
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert call.headers["authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, PermanentDeliveryError),  # e.g. 21211 invalid 'To' number
        (404, PermanentDeliveryError),
        (429, TransientDeliveryError),
        (500, TransientDeliveryError),
        (503, TransientDeliveryError),
    ],
)
def test_deliver_maps_twilio_errors(make_settings, fake_platform: FakePlatform, status, error):
    fake_platform.respond(
        "/Messages.json", Scripted(status, {"code": 21211, "message": "Invalid 'To'", "status": status})
    )
    with pytest.raises(error, match=str(status)):
        deliver(make_settings(**twilio_settings(twilio_api_base_url=fake_platform.url)))


def test_deliver_network_failure_is_transient(make_settings):
    unreachable = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        deliver(make_settings(**twilio_settings(twilio_api_base_url=unreachable)))


def test_deliver_without_configuration_is_permanent(make_settings):
    with pytest.raises(PermanentDeliveryError, match="not configured"):
        deliver(make_settings())
    with pytest.raises(PermanentDeliveryError, match="sender number"):
        deliver(make_settings(**twilio_settings(twilio_phone_number="")))


# ---------------------------------------------------------------- webhook: rejected requests (no assistant needed)


@pytest.fixture
def offline_gateway(gateway):
    """The gateway with Rasa nowhere: requests that are rejected never reach it."""
    return gateway([sms.channel], rasa_url="http://127.0.0.1:9", **twilio_settings())


def test_missing_signature_is_403(offline_gateway):
    response = post_sms(offline_gateway, inbound("+84900000001", "hello", "SM-missing"), headers={})
    assert response.status_code == 403
    assert response.text == "invalid Twilio signature"


def test_forged_signature_is_403(offline_gateway):
    params = inbound("+84900000001", "hello", "SM-forged")
    forged = twilio_signature(BASE + PATH, params, "not-the-token")
    assert post_sms(offline_gateway, params, headers={"X-Twilio-Signature": forged}).status_code == 403


def test_signature_over_other_params_or_url_is_403(offline_gateway):
    params = inbound("+84900000001", "hello", "SM-tampered")
    signed = signature(params)
    tampered = {**params, "Body": "something else"}
    assert post_sms(offline_gateway, tampered, headers={"X-Twilio-Signature": signed}).status_code == 403
    internal_url = twilio_signature("http://testserver" + PATH, params)
    assert post_sms(offline_gateway, params, headers={"X-Twilio-Signature": internal_url}).status_code == 403


def test_no_auth_token_configured_is_403(gateway):
    client = gateway([sms.channel], rasa_url="http://127.0.0.1:9", public_base_url=BASE)
    response = post_sms(client, inbound("+84900000001", "hello", "SM-notoken"))
    assert response.status_code == 403
    assert "no auth token" in response.text


@pytest.mark.parametrize("missing", ["From", "Body", "MessageSid"])
def test_malformed_form_is_400(offline_gateway, missing):
    params = inbound("+84900000001", "hello", "SM-malformed")
    del params[missing]
    response = post_sms(offline_gateway, params)
    assert response.status_code == 400
    assert missing in response.text


def test_empty_sender_is_400(offline_gateway):
    assert post_sms(offline_gateway, inbound(" ", "hello", "SM-empty-from")).status_code == 400


# ---------------------------------------------------------------- webhook with the real assistant


@pytest.fixture
def sms_gateway(gateway, rasa_stack, fake_platform):
    return gateway(
        [sms.channel], rasa_url=rasa_stack.rasa_url, **twilio_settings(twilio_api_base_url=fake_platform.url)
    )


@pytest.mark.stack
def test_question_is_answered_in_twiml_without_diacritics_within_the_cap(sms_gateway):
    response = post_sms(sms_gateway, inbound("+84900000101", "lam ho chieu can giay to gi", "SM0101"))
    (text,) = messages(response)
    assert "ho chieu" in text.lower()
    assert "To khai" in text or "giay to" in text.lower()
    assert is_gsm7(text) and strip_diacritics(text) == text
    assert measure(text).segments <= Settings(_env_file=None).sms_max_segments


@pytest.mark.stack
def test_vietnamese_sms_keeps_diacritics_within_the_cap(gateway, rasa_stack):
    client = gateway([sms.channel], rasa_url=rasa_stack.rasa_url, **twilio_settings(sms_strip_diacritics=False))
    (text,) = messages(post_sms(client, inbound("+84900000102", "làm hộ chiếu cần giấy tờ gì", "SM0102")))
    assert "hộ chiếu" in text
    assert measure(text).encoding == UCS2 and measure(text).segments <= 4


@pytest.mark.stack
def test_numbered_reply_maps_to_the_offered_button(sms_gateway):
    sender = "+84900000103"
    (greeting,) = messages(post_sms(sms_gateway, inbound(sender, "xin chao", "SM0103a")))
    assert "1. Hoi thu tuc" in greeting and "2. Tra cuu ho so" in greeting
    (answer,) = messages(post_sms(sms_gateway, inbound(sender, "2", "SM0103b")))
    assert "tra cuu" in answer.lower() and "ho so" in answer.lower()  # /track_dossier
    assert "dichvucong.gov.vn" in answer  # links stay in SMS


@pytest.mark.stack
def test_operator_key_records_a_request(sms_gateway):
    (answer,) = messages(post_sms(sms_gateway, inbound("+84900000104", "0", "SM0104")))
    assert "yeu cau gap tong dai vien" in answer.lower()
    assert re.search(r"\bYC-\d{6}\b", answer)  # the request's reference


@pytest.mark.stack
def test_duplicate_message_sid_is_answered_once(sms_gateway):
    params = inbound("+84900000105", "le phi lam ho chieu bao nhieu", "SM0105")
    first = messages(post_sms(sms_gateway, params))
    second = post_sms(sms_gateway, params)
    assert first and first[0]
    assert messages(second) == []
    assert ET.fromstring(second.text).tag == "Response" and len(ET.fromstring(second.text)) == 0
    db = sms_gateway.app.state.pipeline.db
    with db.session() as session:
        count = session.scalar(select(func.count()).where(InboxMessage.platform_message_id == "SM0105"))
    assert count == 1


@pytest.mark.stack
def test_empty_and_media_messages_get_a_polite_answer(sms_gateway):
    (empty,) = messages(post_sms(sms_gateway, inbound("+84900000106", "   ", "SM0106a")))
    assert "chua nhan duoc noi dung" in empty.lower()
    media = {**inbound("+84900000106", "", "SM0106b"), "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/m/1"}
    (answer,) = messages(post_sms(sms_gateway, media))
    assert "chi doc duoc tin nhan chu" in answer.lower()


@pytest.mark.stack
def test_an_answer_past_the_webhook_deadline_is_sent_through_the_rest_api(gateway, rasa_stack, fake_platform):
    """Twilio stops waiting after 15 s: a slow answer must still reach the citizen, once."""
    fake_platform.respond("/Messages.json", Scripted(201, {"sid": "SM" + "2" * 32, "status": "queued"}))
    settings = twilio_settings(twilio_api_base_url=fake_platform.url, twilio_reply_deadline_seconds=0.001)
    client = gateway([sms.channel], rasa_url=rasa_stack.rasa_url, **settings)
    assert messages(post_sms(client, inbound("+84900000105", "lam ho chieu can giay to gi", "SM0105"))) == []
    (call,) = fake_platform.wait_for("/Messages.json")
    assert call.form()["To"] == "+84900000105" and "ho chieu" in call.form()["Body"].lower()
