"""Deterministic extraction of the entities a public-service conversation needs.

Structured values (phone and ID numbers, dossier codes, dates, times) and closed lists
(procedures, Hanoi places) are found by rules and dictionaries rather than learned:
they must be exact, they must work on text typed without diacritics, and a citizen's
phone number must never depend on a statistical guess. Dictionaries come from the NLU
training data's lookup tables and synonyms, so there is one source of truth.

Standard library only: this runs inside the Rasa 3.6 server (Python 3.10) and in the
3.11 application alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.vietnamese import clean, fold, nfc, undo_telex, word_spans

PROCEDURE = "procedure"
LOCATION = "location"
DATE = "date"
TIME = "time"
PHONE = "phone"
ID_NUMBER = "id_number"
DOSSIER_CODE = "dossier_code"
PERSON_NAME = "person_name"

# Lower number wins when two candidates overlap.
_PRIORITY = {
    DOSSIER_CODE: 0,
    ID_NUMBER: 1,
    PHONE: 2,
    PERSON_NAME: 3,
    PROCEDURE: 4,
    DATE: 5,
    TIME: 5,
    LOCATION: 6,
}
_WEAK_PENALTY = 10
# A name guessed from capitalisation alone ("Hà Đông" could be Mr Hà Đông) yields to
# every other reading, places included.
_GUESSED_NAME_PRIORITY = 30


@dataclass(frozen=True)
class Entity:
    """One extracted entity with offsets into the NFC text it was found in."""

    entity: str
    value: str
    start: int
    end: int
    text: str
    weak: bool = False

    @property
    def priority(self) -> int:
        if self.entity == PERSON_NAME and self.weak:
            return _GUESSED_NAME_PRIORITY
        return _PRIORITY[self.entity] + (_WEAK_PENALTY if self.weak else 0)

    def as_rasa_dict(self, extractor: str) -> dict[str, object]:
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence_entity": 1.0,
            "extractor": extractor,
        }


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Token:
    text: str  # as written (NFC)
    key: str  # folded, Telex-repaired comparison form
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [_Token(word, undo_telex(fold(word)), start, end) for word, start, end in word_spans(text)]


def _phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(undo_telex(fold(word)) for word, _, _ in word_spans(phrase))


# --------------------------------------------------------------------------- gazetteer


class Gazetteer:
    """Longest-match dictionary of phrases, insensitive to case, diacritics and Telex."""

    def __init__(self, entity: str, phrases: Mapping[str, str]) -> None:
        self.entity = entity
        self._table: dict[tuple[str, ...], str] = {}
        self._accented: dict[tuple[str, ...], str] = {}
        for phrase, value in phrases.items():
            key = _phrase_key(phrase)
            if key:
                self._table.setdefault(key, value)
                self._accented.setdefault(key, nfc(phrase).lower())
        self._max_len = max((len(key) for key in self._table), default=0)

    def __len__(self) -> int:
        return len(self._table)

    def value_of(self, tokens: Sequence[_Token]) -> str | None:
        """The value of exactly this token sequence, if it is a phrase of the gazetteer."""
        return self._table.get(tuple(token.key for token in tokens))

    def matches(self, tokens: Sequence[_Token]) -> Iterable[tuple[int, int, str, bool]]:
        """(first token, end token, value, exactly as accented) of each longest match."""
        index = 0
        while index < len(tokens):
            for length in range(min(self._max_len, len(tokens) - index), 0, -1):
                key = tuple(token.key for token in tokens[index : index + length])
                value = self._table.get(key)
                if value is None:
                    continue
                written = " ".join(token.text.lower() for token in tokens[index : index + length])
                yield index, index + length, value, written == self._accented[key]
                index += length
                break
            else:
                index += 1


# --------------------------------------------------------------------------- locations

_LOCATION_PREFIXES = (
    ("thi", "xa"),
    ("thi", "tran"),
    ("phuong",),
    ("xa",),
    ("quan",),
    ("huyen",),
    ("tx",),
    ("p",),
    ("q",),
)
_LOCATION_CUES = {"o", "tai", "gan", "ben", "quanh", "thuoc", "khu", "ve", "den"}
_FILLERS = {"a", "nhe", "nha", "em", "oi", "vay", "day", "ah", "ha", "nhé", "la", "o", "tai"}


def _prefix_length(tokens: Sequence[_Token], start: int) -> int:
    for prefix in _LOCATION_PREFIXES:
        length = len(prefix)
        if start - length >= 0 and tuple(t.key for t in tokens[start - length : start]) == prefix:
            return length
    return 0


def _locations(text: str, tokens: Sequence[_Token], gazetteer: Gazetteer) -> list[Entity]:
    found = []
    meaningful = [t for t in tokens if t.key not in _FILLERS]
    for first, end, value, exact in gazetteer.matches(tokens):
        prefix = _prefix_length(tokens, first)
        begin = first - prefix
        cued = begin > 0 and tokens[begin - 1].key in _LOCATION_CUES
        bare = end - begin >= len(meaningful)
        capitalised = all(t.text[:1].isupper() for t in tokens[first:end])
        multi_syllable_exact = (exact or capitalised) and end - first >= 2
        if not (prefix or cued or bare or multi_syllable_exact):
            continue
        start_char, end_char = tokens[begin].start, tokens[end - 1].end
        found.append(
            Entity(LOCATION, value, start_char, end_char, text[start_char:end_char], weak=not (prefix or cued or bare))
        )
    return found


# --------------------------------------------------------------------------- procedures


_GENERIC_VERBS = frozenset({"lam", "xin", "nop", "muon"})


def _procedures(text: str, tokens: Sequence[_Token], gazetteer: Gazetteer) -> list[Entity]:
    """Procedure names; a generic verb before the name ("làm hộ chiếu") stays outside the
    span when the rest names the same procedure on its own ("hộ chiếu")."""
    found = []
    for matched_first, end, value, _exact in gazetteer.matches(tokens):
        first = matched_first
        while (
            end - first > 1
            and tokens[first].key in _GENERIC_VERBS
            and gazetteer.value_of(tokens[first + 1 : end]) == value
        ):
            first += 1
        start_char, end_char = tokens[first].start, tokens[end - 1].end
        found.append(Entity(PROCEDURE, value, start_char, end_char, text[start_char:end_char]))
    return found


# --------------------------------------------------------------------------- numbers and codes

_DIGIT_RUN = re.compile(r"(?<![\w+])(\+?\d[\d .\-]{7,18}\d)(?!\w)")
_DOSSIER_PATTERNS = (
    re.compile(r"(?<![\w.])\d{3}\.\d{2}\.\d{2}\.[a-z]\d{2}-\d{6}-\d{4}(?![\w])", re.IGNORECASE),
    re.compile(r"(?<![\w.])[a-z]\d{2}\.\d{1,3}(?:\.\d{1,3})*-\d{6}-\d{4}(?![\w])", re.IGNORECASE),
    re.compile(r"(?<![\w.])hs-?\d{4}-?\d{4,8}(?![\w])", re.IGNORECASE),
    re.compile(r"(?<![\w.])h\d{2}[\s.\-]\d{6}[\s.\-]\d{4}(?![\w])", re.IGNORECASE),  # read out: "h26 251103 0057"
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def normalise_phone(raw: str) -> str | None:
    """Local form of a Vietnamese phone number ("+84 912 345 678" -> "0912345678"), or None."""
    digits = _digits(raw)
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.startswith("0"):
        return None
    if len(digits) == 10 and digits[1] in "35789":
        return digits
    if len(digits) == 11 and digits[1] == "2":
        return digits
    return None


def _is_id_number(raw: str) -> bool:
    """A 12-digit căn cước number: province code 001-096 first, groups of three allowed."""
    if raw.startswith("+") or not re.fullmatch(r"\d{3}([ .]?)\d{3}\1\d{3}\1\d{3}", raw):
        return False
    return 1 <= int(_digits(raw)[:3]) <= 96


_DIGIT_WORDS = {
    "khong": "0", "linh": "0", "mot": "1", "hai": "2", "ba": "3", "bon": "4", "tu": "4", "nam": "5",
    "sau": "6", "bay": "7", "tam": "8", "chin": "9",
}  # fmt: skip


def _spoken_phones(text: str, tokens: Sequence[_Token]) -> list[Entity]:
    """Phone numbers read out as words, as phone transcripts give them ("không chín tám...")."""
    found = []
    index = 0
    while index < len(tokens):
        end = index
        while end < len(tokens) and (tokens[end].key in _DIGIT_WORDS or tokens[end].text.isdigit()):
            end += 1
        digits = "".join(_DIGIT_WORDS.get(t.key, t.text) for t in tokens[index:end])
        phone = normalise_phone(digits) if end - index >= 3 else None
        if phone:
            start_char, end_char = tokens[index].start, tokens[end - 1].end
            found.append(Entity(PHONE, phone, start_char, end_char, text[start_char:end_char]))
        index = max(end, index + 1)
    return found


def _numbers(text: str) -> list[Entity]:
    found = []
    for match in _DIGIT_RUN.finditer(text):
        raw = match.group(1).strip(" .-")
        start = match.start(1)
        end = start + len(raw)
        if _is_id_number(raw):
            found.append(Entity(ID_NUMBER, _digits(raw), start, end, raw))
            continue
        phone = normalise_phone(raw)
        if phone:
            found.append(Entity(PHONE, phone, start, end, raw))
    for pattern in _DOSSIER_PATTERNS:
        for match in pattern.finditer(text):
            found.append(Entity(DOSSIER_CODE, match.group(0).upper(), match.start(), match.end(), match.group(0)))
    return found


# --------------------------------------------------------------------------- dates and times

_PART_OF_DAY = r"(?:sang|trua|chieu|toi|dem)"
_WEEKDAY = r"(?:thu\s?(?:[2-7]|hai|ba|tu|nam|sau|bay)|chu\s?nhat|cn|t[2-7])"
_WEEK_SUFFIX = r"(?:\s(?:tuan\s(?:nay|sau|toi|truoc)|nay))?"
_DATE_PATTERNS = (
    re.compile(rf"\b{_WEEKDAY}{_WEEK_SUFFIX}\b"),
    re.compile(r"\b(?:hom\snay|ngay\smai|ngay\skia|ngay\smot|hom\squa|ngay\shom\snay)\b"),
    re.compile(r"\b(?:cuoi\s|dau\s)?(?:tuan|thang)\s(?:nay|sau|toi)\b"),
    re.compile(r"\b(?:ngay|mung|mong)\s\d{1,2}(?:\s?(?:thang|/|-)\s?\d{1,2})?(?:\s?(?:nam|/|-)\s?\d{4})?\b"),
    re.compile(r"(?<![\d.\-/])\d{1,2}\s?[/\-]\s?\d{1,2}(?:\s?[/\-]\s?\d{2,4})?(?![\d\-/])"),
)
_NUMBER_WORD = r"(?:muoi mot|muoi hai|mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|muoi)"
_MINUTES = r"(?:\s?(?:\d{2}|ruoi|kem\s?\d{1,2}|kem))?(?:\s?(?:phut|p)\b)?"
_PART_SUFFIX = rf"(?:\s(?:buoi\s)?{_PART_OF_DAY})?"
# "9h30", "14:00", "3 giờ chiều" with digits; number words only with "giờ" ("ba giờ chiều"),
# never with a bare "h", which would read "chính" as "chín h".
_CLOCK = re.compile(rf"\b(?:\d{{1,2}}\s?(?:h|g|gio|:)|{_NUMBER_WORD}\s(?:gio)\b){_MINUTES}{_PART_SUFFIX}\b")
_PART = re.compile(rf"\b(?:buoi\s)?{_PART_OF_DAY}\b")
_DATE_WORDS_AFTER = re.compile(r"\s(?:nay|mai|mot|hom\snay|ngay\smai|" + _WEEKDAY + r")\b")
_ACCENTED_PARTS = {"sáng", "trưa", "chiều", "tối", "đêm"}


def _valid_numeric_date(raw: str) -> bool:
    parts = [int(part) for part in re.findall(r"\d+", raw)]
    if len(parts) < 2:
        return True
    day, month = parts[0], parts[1]
    return 1 <= day <= 31 and 1 <= month <= 12


def _dates_and_times(text: str, folded: str, tokens: Sequence[_Token]) -> list[Entity]:
    found: list[Entity] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(folded):
            raw = text[match.start() : match.end()]
            if re.fullmatch(r"[\d/\-\s]+", raw) and not _valid_numeric_date(raw):
                continue
            found.append(Entity(DATE, raw, match.start(), match.end(), raw))
    for index, token in enumerate(tokens):
        # "mai" is also a given name ("Nguyễn Thị Mai", "Bạch Mai"): only lower-case,
        # and never right after a word that makes it part of a name.
        if token.key == "mai" and token.text == "mai":
            previous = tokens[index - 1].key if index else ""
            if previous not in {"bach", "thi", "van", "hoang", "le", "tran", "nguyen", "pham", "xuan"}:
                found.append(Entity(DATE, token.text, token.start, token.end, token.text))
        if token.text.lower() == "mốt":
            found.append(Entity(DATE, token.text, token.start, token.end, token.text))
    for match in _CLOCK.finditer(folded):
        raw = text[match.start() : match.end()]
        if re.fullmatch(r"\d{1,2}\s?:", raw):
            continue
        found.append(Entity(TIME, raw, match.start(), match.end(), raw))
    for match in _PART.finditer(folded):
        raw = text[match.start() : match.end()]
        word = raw.lower().split()[-1]
        accented = word in _ACCENTED_PARTS
        other_word = word != fold(word) and not accented  # "tôi" (I), "chiếu", "sàng": not a part of day
        has_buoi = raw.lower().startswith(("buổi", "buoi"))
        followed_by_date = bool(_DATE_WORDS_AFTER.match(folded, match.end()))
        if not other_word and (accented or has_buoi or followed_by_date):
            found.append(Entity(TIME, raw, match.start(), match.end(), raw))
    return found


# --------------------------------------------------------------------------- person names

SURNAMES = frozenset(
    """
    nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh trinh dao luong ta cao chu ha
    lam to quach kieu vuong doan thai trieu hua la nghiem phung khuat tang luu dam mac giang lai kim tong ong
    thach
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_PRONOUNS = frozenset(
    [
        "toi",
        "em",
        "minh",
        "con",
        "chau",
        "anh",
        "chi",
        "bac",
        "ong",
        "ba",
        "co",
        "chu",
        "di",
        "cau",
        "me",
        "bo",
        "vo",
        "chong",
        "e",
        "a",
        "c",
    ]
)
_NAME_CUES = (
    ("ho", "va", "ten"),
    ("ho", "ten"),
    ("ten", "nguoi", "nop"),
    ("dung", "ten"),
    ("ten",),
    ("toi", "la"),
    ("em", "la"),
    ("minh", "la"),
)
_NOT_NAME = frozenset(
    """
    la so sdt dien thoai o tai a nhe nha va voi sinh ngay can cuoc cccd cmnd dia thang muon hoi lam dang ky
    nguoi dan cong vien khong co roi oi day vay the ma chieu giay to tuc cua da sao nao gi duoc dc
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _name_run(tokens: Sequence[_Token], start: int, text: str) -> int:
    """How many tokens from `start` look like a name: letters only, same clause, at most five.

    A run that starts capitalised continues only while words are capitalised ("Trần Thị
    Mai đã..." stops before "đã"); a lower-case run stops at words that are not names.
    """
    length = 0
    capitalised = start < len(tokens) and tokens[start].text[:1].isupper()
    while start + length < len(tokens) and length < 5:
        token = tokens[start + length]
        if not token.text.isalpha():
            break
        if capitalised and not token.text[:1].isupper():
            break
        if not capitalised and token.key in _NOT_NAME:
            break
        if length and text[tokens[start + length - 1].end : token.start].strip():
            break  # punctuation between words ends the name
        length += 1
    return length


def _title(span: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in span.split())


def _person_names(text: str, tokens: Sequence[_Token]) -> list[Entity]:
    found = []
    keys = [t.key for t in tokens]
    for index in range(len(tokens)):
        for cue in _NAME_CUES:
            if tuple(keys[index : index + len(cue)]) != cue:
                continue
            after = index + len(cue)
            if cue[0] == "ten" and after < len(tokens) and keys[after] in _PRONOUNS:
                after += 1  # "tên chị là ...", "tên bác ..."
            if after < len(tokens) and keys[after] == "la" and cue[-1] != "la":
                after += 1
            length = _name_run(tokens, after, text)
            first_is_surname = length and keys[after] in SURNAMES
            capitalised = length and tokens[after].text[:1].isupper()
            if cue[-1] == "la" and cue[0] != "ten" and not (first_is_surname or capitalised):
                continue  # "tôi là người..." is not a name
            if length:
                start, end = tokens[after].start, tokens[after + length - 1].end
                found.append(Entity(PERSON_NAME, _title(text[start:end]), start, end, text[start:end]))
            break
    # A capitalised run starting with a common surname ("Trần Thị Hoa"), or a whole
    # message that is just a name ("nguyen van an").
    meaningful = [t for t in tokens if t.key not in _FILLERS]
    for index, token in enumerate(tokens):
        if token.key not in SURNAMES:
            continue
        length = _name_run(tokens, index, text)
        if not 2 <= length <= 4:
            continue  # Vietnamese full names have two to four syllables
        run = tokens[index : index + length]
        whole_message = length >= len(meaningful)
        if all(t.text[:1].isupper() for t in run) or whole_message:
            start, end = run[0].start, run[-1].end
            found.append(Entity(PERSON_NAME, _title(text[start:end]), start, end, text[start:end], weak=True))
    return found


# --------------------------------------------------------------------------- extractor


def _resolve_overlaps(candidates: Iterable[Entity]) -> list[Entity]:
    chosen: list[Entity] = []
    for candidate in sorted(candidates, key=lambda e: (e.priority, -(e.end - e.start), e.start)):
        if all(candidate.end <= kept.start or candidate.start >= kept.end for kept in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda e: e.start)


class EntityExtractor:
    """Finds every entity type of the assistant in one message."""

    def __init__(self, procedures: Mapping[str, str], locations: Mapping[str, str]) -> None:
        self.procedures = Gazetteer(PROCEDURE, procedures)
        self.locations = Gazetteer(LOCATION, locations)

    @classmethod
    def from_training_data(
        cls, lookup_tables: Sequence[Mapping[str, object]], synonyms: Mapping[str, str]
    ) -> EntityExtractor:
        """Build from Rasa's lookup tables (name + elements) and synonym map (text -> value)."""
        folded_synonyms = {" ".join(_phrase_key(text)): value for text, value in synonyms.items()}
        tables: dict[str, dict[str, str]] = {PROCEDURE: {}, LOCATION: {}}
        for table in lookup_tables:
            name = str(table.get("name"))
            if name not in tables:
                continue
            for element in table.get("elements") or []:  # type: ignore[union-attr]
                phrase = str(element)
                tables[name][phrase] = folded_synonyms.get(" ".join(_phrase_key(phrase)), phrase)
        return cls(tables[PROCEDURE], tables[LOCATION])

    def extract(self, text: str) -> list[Entity]:
        """All entities of the text, non-overlapping, offsets into `clean(text)`'s NFC form."""
        text = nfc(text)
        folded = fold(text)
        tokens = _tokens(text)
        candidates: list[Entity] = []
        candidates += _numbers(text)
        candidates += _spoken_phones(text, tokens)
        candidates += _dates_and_times(text, folded, tokens)
        candidates += _person_names(text, tokens)
        candidates += _procedures(text, tokens, self.procedures)
        candidates += _locations(text, tokens, self.locations)
        return _resolve_overlaps(candidates)


__all__ = ["Entity", "EntityExtractor", "Gazetteer", "clean", "normalise_phone"]
