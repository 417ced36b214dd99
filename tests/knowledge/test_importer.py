import json
import shutil

import pytest

from knowledge.corpus import CORPUS_DIR, load_corpus
from knowledge.importer import import_file, read_records

GOOD = {
    "ma_thu_tuc": "1.001193",
    "ten_thu_tuc": "Đăng ký khai sinh",
    "cap_thuc_hien": "Cấp xã",
    "linh_vuc": "Hộ tịch",
    "trinh_tu_thuc_hien": "Bước 1: Nộp hồ sơ\nBước 2: Nhận kết quả",
    "cach_thuc_thuc_hien": [
        {"hinh_thuc": "Trực tiếp", "thoi_han": "Trong ngày", "phi_le_phi": "Miễn lệ phí"},
        {"hinh_thuc": "Trực tuyến toàn trình", "thoi_han": "Trong ngày", "phi_le_phi": "Miễn lệ phí"},
    ],
    "thanh_phan_ho_so": [{"ten_giay_to": "Tờ khai đăng ký khai sinh", "ban_chinh": 1, "ban_sao": 0}],
    "co_quan_thuc_hien": ["Ủy ban nhân dân cấp xã"],
    "doi_tuong_thuc_hien": "Công dân Việt Nam",
    "yeu_cau_dieu_kien": "",
    "ket_qua_xu_ly": "Giấy khai sinh",
    "can_cu_phap_ly": ["Luật Hộ tịch số 60/2014/QH13"],
}
NEW = {**GOOD, "ma_thu_tuc": "9.999999", "ten_thu_tuc": "Đăng ký thử nghiệm một thủ tục mới"}


@pytest.fixture
def corpus(tmp_path):
    directory = tmp_path / "procedures"
    shutil.copytree(CORPUS_DIR, directory)
    return directory


def test_good_records_are_imported_and_bad_ones_reported_by_line(corpus, tmp_path):
    bad_mode = {**GOOD, "cach_thuc_thuc_hien": [{"hinh_thuc": "Qua bồ câu đưa thư", "thoi_han": "1 ngày"}]}
    no_name = {key: value for key, value in GOOD.items() if key != "ten_thu_tuc"}
    text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in [GOOD, bad_mode, no_name, NEW]) + "\n]\n"
    source = tmp_path / "export.json"
    source.write_text(text, encoding="utf-8")

    report = import_file(source, corpus)

    assert report.imported == ["khai-sinh", "dang-ky-thu-nghiem-mot-thu-tuc-moi"]
    assert [line for line, _ in report.errors] == [3, 4]
    assert "hình thức nộp" in report.errors[0][1]
    assert "ten_thu_tuc" in report.errors[1][1]
    records = {p.id: p for p in load_corpus(corpus)}
    assert len(records) == 42
    assert "gks" in records["khai-sinh"].aliases  # curated aliases survive an update by official code
    assert records["khai-sinh"].cach_thuc[1].hinh_thuc == "truc_tuyen_toan_trinh"


def test_json_lines_and_broken_lines(corpus, tmp_path):
    source = tmp_path / "export.jsonl"
    source.write_text(json.dumps(NEW, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    report = import_file(source, corpus)
    assert report.imported == ["dang-ky-thu-nghiem-mot-thu-tuc-moi"]
    assert report.errors[0][0] == 2


def test_a_failed_import_leaves_the_corpus_untouched(corpus, tmp_path):
    before = sorted(path.read_bytes() for path in corpus.glob("*.yaml"))
    source = tmp_path / "export.json"
    source.write_text('[{"ten_thu_tuc": ""}, 42, "x"]', encoding="utf-8")
    report = import_file(source, corpus)
    assert not report.imported and len(report.errors) == 3
    assert sorted(path.read_bytes() for path in corpus.glob("*.yaml")) == before


def test_unclosed_array_is_reported():
    records = list(read_records('[{"a": 1},\n'))
    assert isinstance(records[-1][1], ValueError)
