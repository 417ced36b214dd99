from bot.handoff import COMPLAINT, REQUEST_HUMAN, handoff_reply, record_handoff
from bot.storage.db import Database
from bot.storage.models import HandoffRequest


def test_request_is_stored_before_the_reply(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    receipt = record_handoff(db, "telegram:42", REQUEST_HUMAN, "cho tôi gặp nhân viên")
    with db.session() as session:
        stored = session.get(HandoffRequest, receipt.request_id)
        assert (stored.channel, stored.reason, stored.status) == ("telegram", REQUEST_HUMAN, "open")
    reply = handoff_reply(receipt)
    assert receipt.reference in reply and receipt.reference.startswith("YC-")
    assert "hàng chờ" in reply


def test_complaint_gets_its_own_reference_and_hotline(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    receipt = record_handoff(db, "zalo:plain-sender", COMPLAINT, "cán bộ gây khó dễ")
    assert receipt.reference.startswith("PA-")
    reply = handoff_reply(receipt, hotline_number="1900 1234")
    assert "phản ánh" in reply and "1900 1234" in reply


def test_web_chat_is_not_promised_an_answer_it_cannot_receive(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    for conversation in ("web:visitor-1", "plain-rest-sender"):
        receipt = record_handoff(db, conversation, REQUEST_HUMAN, "gặp nhân viên")
        reply = handoff_reply(receipt, hotline_number="1900 1234")
        assert "qua kênh này" not in reply
        assert receipt.reference in reply and "1900 1234" in reply
    on_telegram = handoff_reply(record_handoff(db, "telegram:7", REQUEST_HUMAN, "gặp nhân viên"))
    assert "qua kênh này" in on_telegram


def test_database_migrations_are_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    Database(url)
    Database(url)
