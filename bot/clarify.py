"""Clarification when the assistant is unsure what the citizen meant.

The first stage of the two-stage fallback: instead of guessing, offer the most likely
meanings as buttons, in words a citizen recognises, plus "none of these".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# How each intent is offered on a button. Intents a citizen would never pick from a list
# (greetings, yes/no, giving a value) are not offered.
INTENT_LABELS: dict[str, str] = {
    "ask_procedure": "Hỏi cách làm thủ tục",
    "ask_documents": "Hỏi giấy tờ cần chuẩn bị",
    "ask_fee": "Hỏi lệ phí",
    "ask_processing_time": "Hỏi thời gian giải quyết",
    "ask_where": "Hỏi nơi nộp hồ sơ",
    "ask_online_submission": "Nộp hồ sơ trực tuyến",
    "start_submission": "Bắt đầu làm hồ sơ",
    "track_dossier": "Tra cứu hồ sơ đã nộp",
    "ask_result_delivery": "Cách nhận kết quả",
    "ask_payment": "Cách thanh toán phí",
    "book_appointment": "Đặt lịch hẹn",
    "cancel_appointment": "Hủy hoặc đổi lịch hẹn",
    "find_agent": "Tìm điểm hỗ trợ gần nhất",
    "ask_account": "Tài khoản dịch vụ công, VNeID",
    "ask_opening_hours": "Giờ làm việc",
    "request_human": "Gặp tổng đài viên",
    "complain": "Gửi phản ánh",
    "bot_challenge": "Hỏi về trợ lý tự động",
}
DEFAULT_CHOICES = ("ask_procedure", "track_dossier", "request_human")
NONE_OF_THESE = {"title": "Không phải các ý trên", "payload": "/out_of_scope"}
CARRIED_ENTITIES = ("procedure", "location", "date", "time", "dossier_code")


def _payload(intent: str, entities: Mapping[str, str]) -> str:
    return f"/{intent}{json.dumps(dict(entities), ensure_ascii=False)}" if entities else f"/{intent}"


def clarification_buttons(
    intent_ranking: Sequence[Mapping[str, Any]], entities: Sequence[Mapping[str, Any]], limit: int = 3
) -> list[dict[str, str]]:
    """Buttons for the likeliest offerable intents, keeping the entities already understood.

    A citizen who wrote "lệ phí hộ chiếu" unclearly and taps "Hỏi lệ phí" should not have
    to name the passport again, so the procedure (and other entities) ride in the payload.
    """
    carried = {e["entity"]: str(e["value"]) for e in entities if e.get("entity") in CARRIED_ENTITIES}
    likely = [c.get("name") for c in intent_ranking if c.get("name") in INTENT_LABELS][:limit]
    # Nothing offerable (odd input, or no ranking at all): offer what most citizens come for.
    intents = likely or list(DEFAULT_CHOICES)
    buttons = [{"title": INTENT_LABELS[intent], "payload": _payload(intent, carried)} for intent in intents]
    return [*buttons, NONE_OF_THESE]
