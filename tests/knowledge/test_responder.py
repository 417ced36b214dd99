from knowledge.answers import UNVERIFIED_NOTE
from knowledge.centre import load_centre
from knowledge.responder import respond


def converse(knowledge_base, turns):
    """Run (intent, text) turns, carrying the procedure slot like the Rasa action does."""
    context, answers = None, []
    for intent, text in turns:
        answer = respond(knowledge_base, intent, text, context_procedure=context)
        context = answer.procedure_id or context
        answers.append(answer)
    return answers


def test_follow_ups_stay_on_the_same_procedure(knowledge_base):
    answers = converse(
        knowledge_base,
        [
            ("ask_documents", "làm sổ đỏ lần đầu cần giấy tờ gì"),
            ("ask_fee", "lệ phí bao nhiêu?"),
            ("ask_online_submission", "nộp online được không?"),
        ],
    )
    assert [a.procedure_id for a in answers] == ["cap-so-do-lan-dau"] * 3
    documents, fee, online = ("\n".join(a.texts) for a in answers)
    assert "hồ sơ" in documents and "Đơn đăng ký đất đai" in documents
    assert "phí" in fee
    assert "trực tuyến" in online


def test_answers_come_from_the_record(knowledge_base):
    procedure = knowledge_base.get("khai-sinh")
    answer = respond(knowledge_base, "ask_fee", "làm giấy khai sinh mất phí không")
    text = "\n".join(answer.texts)
    assert procedure.ma_thu_tuc in text
    for row in procedure.cach_thuc:
        assert row.phi_le_phi in text
    assert procedure.can_cu_phap_ly[0] in text


def test_unconfirmed_fee_carries_the_caveat(knowledge_base):
    flagged = next(p for p in knowledge_base.procedures if p.has_unverified_figures)
    answer = respond(knowledge_base, "ask_fee", "", entity_procedure=flagged.id)
    assert UNVERIFIED_NOTE in "\n".join(answer.texts)


def test_a_new_procedure_replaces_the_context(knowledge_base):
    answer = respond(knowledge_base, "ask_fee", "còn làm hộ chiếu thì hết bao nhiêu", context_procedure="khai-sinh")
    assert answer.procedure_id == "ho-chieu"


def test_something_outside_the_catalogue_is_declined_even_in_context(knowledge_base):
    answer = respond(knowledge_base, "ask_fee", "thế còn giấy phép karaoke thì sao", context_procedure="khai-sinh")
    assert answer.procedure_id is None
    assert "chưa có thông tin" in answer.texts[0]
    assert any(button.payload == "/request_human" for button in answer.buttons)


def test_no_procedure_anywhere_asks_which_one(knowledge_base):
    answer = respond(knowledge_base, "ask_fee", "hết bao nhiêu tiền vậy")
    assert answer.procedure_id is None
    assert "thủ tục nào" in answer.texts[0]


def test_ambiguous_question_offers_candidates(knowledge_base):
    answer = respond(knowledge_base, "ask_documents", "làm căn cước cần gì")
    if answer.procedure_id is None:  # ambiguous: buttons carry the intent and each candidate
        assert len(answer.buttons) >= 2
        assert all(button.payload.startswith("/ask_documents{") for button in answer.buttons)
    else:
        assert answer.procedure_id in {"cap-can-cuoc", "cap-doi-cap-lai-can-cuoc"}


def test_brief_answers_for_sms_and_voice_are_shorter(knowledge_base):
    full = respond(knowledge_base, "ask_documents", "", entity_procedure="cap-so-do-lan-dau")
    brief = respond(knowledge_base, "ask_documents", "", entity_procedure="cap-so-do-lan-dau", brief=True)
    assert len("".join(brief.texts)) < len("".join(full.texts))
    assert not brief.buttons


def test_every_intent_answers_every_procedure(knowledge_base):
    intents = [
        "ask_procedure", "ask_documents", "ask_fee", "ask_processing_time", "ask_where",
        "ask_online_submission", "ask_result_delivery", "ask_payment", "start_submission",
    ]  # fmt: skip
    for procedure in knowledge_base.procedures:
        for intent in intents:
            answer = respond(knowledge_base, intent, "", entity_procedure=procedure.id)
            assert answer.procedure_id == procedure.id
            assert all(0 < len(part) <= 1200 for part in answer.texts), (procedure.id, intent)


def test_a_menu_button_without_a_procedure_asks_which_one(knowledge_base):
    answer = respond(knowledge_base, "ask_procedure", "/ask_procedure")
    assert answer.procedure_id is None
    assert "thủ tục nào" in answer.texts[0]


def test_a_button_with_a_procedure_answers_it(knowledge_base):
    answer = respond(knowledge_base, "ask_fee", '/ask_fee{"procedure": "ho-chieu"}', entity_procedure="ho-chieu")
    assert answer.procedure_id == "ho-chieu"


def test_help_to_submit_online_comes_from_the_centre_record_and_is_left_out_of_brief_replies(knowledge_base):
    help_line = load_centre().ho_tro_nop_truc_tuyen
    assert help_line
    full = respond(knowledge_base, "ask_online_submission", "làm lý lịch tư pháp online được không")
    brief = respond(knowledge_base, "ask_online_submission", "làm lý lịch tư pháp online được không", brief=True)
    assert help_line in "\n".join(full.texts)
    assert help_line not in "\n".join(brief.texts)
