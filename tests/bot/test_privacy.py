import logging

from bot.privacy import MaskingFilter, mask_pii


def test_phone_and_id_numbers_are_masked():
    text = "sdt 0912345678, cccd 001 089 012 345, +84 912 345 678"
    assert mask_pii(text) == "sdt 091****678, cccd 001 *** *** 345, +84 9** *** 678"


def test_dates_times_and_dossier_codes_are_left_alone():
    text = "hẹn 25/12/2026 lúc 14:00, hồ sơ 000.00.25.H26-250612-0012"
    assert mask_pii(text) == text


def test_log_records_are_masked():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "citizen %s wrote", ("0987654321",), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "citizen 098****321 wrote"
