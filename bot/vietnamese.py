"""Vietnamese text normalisation shared by the NLU pipeline, retrieval and the gateway.

Citizens type with and without diacritics, with chat abbreviations ("cccd", "ko", "dc")
and sometimes with Telex keystrokes left in ("ddawng kys"). Everything that compares text
goes through `fold`, so that "Đăng ký", "dang ky", "đk" and "ddawng kys" meet.

This module is imported by a Rasa component running on Python 3.10 and by the 3.11
application, so it uses the standard library only and no 3.11-only syntax.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Characters a citizen may send that carry no meaning: C0/C1 controls (except tab and
# newline), zero-width characters, BOM, bidi marks.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
WORD = re.compile(r"\w+", re.UNICODE)

_D_MAP = {"đ": "d", "Đ": "D"}


def nfc(text: str) -> str:
    """Compose text to Unicode NFC: the one form every comparison and storage uses."""
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """NFC, invisible characters replaced by spaces, runs of spaces collapsed, trimmed.

    Applied at every edge where text enters the system (gateway, NLU, retrieval).
    """
    text = _INVISIBLE.sub(" ", nfc(text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _fold_char(char: str) -> str:
    """One character lower-cased and stripped of diacritics, always exactly one character.

    Keeping the length lets callers map a match in folded text back to the original.
    """
    if char in _D_MAP:
        return _D_MAP[char].lower()
    lowered = char.lower()
    if len(lowered) != 1:
        lowered = unicodedata.normalize("NFD", char)[0].lower()
    base = unicodedata.normalize("NFD", lowered)[0]
    if unicodedata.combining(base):
        return " "
    return base


def fold(text: str) -> str:
    """Lower-case and strip diacritics, preserving length: "Sổ Đỏ" -> "so do"."""
    return "".join(_fold_char(char) for char in nfc(text))


def strip_diacritics(text: str) -> str:
    """Vietnamese without its marks, case kept: "Đăng ký hộ chiếu" -> "Dang ky ho chieu".

    For text shown to people (SMS in GSM-7); comparisons use `fold`, which also lower-cases
    and keeps every position.
    """
    text = "".join(_D_MAP.get(char, char) for char in text)
    decomposed = unicodedata.normalize("NFD", text)
    return nfc("".join(char for char in decomposed if not unicodedata.combining(char)))


def has_diacritics(text: str) -> bool:
    """True when folding changes more than case, i.e. the text carries Vietnamese marks."""
    text = nfc(text)
    return fold(text) != text.lower()


# Chat abbreviations and their folded expansions. Only unambiguous ones: "bn" (bạn /
# bao nhiêu) and single letters such as "a" (anh / à) are left to the statistical model.
ABBREVIATIONS: dict[str, str] = {
    "cccd": "can cuoc cong dan",
    "cmnd": "chung minh nhan dan",
    "cmt": "chung minh thu",
    "gks": "giay khai sinh",
    "gplx": "giay phep lai xe",
    "bhyt": "bao hiem y te",
    "bhxh": "bao hiem xa hoi",
    "bhtn": "bao hiem that nghiep",
    "lltp": "ly lich tu phap",
    "gcn": "giay chung nhan",
    "qsdd": "quyen su dung dat",
    "gpxd": "giay phep xay dung",
    "hkd": "ho kinh doanh",
    "tnhh": "trach nhiem huu han",
    "attp": "an toan thuc pham",
    "ubnd": "uy ban nhan dan",
    "tthc": "thu tuc hanh chinh",
    "dvc": "dich vu cong",
    "hcc": "hanh chinh cong",
    "hs": "ho so",
    "lm": "lam",
    "hk": "ho khau",
    "ko": "khong",
    "k": "khong",
    "kg": "khong",
    "khg": "khong",
    "hok": "khong",
    "dc": "duoc",
    "dk": "dang ky",
    "sdt": "so dien thoai",
    "ntn": "nhu the nao",
    "j": "gi",
    "z": "vay",
    "dzay": "vay",
    "vs": "voi",
    "ng": "nguoi",
    "mn": "moi nguoi",
    "ad": "admin",
    "tks": "cam on",
    "thks": "cam on",
    "thanks": "cam on",
    "thank": "cam on",
    "oke": "ok",
    "okie": "ok",
    "okela": "ok",
    "uk": "u",
    "uh": "u",
    "um": "u",
    "hn": "ha noi",
    "tp": "thanh pho",
    "tx": "thi xa",
    "stk": "so tai khoan",
    "ck": "chuyen khoan",
}

_TELEX_TONE = "sfrxj"
_VALID_CODAS = ("c", "ch", "m", "n", "ng", "nh", "p", "t")
_VOWELS = set("aeiouy")
_SYLLABLE = re.compile(r"^[bcdghklmnpqrstvx]*[aeiouy]{1,3}(?:c|ch|m|n|ng|nh|p|t)?$")
_TELEX_PAIRS = (("dd", "d"), ("aa", "a"), ("ee", "e"), ("oo", "o"), ("aw", "a"), ("ow", "o"), ("uw", "u"))


def _plausible_syllable(word: str) -> bool:
    """A folded Vietnamese syllable ends in a vowel or one of the eight allowed codas."""
    if not word or not word.isalpha():
        return False
    return word[-1] in _VOWELS or word.endswith(_VALID_CODAS)


def is_vietnamese_syllable(word: str) -> bool:
    """Whether a folded word has the shape of a Vietnamese syllable ("vang" yes, "karaoke" no).

    Folded syllables collide ("vàng", "vắng", "vang"); words of other shapes (loanwords,
    abbreviations) do not, which is what retrieval needs to know.
    """
    return bool(_SYLLABLE.match(word))


def undo_telex(word: str) -> str:
    """Repair a word typed with Telex keystrokes but no Telex input method: "ddawngf" -> "dang".

    Works on folded ASCII words only. The tone key (s, f, r, x, j) is dropped when what
    remains is a plausible syllable; Vietnamese syllables never end in those letters.
    """
    if not word.isascii() or not word.isalpha() or len(word) < 2:
        return word
    repaired = word
    for pair, letter in _TELEX_PAIRS:
        repaired = repaired.replace(pair, letter)
    if len(repaired) > 1 and repaired[-1] in _TELEX_TONE and _plausible_syllable(repaired[:-1]):
        has_vowel = any(char in _VOWELS for char in repaired[:-1])
        if has_vowel:
            repaired = repaired[:-1]
    if repaired != word and not _SYLLABLE.match(repaired):
        return word
    return repaired


def normalise_word(word: str) -> str:
    """The comparison form of one word: folded, abbreviation expanded, Telex repaired.

    May return several space-separated words ("cccd" -> "can cuoc cong dan").
    """
    folded = fold(word)
    if folded in ABBREVIATIONS:
        return ABBREVIATIONS[folded]
    repaired = undo_telex(folded)
    return ABBREVIATIONS.get(repaired, repaired)


def words(text: str) -> list[str]:
    """The words of a text as written (NFC), punctuation dropped."""
    return WORD.findall(nfc(text))


def word_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Each word with its character offsets in the NFC text."""
    for match in WORD.finditer(nfc(text)):
        yield match.group(0), match.start(), match.end()


def normalise(text: str) -> str:
    """The comparison form of a text: every word normalised, joined by single spaces."""
    return " ".join(normalise_word(word) for word in words(clean(text)))
