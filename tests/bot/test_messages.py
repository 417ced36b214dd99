from bot.messages import BotReply, Button, citizen_words


def test_a_pressed_button_is_not_the_citizens_words():
    assert citizen_words('/ask_fee{"procedure": "ho-chieu"}') == ""
    assert citizen_words("/request_human") == ""


def test_typed_text_is_kept_as_written():
    assert citizen_words("lệ phí làm hộ chiếu bao nhiêu") == "lệ phí làm hộ chiếu bao nhiêu"
    assert citizen_words("1/2 ngày có xong không") == "1/2 ngày có xong không"


def test_a_reply_survives_its_json_form():
    reply = BotReply(text="Dạ", buttons=(Button("Gặp tổng đài viên", "/request_human"),))
    assert BotReply.from_json(reply.to_json()) == reply
