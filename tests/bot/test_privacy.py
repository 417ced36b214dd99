import logging
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.privacy import install_log_masking, mask_pii, mask_record
from bot.storage.db import Database


def test_phone_and_id_numbers_are_masked():
    text = "sdt 0912345678, cccd 001 089 012 345, +84 912 345 678"
    assert mask_pii(text) == "sdt 091****678, cccd 001 *** *** 345, +84 9** *** 678"


def test_dates_times_and_dossier_codes_are_left_alone():
    text = "hẹn 25/12/2026 lúc 14:00, hồ sơ 000.00.25.H26-250612-0012"
    assert mask_pii(text) == text


def test_log_records_are_masked():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "citizen %s wrote", ("0987654321",), None)
    mask_record(record)
    assert record.getMessage() == "citizen 098****321 wrote"


def test_numbers_glued_to_words_are_masked():
    assert mask_pii("sđt0912345678 nhé") == "sđt091****678 nhé"
    assert mask_pii("0912345678nhé") == "091****678nhé"


def test_tracebacks_are_masked_too():
    """SQL errors and exceptions can quote a phone number; the traceback must not carry it."""
    try:
        raise ValueError("bad row ('sms:+84912345678', 'gọi 0987654321')")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = logging.Formatter().format(mask_record(record))
    assert "ValueError" in text
    assert "912345678" not in text and "0987654321" not in text


def test_every_logger_of_the_process_is_masked(caplog):
    """Installed once, masking covers loggers and handlers that libraries own (uvicorn's, say)."""
    install_log_masking()
    install_log_masking()  # idempotent
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.error").info("client %s", "0912345678")
    assert "091****678" in caplog.text and "0912345678" not in caplog.text


def test_database_errors_do_not_quote_the_row(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    with pytest.raises(OperationalError) as error, db.session() as session:
        session.execute(text("SELECT :phone FROM no_such_table"), {"phone": "0912345678"})
    assert "no_such_table" in str(error.value) and "0912345678" not in str(error.value)
