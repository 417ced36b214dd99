"""BM25 over Vietnamese syllables (as written and folded) and folded syllable bigrams."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from bot.vietnamese import is_vietnamese_syllable
from knowledge.text import (
    STOPWORD_CANDIDATES,
    bigrams,
    content_words,
    document_terms,
    folded_words,
    query_terms,
    question_words,
)


class LexicalIndex:
    """BM25 ranking plus the coverage measure the answerable decision needs.

    `texts` are what is ranked (name, aliases, field, results: see `knowledge.documents`);
    `identity_texts` (name and aliases) define which words name a procedure, so that
    coverage asks "does this procedure's name explain the question's words?".
    """

    def __init__(
        self,
        texts: Sequence[str],
        identity_texts: Sequence[str],
        background_texts: Sequence[str],
        k1: float = 1.2,
        b: float = 0.5,
    ) -> None:
        if not (len(texts) == len(identity_texts) == len(background_texts)) or not texts:
            raise ValueError("the index needs a text, an identity text and a background text per document")
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        self._bm25.index([document_terms(text) or [""] for text in texts], show_progress=False)
        self._set_identity(identity_texts)
        self._texts = list(texts)
        self._identity_texts = list(identity_texts)
        self._k1, self._b = k1, b
        self._weights_from(background_texts)

    def _set_identity(self, identity_texts: Sequence[str]) -> None:
        """Per document: its identity words, identity bigrams, and one-word names ("passport")."""
        self._identity = []
        self._identity_bigrams = []
        self._identity_single_words = []
        for text in identity_texts:
            phrases = [folded_words(phrase, expand=False) for phrase in text.split(". ")]
            self._identity.append(frozenset(word for phrase in phrases for word in phrase))
            self._identity_bigrams.append(frozenset(gram for phrase in phrases for gram in bigrams(phrase)))
            self._identity_single_words.append(frozenset(phrase[0] for phrase in phrases if len(phrase) == 1))

    def _weights_from(self, background_texts: Sequence[str]) -> None:
        """Word weights = IDF over whole records: "có", "không", "ở" occur in nearly every
        record and weigh little; a word no record uses ("karaoke") weighs most."""
        document_frequency: Counter[str] = Counter()
        for text in background_texts:
            document_frequency.update(set(folded_words(text, expand=False)))
        self._set_weights(dict(document_frequency), len(background_texts))

    def _set_weights(self, document_frequency: dict[str, int], count: int) -> None:
        self._background_df, self._background_count = document_frequency, count
        self._idf = {word: math.log(1 + count / df) for word, df in document_frequency.items()}
        self._unseen_weight = math.log(1 + count)
        self.stopwords = STOPWORD_CANDIDATES

    def __len__(self) -> int:
        return len(self._texts)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query (zeros when nothing matches)."""
        terms = [term for term in query_terms(query) if term in self._bm25.vocab_dict]
        if not terms:
            return np.zeros(len(self), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def coverage(self, query: str, document: int) -> float:
        """Share (IDF-weighted) of the question's content words found in the document's name and aliases.

        A question about adoption ("nhận con nuôi") shares "nhận" and "con" with
        "nhận cha, mẹ, con" but not "nuôi": coverage stays low, and the assistant
        declines instead of answering the nearest procedure.
        """
        words = content_words(query, self.stopwords)
        if not words:
            return 0.0
        identity = self._identity[document]
        weights = [self._idf.get(word, self._unseen_weight) for word in words]
        covered = sum(weight for word, weight in zip(words, weights, strict=True) if word in identity)
        return covered / sum(weights)

    def has_evidence(self, query: str, document: int) -> bool:
        """Whether the match rests on more than one shared syllable.

        Folding makes single syllables collide ("vàng" and "vắng" are both "vang"), so a
        procedure is only accepted when the question shares a two-syllable word of its
        name or aliases, or two of its words, or names it by a one-word alias ("passport").
        """
        words = question_words(query)
        if set(bigrams(words)) & self._identity_bigrams[document]:
            return True
        shared = set(content_words(query, self.stopwords)) & self._identity[document]
        if len(shared) >= 2 or any(not is_vietnamese_syllable(word) for word in shared):
            return True  # two shared words, or one that folding cannot confuse ("karaoke", "vneid")
        return bool(set(words) & self._identity_single_words[document])

    def unknown_words(self, query: str) -> list[str]:
        """Content words of the question that no record uses at all ("karaoke")."""
        return [word for word in content_words(query, self.stopwords) if word not in self._idf]

    def has_content(self, query: str) -> bool:
        """False for questions with no word that could name a procedure ("cho hỏi với")."""
        return bool(content_words(query, self.stopwords))

    # ------------------------------------------------------------------ persistence

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(directory / "bm25"))
        meta = {
            "texts": self._texts,
            "identity_texts": self._identity_texts,
            "background_df": self._background_df,
            "background_count": self._background_count,
            "k1": self._k1,
            "b": self._b,
        }
        (directory / "lexical.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        meta = json.loads((directory / "lexical.json").read_text(encoding="utf-8"))
        index = cls.__new__(cls)
        index._bm25 = bm25s.BM25.load(str(directory / "bm25"))
        index._texts = meta["texts"]
        index._identity_texts = meta["identity_texts"]
        index._k1, index._b = meta["k1"], meta["b"]
        index._set_identity(index._identity_texts)
        index._set_weights(meta["background_df"], meta["background_count"])
        return index
