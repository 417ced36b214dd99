from bot.clarify import NONE_OF_THESE, clarification_buttons


def test_likely_meanings_come_first_and_keep_the_entities():
    ranking = [{"name": "nlu_fallback"}, {"name": "ask_fee"}, {"name": "greet"}, {"name": "ask_documents"}]
    entities = [{"entity": "procedure", "value": "ho-chieu"}, {"entity": "phone", "value": "0912345678"}]
    buttons = clarification_buttons(ranking, entities)
    assert buttons == [
        {"title": "Hỏi lệ phí", "payload": '/ask_fee{"procedure": "ho-chieu"}'},
        {"title": "Hỏi giấy tờ cần chuẩn bị", "payload": '/ask_documents{"procedure": "ho-chieu"}'},
        NONE_OF_THESE,
    ]


def test_at_most_three_meanings():
    ranking = [{"name": name} for name in ("ask_fee", "ask_where", "ask_payment", "find_agent")]
    assert len(clarification_buttons(ranking, [])) == 4


def test_nothing_offerable_falls_back_to_the_main_choices():
    buttons = clarification_buttons([{"name": "nlu_fallback"}], [])
    assert [b["payload"] for b in buttons] == ["/ask_procedure", "/track_dossier", "/request_human", "/out_of_scope"]
