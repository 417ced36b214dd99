"""Web chat through the gateway, in Rasa's REST format, answered by the real assistant."""

from __future__ import annotations

import pytest

from channels import webchat

pytestmark = pytest.mark.stack


@pytest.fixture
def client(gateway, rasa_stack):
    return gateway([webchat.channel], rasa_url=rasa_stack.rasa_url)


def say(client, sender, message):
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert response.status_code == 200, response.text
    return response.json()


def test_greeting_in_vietnamese(client):
    replies = say(client, "w1", "xin chào")
    assert replies[0]["recipient_id"] == "w1"
    assert replies[0]["text"].startswith("Dạ")
    assert any(button["payload"] == "/request_human" for button in replies[0]["buttons"])


def test_three_questions_about_the_same_procedure(client):
    documents = " ".join(r["text"] for r in say(client, "w2", "làm sổ đỏ lần đầu cần giấy tờ gì"))
    fee = " ".join(r["text"] for r in say(client, "w2", "lệ phí bao nhiêu?"))
    online = " ".join(r["text"] for r in say(client, "w2", "nộp online được không?"))
    for text in (documents, fee, online):
        assert "sổ đỏ" in text.lower() or "Giấy chứng nhận" in text
    assert "Đơn đăng ký đất đai" in documents
    assert "phí" in fee
    assert "trực tuyến" in online


def test_handoff_is_recorded_and_explained(client):
    text = " ".join(r["text"] for r in say(client, "w3", "cho tôi gặp tổng đài viên"))
    assert "YC-" in text and "hàng chờ" in text
    assert "qua kênh này" not in text  # nothing can reach a web visitor later


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "x" * 10_000,
        "🙂🙂🙂",
        "Привет مرحبا 你好 xin chào",
        "hồ sơ\x00\x07 của\u200b tôi",
        "ddaay laf gif aa",
    ],
)
def test_bad_input_gets_a_sensible_vietnamese_reply(client, message):
    replies = say(client, "w4", message)
    assert replies, "every message gets an answer"
    assert all(reply["text"].startswith("Dạ") for reply in replies)


def test_malformed_requests_are_refused_with_a_reason(client):
    assert client.post("/webhooks/rest/webhook", json={"message": "hi"}).status_code == 400
    assert client.post("/webhooks/rest/webhook", json={"sender": "", "message": "hi"}).status_code == 400
    assert client.post("/webhooks/rest/webhook", content=b"{not json").status_code == 400
    response = client.post("/webhooks/rest/webhook", json={"sender": 12, "message": ["a"]})
    assert response.status_code == 400 and "Invalid request" in response.json()["detail"]


def test_oversized_body_is_refused(client):
    response = client.post("/webhooks/rest/webhook", content=b"x" * 2_000_000)
    assert response.status_code == 413


def test_redelivered_message_id_is_answered_once(client):
    body = {"sender": "w5", "message": "mấy giờ mở cửa", "metadata": {"message_id": "m-1"}}
    first = client.post("/webhooks/rest/webhook", json=body).json()
    second = client.post("/webhooks/rest/webhook", json=body).json()
    assert first and second == []
    other_visitor = client.post("/webhooks/rest/webhook", json={**body, "sender": "w5-other-tab"}).json()
    assert other_visitor, "another visitor's message with the same client id is not a duplicate"


def test_chat_page_is_served(client):
    page = client.get("/chat")
    assert page.status_code == 200 and "/webhooks/rest/webhook" in page.text


def test_two_stage_fallback_ends_with_an_offer_of_a_person(client):
    """Unclear twice: likely meanings as buttons, then a rephrase request, then a human operator."""
    clarify = say(client, "w6", "/nlu_fallback")
    assert clarify[0]["text"].startswith("Dạ, em chưa chắc")
    assert clarify[0]["buttons"][-1]["payload"] == "/out_of_scope"  # "none of these"
    rephrase = say(client, "w6", "/out_of_scope")
    assert "nói lại" in rephrase[0]["text"]
    again = say(client, "w6", "/nlu_fallback")
    assert again[0]["text"].startswith("Dạ, em chưa chắc")
    offer = say(client, "w6", "/out_of_scope")
    assert "gặp tổng đài viên" in offer[-1]["text"]
    accepted = say(client, "w6", "có")
    assert "YC-" in accepted[0]["text"]


def test_a_clarification_button_carries_on_with_the_chosen_meaning(client):
    clarify = say(client, "w7", "/nlu_fallback")
    chosen = next(button for button in clarify[0]["buttons"] if button["payload"] != "/out_of_scope")
    replies = say(client, "w7", chosen["payload"])
    assert replies and replies[0]["text"].startswith("Dạ")
