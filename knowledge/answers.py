"""Grounded answers about a procedure, assembled only from its record.

Every sentence with a fact comes from a field of the record: nothing is paraphrased into
a figure the record does not hold. Each answer names the procedure, cites its code and
legal basis, repeats the record's caveat when a figure is unconfirmed, and is split into
short parts. `brief` answers (SMS, voice) keep the facts and drop the extras.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.messages import Button
from knowledge.centre import load_centre
from knowledge.schema import DossierDocument, Procedure, SubmissionChannel
from knowledge.search import SearchResult

ASK_PROCEDURE = "ask_procedure"
ASK_DOCUMENTS = "ask_documents"
ASK_FEE = "ask_fee"
ASK_PROCESSING_TIME = "ask_processing_time"
ASK_WHERE = "ask_where"
ASK_ONLINE = "ask_online_submission"
ASK_RESULT = "ask_result_delivery"
ASK_PAYMENT = "ask_payment"
START_SUBMISSION = "start_submission"
KNOWLEDGE_INTENTS = (
    ASK_PROCEDURE, ASK_DOCUMENTS, ASK_FEE, ASK_PROCESSING_TIME, ASK_WHERE, ASK_ONLINE, ASK_RESULT, ASK_PAYMENT,
    START_SUBMISSION,
)  # fmt: skip

UNVERIFIED_NOTE = (
    "Lưu ý: thông tin về thời hạn, phí này chưa được xác minh với quy định mới nhất; anh/chị vui lòng "
    "kiểm tra lại tại nơi nộp hồ sơ hoặc hỏi tổng đài viên."
)
MAX_PART_CHARS = 700
LONG_NAME_CHARS = 80


@dataclass(frozen=True)
class Answer:
    """What the assistant says: text parts, optional buttons, and the procedure now in context."""

    texts: list[str]
    buttons: list[Button] = field(default_factory=list)
    procedure_id: str | None = None


def intent_payload(intent: str, procedure_id: str) -> str:
    """A Rasa button payload that re-asks `intent` about a given procedure."""
    return f"/{intent}{json.dumps({'procedure': procedure_id}, ensure_ascii=False)}"


# ------------------------------------------------------------------ pieces


def display_name(procedure: Procedure) -> str:
    """The official name, or for names too long to read in a chat, its first colloquial alias."""
    if len(procedure.ten) > LONG_NAME_CHARS and procedure.aliases:
        alias = procedure.aliases[0]
        return alias[:1].upper() + alias[1:]
    return procedure.ten


def title(procedure: Procedure) -> str:
    code = f" (mã {procedure.ma_thu_tuc})" if procedure.ma_thu_tuc else ""
    return f"thủ tục «{display_name(procedure)}»{code}"


def citation(procedure: Procedure) -> str:
    """The legal basis, short: the first text, how many more; the full name if it was shortened."""
    bases = procedure.can_cu_phap_ly
    more = f" và {len(bases) - 1} văn bản khác" if len(bases) > 1 else ""
    line = f"Căn cứ: {bases[0]}{more}."
    if display_name(procedure) != procedure.ten:
        line = f"Tên thủ tục: {procedure.ten}. {line}"
    return line


def _document_line(number: int, document: DossierDocument) -> str:
    quantity = f"{document.so_luong} " if document.so_luong > 1 else ""
    line = f"{number}. {document.ten} ({quantity}{document.loai.label})"
    if document.mau_don and document.mau_don != document.ten:
        line += f" - mẫu: {document.mau_don}"
    if document.ghi_chu:
        line += f". {document.ghi_chu}"
    return line


def _channel_lines(channels: Sequence[SubmissionChannel], attribute: str) -> list[str]:
    return [f"- {row.hinh_thuc.label}: {getattr(row, attribute)}" for row in channels]


def _has_unverified(channels: Sequence[SubmissionChannel]) -> bool:
    return any(row.can_xac_minh for row in channels)


def split_parts(lines: Sequence[str], limit: int = MAX_PART_CHARS) -> list[str]:
    """Group lines into messages of at most `limit` characters, never splitting a line."""
    parts: list[str] = []
    current: list[str] = []
    for line in lines:
        if current and len("\n".join([*current, line])) > limit:
            parts.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        parts.append("\n".join(current))
    return parts


def follow_up_buttons(procedure: Procedure, asked: str) -> list[Button]:
    """Next questions a citizen usually has, about the same procedure."""
    options = [
        (ASK_DOCUMENTS, "Giấy tờ cần chuẩn bị"),
        (ASK_FEE, "Lệ phí"),
        (ASK_PROCESSING_TIME, "Thời gian giải quyết"),
        (ASK_ONLINE, "Nộp trực tuyến"),
        (ASK_WHERE, "Nộp ở đâu"),
    ]
    return [Button(label, intent_payload(intent, procedure.id)) for intent, label in options if intent != asked][:4]


# ------------------------------------------------------------------ per intent


def _overview(procedure: Procedure, brief: bool) -> list[str]:
    steps = procedure.trinh_tu[:2] if brief else procedure.trinh_tu
    lines = [f"Dạ, {title(procedure)} thực hiện như sau:"]
    lines += [f"{number}. {step}" for number, step in enumerate(steps, start=1)]
    lines.append("Cách nộp: " + ", ".join(row.hinh_thuc.label.lower() for row in procedure.cach_thuc) + ".")
    return lines


def _documents(procedure: Procedure, brief: bool) -> list[str]:
    required = [doc for doc in procedure.thanh_phan_ho_so if doc.bat_buoc]
    optional = [doc for doc in procedure.thanh_phan_ho_so if not doc.bat_buoc]
    lines = [f"Dạ, hồ sơ {title(procedure)} gồm:"]
    if brief:
        lines += [f"{n}. {doc.ten}" for n, doc in enumerate(required, start=1)]
        if optional:
            lines.append(f"(và {len(optional)} giấy tờ khác tùy trường hợp)")
        return lines
    lines += [_document_line(n, doc) for n, doc in enumerate(required, start=1)]
    if optional:
        lines.append("Tùy trường hợp, thêm:")
        lines += [_document_line(n, doc) for n, doc in enumerate(optional, start=len(required) + 1)]
    return lines


def _per_channel(procedure: Procedure, heading: str, attribute: str) -> list[str]:
    """One line per way of submitting, with the caveat when a figure is unconfirmed."""
    lines = [f"Dạ, {heading} {title(procedure)}:"]
    lines += _channel_lines(procedure.cach_thuc, attribute)
    if _has_unverified(procedure.cach_thuc):
        lines.append(UNVERIFIED_NOTE)
    return lines


def _fee(procedure: Procedure, brief: bool) -> list[str]:
    return _per_channel(procedure, "phí, lệ phí", "phi_le_phi")


def _processing_time(procedure: Procedure, brief: bool) -> list[str]:
    return _per_channel(procedure, "thời hạn giải quyết", "thoi_han")


def _where(procedure: Procedure, brief: bool) -> list[str]:
    lines = [f"Dạ, {title(procedure)} do cơ quan sau giải quyết:"]
    lines += [f"- {agency}" for agency in procedure.co_quan_thuc_hien]
    in_person = [row for row in procedure.cach_thuc if not row.hinh_thuc.is_online]
    lines += [f"{row.hinh_thuc.label}: {row.mo_ta}" for row in in_person[: 1 if brief else None]]
    return lines


def _online(procedure: Procedure, brief: bool) -> list[str]:
    online = procedure.online_channels
    if not online:
        others = ", ".join(row.hinh_thuc.label.lower() for row in procedure.cach_thuc)
        return [
            f"Dạ, {title(procedure)} hiện chưa nộp trực tuyến được; anh/chị có thể: {others}.",
        ]
    lines = [f"Dạ, {title(procedure)} có thể nộp trực tuyến:"]
    lines += [f"- {row.hinh_thuc.label}: {row.mo_ta}" for row in online]
    help_to_submit = load_centre().ho_tro_nop_truc_tuyen
    if help_to_submit and not brief:
        lines.append(help_to_submit)
    return lines


def _result(procedure: Procedure, brief: bool) -> list[str]:
    lines = [f"Dạ, kết quả {title(procedure)}: " + "; ".join(procedure.ket_qua)]
    if procedure.nhan_ket_qua:
        lines.append("Cách nhận kết quả:")
        lines += [f"- {way}" for way in procedure.nhan_ket_qua]
    else:  # the record does not say: point to who knows rather than guess
        lines.append("Hồ sơ thủ tục chưa ghi cách nhận kết quả; anh/chị vui lòng hỏi nơi nộp hồ sơ ạ.")
    return lines


def _payment(procedure: Procedure, brief: bool) -> list[str]:
    centre = load_centre()
    lines = _fee(procedure, brief)
    lines.append("Cách thanh toán:")
    lines += [f"- {way}" for way in centre.thanh_toan[: 2 if brief else None]]
    if centre.ghi_chu_thanh_toan and not brief:
        lines.append(centre.ghi_chu_thanh_toan)
    return lines


def _start(procedure: Procedure, brief: bool) -> list[str]:
    lines = _documents(procedure, brief)
    lines.append("Anh/chị có thể nộp theo các cách:")
    lines += [f"- {row.hinh_thuc.label}: {row.mo_ta}" for row in procedure.cach_thuc]
    return lines


_COMPOSERS = {
    ASK_PROCEDURE: _overview,
    ASK_DOCUMENTS: _documents,
    ASK_FEE: _fee,
    ASK_PROCESSING_TIME: _processing_time,
    ASK_WHERE: _where,
    ASK_ONLINE: _online,
    ASK_RESULT: _result,
    ASK_PAYMENT: _payment,
    START_SUBMISSION: _start,
}


def answer_for(procedure: Procedure, intent: str, brief: bool = False) -> Answer:
    """The answer to `intent` about `procedure`, grounded in its record."""
    compose = _COMPOSERS.get(intent, _overview)
    lines = compose(procedure, brief)
    if not brief:
        lines.append(citation(procedure))
    buttons = [] if brief else follow_up_buttons(procedure, intent)
    return Answer(texts=split_parts(lines), buttons=buttons, procedure_id=procedure.id)


def clarification(result: SearchResult, intent: str, names: dict[str, str]) -> Answer:
    """Two or more procedures match equally well: ask which one, with a button each."""
    buttons = [Button(names.get(hit.id, hit.name)[:60], intent_payload(intent, hit.id)) for hit in result.results[:3]]
    return Answer(texts=["Dạ, anh/chị muốn hỏi về thủ tục nào ạ?"], buttons=buttons)


def not_found(uncovered_name: str | None = None) -> Answer:
    """Nothing in the catalogue matches: say so, offer a person or a rephrase; never guess."""
    subject = f"thủ tục «{uncovered_name}»" if uncovered_name else "thủ tục này"
    return Answer(
        texts=[
            f"Dạ, em chưa có thông tin về {subject} trong dữ liệu của tổng đài nên không dám trả lời sai. "
            "Anh/chị có thể nói rõ tên thủ tục, hoặc gặp tổng đài viên để được hỗ trợ ạ."
        ],
        buttons=[Button("Gặp tổng đài viên", "/request_human")],
    )


def which_procedure() -> Answer:
    """The citizen asked about a detail but no procedure is named or in context."""
    return Answer(
        texts=[
            "Dạ, anh/chị đang hỏi về thủ tục nào ạ? Ví dụ: đăng ký khai sinh, làm hộ chiếu, "
            "đăng ký tạm trú, đổi giấy phép lái xe."
        ]
    )
