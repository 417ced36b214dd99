import pytest

from bot.nlu.entities import EntityExtractor, normalise_phone

PROCEDURES = {
    "sổ đỏ": "cap-so-do-lan-dau",
    "làm sổ đỏ lần đầu": "cap-so-do-lan-dau",
    "sang tên sổ đỏ": "sang-ten-so-do",
    "hộ chiếu": "ho-chieu",
    "cccd": "cap-can-cuoc",
}
LOCATIONS = {name: name for name in ["Cầu Giấy", "Láng", "Kim Anh", "Bạch Mai", "Hoàn Kiếm"]}


@pytest.fixture(scope="module")
def extractor():
    return EntityExtractor(PROCEDURES, LOCATIONS)


def found(extractor, text):
    return [(e.entity, e.value, e.text) for e in extractor.extract(text)]


def test_procedure_without_diacritics_maps_to_catalogue_id(extractor):
    entities = found(extractor, "lam so do lan dau can giay to gi")
    assert ("procedure", "cap-so-do-lan-dau", "lam so do lan dau") in entities


def test_longest_alias_wins(extractor):
    assert found(extractor, "sang ten so do can gi") == [("procedure", "sang-ten-so-do", "sang ten so do")]


def test_name_and_phone(extractor):
    assert found(extractor, "Tên tôi là Nguyễn Văn An, sđt 0912 345 678") == [
        ("person_name", "Nguyễn Văn An", "Nguyễn Văn An"),
        ("phone", "0912345678", "0912 345 678"),
    ]


def test_id_number_is_not_a_phone(extractor):
    assert ("id_number", "001089012345", "001089012345") in found(extractor, "số cccd 001089012345 nhé")


def test_dates_and_times(extractor):
    assert found(extractor, "đặt lịch sáng mai lúc 3 giờ chiều thứ năm tuần sau") == [
        ("time", "sáng", "sáng"),
        ("date", "mai", "mai"),
        ("time", "3 giờ chiều", "3 giờ chiều"),
        ("date", "thứ năm tuần sau", "thứ năm tuần sau"),
    ]
    assert found(extractor, "hẹn 25/12 9h30 nhé") == [("date", "25/12", "25/12"), ("time", "9h30", "9h30")]


def test_ho_chieu_is_not_an_afternoon(extractor):
    assert found(extractor, "làm ho chieu o dau") == [("procedure", "ho-chieu", "ho chieu")]


def test_dossier_code(extractor):
    code = "000.00.25.H26-250612-0012"
    assert found(extractor, f"ma ho so {code}") == [("dossier_code", code, code)]


def test_location_needs_a_cue_when_typed_without_diacritics(extractor):
    assert found(extractor, "ho chieu lam o cau giay")[-1] == ("location", "Cầu Giấy", "cau giay")
    assert found(extractor, "tôi ở phường Láng") == [("location", "Láng", "phường Láng")]
    assert found(extractor, "lang thang ngoai duong") == []


def test_a_name_that_is_also_a_place_is_a_name_after_a_name_cue(extractor):
    assert found(extractor, "Tên tôi là Kim Anh") == [("person_name", "Kim Anh", "Kim Anh")]


def test_bare_name_reply(extractor):
    assert found(extractor, "nguyen thi hoa") == [("person_name", "Nguyen Thi Hoa", "nguyen thi hoa")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("+84 912 345 678", "0912345678"), ("024 3825 1234", "02438251234"), ("0123", None), ("0612345678", None)],
)
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("text", ["", "🙂🙂", "x" * 10_000, "\x00\x01", "ddaay laf gif", "Привет مرحبا 你好"])
def test_odd_input_never_raises(extractor, text):
    extractor.extract(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tên chị là trần thị bích ngọc", [("person_name", "Trần Thị Bích Ngọc", "trần thị bích ngọc")]),
        ("e tên Phạm Thu Trang", [("person_name", "Phạm Thu Trang", "Phạm Thu Trang")]),
        ("hồ sơ đứng tên Trần Thị Mai đã có kết quả chưa", [("person_name", "Trần Thị Mai", "Trần Thị Mai")]),
        ("tong dai tu dong ha", []),
    ],
)
def test_names(extractor, text, expected):
    assert found(extractor, text) == expected


def test_spoken_phone_number(extractor):
    text = "số điện thoại không chín tám tám một hai ba bốn năm sáu"
    assert found(extractor, text) == [("phone", "0988123456", "không chín tám tám một hai ba bốn năm sáu")]


def test_spoken_dossier_code(extractor):
    assert found(extractor, "mã hồ sơ h26 251103 0057") == [("dossier_code", "H26 251103 0057", "h26 251103 0057")]


def test_toi_is_not_evening(extractor):
    assert found(extractor, "xếp cho tôi một lịch hẹn") == []
    assert found(extractor, "toi mai") == [("time", "toi", "toi"), ("date", "mai", "mai")]


def test_capitalised_place_is_a_place_not_a_name(extractor):
    assert found(extractor, "lịch hẹn ở FPT Shop Hoàn Kiếm") == [("location", "Hoàn Kiếm", "Hoàn Kiếm")]


def test_generic_verb_stays_outside_the_procedure_span(extractor):
    assert found(extractor, "toi muon lam ho chieu") == [("procedure", "ho-chieu", "ho chieu")]
