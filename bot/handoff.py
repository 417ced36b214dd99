"""Recording a citizen's request for a human operator, and telling them what happens next.

The request is stored before the citizen gets an answer, so the assistant never promises
a call-back that is not on file. Routing a live conversation to an operator comes with
the operator console; until an operator picks the request up, it waits in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation_ids import ANSWER_ONLY_CHANNELS, channel_of
from bot.storage.db import Database
from bot.storage.models import HandoffRequest

REQUEST_HUMAN = "request_human"
COMPLAINT = "complain"


@dataclass(frozen=True)
class HandoffReceipt:
    request_id: int
    reason: str
    channel: str

    @property
    def reference(self) -> str:
        """Short reference the citizen can quote: YC- for requests, PA- for complaints (phản ánh)."""
        prefix = "PA" if self.reason == COMPLAINT else "YC"
        return f"{prefix}-{self.request_id:06d}"


def record_handoff(db: Database, conversation_id: str, reason: str, citizen_message: str) -> HandoffReceipt:
    """Store the request in the operators' queue and return its reference."""
    if reason not in (REQUEST_HUMAN, COMPLAINT):
        raise ValueError(f"unknown handoff reason: {reason}")
    with db.session() as session:
        request = HandoffRequest(
            conversation_id=conversation_id,
            channel=channel_of(conversation_id),
            reason=reason,
            citizen_message=citizen_message[:4000],
        )
        session.add(request)
        session.flush()
        return HandoffReceipt(request_id=request.id, reason=reason, channel=request.channel)


def handoff_reply(receipt: HandoffReceipt, hotline_number: str = "") -> str:
    """What the citizen is told: the reference, that the request waits for an operator, and how to follow up.

    Nothing reaches a web chat visitor later, so there the reply promises no answer "on
    this channel" and says how to follow up with the reference instead.
    """
    if receipt.reason == COMPLAINT:
        recorded = (
            f"Dạ, em rất tiếc về việc anh/chị gặp phải. Em đã ghi nhận phản ánh (mã {receipt.reference}) "
            "và chuyển vào hàng chờ của tổng đài viên."
        )
        details = " Anh/chị có thể nhắn thêm thời gian, địa điểm và nội dung cụ thể để việc xử lý nhanh hơn ạ."
    else:
        recorded = f"Dạ, em đã ghi nhận yêu cầu gặp tổng đài viên (mã {receipt.reference}) và chuyển vào hàng chờ."
        details = ""
    if receipt.channel in ANSWER_ONLY_CHANNELS:
        hotline = f"tổng đài {hotline_number}" if hotline_number else "tổng đài của Trung tâm"
        return (
            f"{recorded} Trên trang web này tổng đài viên chưa nhắn lại được cho anh/chị, anh/chị vui lòng "
            f"liên hệ {hotline} và đọc mã trên để được hỗ trợ ạ."
        )
    urgent = f" Nếu cần gấp, anh/chị gọi tổng đài {hotline_number}." if hotline_number else ""
    return f"{recorded} Tổng đài viên sẽ phản hồi anh/chị qua kênh này ngay khi tiếp nhận ạ.{details}{urgent}"
