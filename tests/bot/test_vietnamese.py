import unicodedata

import pytest

from bot.vietnamese import (
    clean,
    fold,
    has_diacritics,
    is_vietnamese_syllable,
    normalise,
    normalise_word,
    strip_diacritics,
    undo_telex,
)


def test_fold_strips_marks_and_keeps_length():
    text = "Sổ Đỏ của Bà Nguyễn"
    assert fold(text) == "so do cua ba nguyen"
    assert len(fold(text)) == len(text)


def test_fold_treats_decomposed_and_composed_input_alike():
    decomposed = unicodedata.normalize("NFD", "đăng ký kết hôn")
    assert fold(decomposed) == fold("đăng ký kết hôn") == "dang ky ket hon"


def test_clean_removes_controls_and_zero_width_characters():
    assert clean("xin\x00 chào\u200b\u200b  bạn\r\n\n ơi ") == "xin chào bạn\nơi"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("ddawngf", "dang"), ("kys", "ky"), ("truwowngf", "truong"), ("hooj", "ho"), ("google", "google"), ("sms", "sms")],
)
def test_undo_telex_repairs_only_plausible_syllables(typed, expected):
    assert undo_telex(typed) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [("CCCD", "can cuoc cong dan"), ("ko", "khong"), ("đc", "duoc"), ("gplx", "giay phep lai xe"), ("Hộ", "ho")],
)
def test_normalise_word_expands_abbreviations(word, expected):
    assert normalise_word(word) == expected


def test_normalise_whole_message():
    assert normalise("Làm CCCD ở đâu ạ? ko biết 🙂") == "lam can cuoc cong dan o dau a khong biet"


def test_has_diacritics():
    assert has_diacritics("Hộ chiếu")
    assert not has_diacritics("Ho chieu")


def test_syllable_shape():
    assert is_vietnamese_syllable("nguyen")
    assert not is_vietnamese_syllable("karaoke")


def test_strip_diacritics_keeps_case_for_display():
    assert strip_diacritics("Đăng ký hộ chiếu, SỔ ĐỎ") == "Dang ky ho chieu, SO DO"
