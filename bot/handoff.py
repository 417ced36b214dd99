"""Recording a citizen's request for a human operator, and telling them what happens next.

The request is stored before the citizen gets an answer, so the assistant never promises
a call-back that is not on file. Routing a live conversation to an operator comes with
the operator console; until an operator picks the request up, it waits in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation_ids import channel_of
from bot.storage.db import Database
from bot.storage.models import HandoffRequest

REQUEST_HUMAN = "request_human"
COMPLAINT = "complain"


@dataclass(frozen=True)
class HandoffReceipt:
    request_id: int
    reason: str

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
        return HandoffReceipt(request_id=request.id, reason=reason)


def handoff_reply(receipt: HandoffReceipt, hotline_number: str = "") -> str:
    """What the citizen is told: the reference, that the request waits for an operator, and how to follow up."""
    urgent = f" Nếu cần gấp, anh/chị gọi tổng đài {hotline_number}." if hotline_number else ""
    if receipt.reason == COMPLAINT:
        return (
            f"Dạ, em rất tiếc về việc anh/chị gặp phải. Em đã ghi nhận phản ánh (mã {receipt.reference}) "
            "và chuyển vào hàng chờ của tổng đài viên; tổng đài viên sẽ phản hồi anh/chị qua kênh này. "
            "Anh/chị có thể nhắn thêm thời gian, địa điểm và nội dung cụ thể để việc xử lý nhanh hơn ạ." + urgent
        )
    return (
        f"Dạ, em đã ghi nhận yêu cầu gặp tổng đài viên (mã {receipt.reference}) và chuyển vào hàng chờ. "
        "Tổng đài viên sẽ phản hồi anh/chị qua kênh này ngay khi tiếp nhận ạ." + urgent
    )
