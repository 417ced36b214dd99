"""How procedure texts and citizen questions become index terms.

Each Vietnamese syllable is indexed twice: as written (when it carries diacritics, which
disambiguate "sổ" from "số") and folded ("so"), plus folded syllable bigrams ("so_do"),
which carry most of the meaning of two-syllable Vietnamese words. Questions typed
without diacritics therefore match on the folded terms, and questions with diacritics
match on both. A probe found word segmenters (underthesea, pyvi) harmful on text without
diacritics, so syllables are the unit.

On the query side, chat abbreviations are expanded ("cccd" -> "căn cước công dân") and a
few colloquial names are mapped onto the official vocabulary ("sổ đỏ" -> "giấy chứng
nhận quyền sử dụng đất").
"""

from __future__ import annotations

import re
from itertools import pairwise

from bot.vietnamese import (
    clean,
    fold,
    has_diacritics,
    normalise_word,
    undo_telex,
    words,
)

# Folded words that ask rather than name: question words, fillers, verbs of wanting and
# doing, the vocabulary of fees, deadlines and places. They are left out of the measure of
# how much of a question a procedure covers. Syllables that are also procedure words once
# folded ("hộ" and "hồ" are both "ho"; "tạm", "con", "lại", "cấp", "bản") are not here.
STOPWORD_CANDIDATES = frozenset(
    """
    a ad admin ah ai alo anh ba bac bn bao bay be ben bi biet bo boi bu buoi ca cac cach cai cam can chao cho
    chu chua chuc co cu cua cung da day de den di dieu du dung duoc em gi gian gio gium giup ha hai hay het hien
    hoi hom hs hu huong khac khi khoang khong kia la lau len luc luon ma may minh mot muon nao nay ne neu nghe
    ngoai nhanh nhe nhi nhieu nhu nhung no noi nop nua o oi ok on online phai ra rang roi sai sao sau se ta tai
    thang the thi thoi tien to toi tp trong truc tuyen u uh ukm va vao vay ve vi voi vui xem xin xong y zay
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Folded phrases that say what is asked (fee, time, place, channel), never which procedure.
# They are removed from questions before ranking, so that "khai tử có mất lệ phí không"
# ranks on "khai tử" and not on a procedure whose name happens to contain "lệ phí".
INTENT_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(phrase.split())
    for phrase in (
        "mat le phi", "mat phi", "mat tien", "mat bao nhieu", "mat may ngay", "mat bao lau", "mat thoi gian",
        "le phi", "muc phi", "phi", "bao nhieu tien", "bao nhieu", "het bao nhieu", "mat bao lau", "bao lau",
        "may ngay", "bao nhieu ngay", "thoi gian", "thoi han", "o dau", "cho nao", "noi nao", "co quan nao",
        "giay to gi", "giay to", "ho so gom", "ho so", "can gi", "nop online", "online", "truc tuyen",
        "dich vu cong", "cong dich vu cong", "thu tuc", "nhu the nao", "the nao", "ra sao", "lam sao",
        "co duoc khong", "duoc khong", "co khong", "khong",
    )
)  # fmt: skip

# Colloquial names mapped onto words of the official procedure names. Applied to folded
# text, before tokenisation; each entry adds the official words, it never removes any.
COLLOQUIAL_EXPANSIONS: tuple[tuple[str, str], ...] = (
    ("so do", "giay chung nhan quyen su dung dat"),
    ("so hong", "giay chung nhan quyen su dung dat quyen so huu nha o"),
    ("bia do", "giay chung nhan quyen su dung dat"),
    ("ho khau", "thuong tru cu tru"),
    ("khau", "thuong tru"),
    ("bang lai", "giay phep lai xe"),
    ("doc than", "xac nhan tinh trang hon nhan"),
    ("chung minh thu", "can cuoc"),
    ("chung minh nhan dan", "can cuoc"),
    ("cong chung", "chung thuc"),
    ("sao y", "chung thuc ban sao"),
    ("passport", "ho chieu"),
    ("visa", "thi thuc"),
    ("bien so", "dang ky xe"),
    ("cavet", "dang ky xe"),
    ("ca vet", "dang ky xe"),
    ("giay chung tu", "khai tu"),
    ("bao tu", "khai tu"),
)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def folded_words(text: str, *, expand: bool) -> list[str]:
    """Folded, Telex-repaired words; with `expand`, abbreviations become their words."""
    result: list[str] = []
    for word in words(clean(text)):
        result.extend((normalise_word(word) if expand else undo_telex(fold(word))).split())
    return result


def expand_colloquial(folded: str) -> str:
    """Append the official vocabulary for colloquial names found in folded text."""
    padded = f" {folded} "
    additions = [official for colloquial, official in COLLOQUIAL_EXPANSIONS if official and f" {colloquial} " in padded]
    return _collapse(" ".join([folded, *additions]))


def bigrams(folded: list[str]) -> list[str]:
    return [f"{first}_{second}" for first, second in pairwise(folded)]


def drop_intent_phrases(folded: list[str]) -> list[str]:
    """The folded words of a question without the phrases that only say what is asked."""
    kept: list[str] = []
    index = 0
    while index < len(folded):
        for phrase in INTENT_PHRASES:
            if tuple(folded[index : index + len(phrase)]) == phrase:
                index += len(phrase)
                break
        else:
            kept.append(folded[index])
            index += 1
    return kept


def question_words(text: str) -> list[str]:
    """Folded, expanded words of a question, intent phrases removed: what can name a procedure."""
    return drop_intent_phrases(expand_colloquial(" ".join(folded_words(text, expand=True))).split())


def document_terms(text: str) -> list[str]:
    """Index terms of a procedure text: accented syllables, folded syllables, folded bigrams."""
    folded = folded_words(text, expand=False)
    accented = [word.lower() for word in words(clean(text)) if has_diacritics(word)]
    return accented + folded + bigrams(folded)


def query_terms(text: str) -> list[str]:
    """Index terms of a citizen question: abbreviations and colloquial names expanded, intent
    phrases dropped, stopwords kept only inside bigrams (so "thế" in "thế còn ... thì sao"
    cannot match "thế chấp"); accented syllables only for the words that remain."""
    folded = question_words(text)
    content = [word for word in folded if word not in STOPWORD_CANDIDATES]
    remaining = set(content)
    written = [word.lower() for word in words(clean(text)) if undo_telex(fold(word)) in remaining]
    terms = [word for word in written if has_diacritics(word)]
    return terms + content + bigrams(folded)


def content_words(text: str, stopwords: frozenset[str]) -> list[str]:
    """The folded words of a question that can name a procedure (stopwords removed)."""
    return [word for word in question_words(text) if word not in stopwords and not word.isdigit()]
