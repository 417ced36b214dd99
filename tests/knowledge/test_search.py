import pytest


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("làm sổ đỏ lần đầu cần giấy tờ gì", "cap-so-do-lan-dau"),
        ("lam so do lan dau can giay to gi", "cap-so-do-lan-dau"),
        ("đổi bằng lái mất bao nhiêu tiền", "doi-giay-phep-lai-xe"),
        ("giay xac nhan doc than lam o dau", "xac-nhan-tinh-trang-hon-nhan"),
        ("nhập hộ khẩu cho con", "thuong-tru"),
        ("lm gks cho be can j", "khai-sinh"),
    ],
)
def test_colloquial_questions_find_their_procedure(knowledge_base, question, expected):
    result = knowledge_base.search(question, 3)
    assert result.answerable
    assert result.results[0].id == expected


@pytest.mark.parametrize(
    "question",
    ["thủ tục nhận con nuôi", "xin giấy phép kinh doanh karaoke", "giá vàng hôm nay", "thời tiết Hà Nội mai thế nào"],
)
def test_questions_outside_the_catalogue_are_declined(knowledge_base, question):
    assert not knowledge_base.search(question, 3).answerable


def test_a_known_uncovered_procedure_is_named(knowledge_base):
    result = knowledge_base.search("thế còn karaoke thì sao", 3)
    assert not result.answerable
    assert "karaoke" in (result.uncovered_match or "")


@pytest.mark.parametrize(
    "question",
    ["", "   ", "?!?!...", "x" * 10_000, "'; DROP TABLE procedures; --", "<script>alert(1)</script>", "🙂🙂🙂"],
)
def test_odd_questions_get_a_clear_decline(knowledge_base, question):
    result = knowledge_base.search(question, 5)
    assert not result.answerable
    assert len(result.query) <= 500


def test_json_shape(knowledge_base):
    body = knowledge_base.search("làm hộ chiếu", 2).to_json()
    assert set(body) >= {"query", "answerable", "results"}
    assert len(body["results"]) == 2
    assert set(body["results"][0]) == {"id", "name", "score"}
