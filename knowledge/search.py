"""Ranking procedures for a question, and deciding whether to answer at all.

The decision matters as much as the ranking: a citizen who asks about something the
catalogue does not hold must hear "em chưa có thông tin" rather than the nearest
procedure's fee. Two signals decide:

- the index also holds procedures that exist but are outside the catalogue
  (corpus/uncovered.yaml); when one of them matches better than every catalogue
  procedure, the question is declined and the uncovered procedure is named;
- the best catalogue procedure's name and aliases must explain enough of the question's
  content words (IDF-weighted coverage), so that "giá vàng hôm nay" is not answered with
  "khai báo tạm vắng".

`ambiguous` flags two catalogue procedures too close to pick one, so the assistant asks.
Lexical (BM25) is the measured default; dense and hybrid (reciprocal rank fusion) are
configurable and reported by `make bench-knowledge`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.vietnamese import clean
from knowledge.dense import Encoder
from knowledge.lexical import LexicalIndex

MAX_QUERY_CHARS = 500
MAX_K = 50


@dataclass(frozen=True)
class Hit:
    id: str
    name: str
    score: float

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "score": round(self.score, 4)}


@dataclass(frozen=True)
class SearchResult:
    query: str
    answerable: bool
    results: list[Hit]
    ambiguous: bool = False
    uncovered_match: str | None = None  # name of an out-of-catalogue procedure the question is about

    @property
    def best(self) -> Hit | None:
        return self.results[0] if self.answerable and self.results else None

    def to_json(self) -> dict[str, object]:
        return {
            "query": self.query,
            "answerable": self.answerable,
            "ambiguous": self.ambiguous,
            "uncovered_match": self.uncovered_match,
            "results": [hit.to_json() for hit in self.results],
        }


@dataclass(frozen=True)
class DecisionPolicy:
    """Thresholds of the answerable and ambiguous decisions (see README, knowledge benchmark)."""

    min_coverage: float = 0.3  # share of content words named by the best procedure
    min_dense_similarity: float = 0.86  # dense-only mode: cosine of the best procedure
    ambiguity_ratio: float = 0.92  # second lexical score / best lexical score
    rrf_k: float = 10.0
    dense_weight: float = 0.35


@dataclass
class DenseIndex:
    """Each document embedded twice, as written and without diacritics; a query scores the
    better of the two, so that a question typed without diacritics meets its procedure."""

    encoder: Encoder
    matrix: np.ndarray  # documents x dimensions, L2-normalised, as written
    folded_matrix: np.ndarray  # the same documents folded (no diacritics)

    def scores(self, query: str) -> np.ndarray:
        vector = self.encoder.encode_queries([query])[0]
        return np.maximum(self.matrix @ vector, self.folded_matrix @ vector)


@dataclass
class Retriever:
    """Ranks catalogue procedures for a question and decides whether to answer.

    Documents 0..len(ids)-1 are the catalogue; documents after them are the uncovered
    procedures named in `uncovered_names`, indexed only to recognise and decline them.
    """

    ids: Sequence[str]
    names: Sequence[str]
    lexical: LexicalIndex
    dense: DenseIndex | None = None
    mode: str = "lexical"  # lexical | dense | hybrid
    uncovered_names: Sequence[str] = ()
    policy: DecisionPolicy = field(default_factory=DecisionPolicy)

    def __post_init__(self) -> None:
        if self.mode in ("dense", "hybrid") and self.dense is None:
            self.mode = "lexical"

    def search(self, query: str, k: int = 5) -> SearchResult:
        """Top-k catalogue procedures for `query` and the decision; never raises on odd input."""
        query = clean(query)[:MAX_QUERY_CHARS]
        k = max(1, min(int(k), MAX_K, len(self.ids)))
        if not query or (self.mode != "dense" and not self.lexical.has_content(query)):
            return SearchResult(query=query, answerable=False, results=[])
        lexical = self.lexical.scores(query)
        dense = self.dense.scores(query) if self.dense is not None and self.mode != "lexical" else None
        fused = self._fuse(lexical, dense)
        catalogue = len(self.ids)
        order = np.argsort(-fused[:catalogue], kind="stable")[:k]
        results = [Hit(self.ids[i], self.names[i], float(fused[i])) for i in order]
        best = int(order[0])
        uncovered = self._better_uncovered(fused, best)
        if uncovered is not None:
            named = self.lexical.has_evidence(query, uncovered)  # name it only when the match is real
            name = self.uncovered_names[uncovered - catalogue] if named else None
            return SearchResult(query, False, results, uncovered_match=name)
        answerable = self._answerable(query, best, lexical, dense)
        ambiguous = answerable and self._ambiguous(lexical, order)
        return SearchResult(query=query, answerable=answerable, results=results, ambiguous=ambiguous)

    # ------------------------------------------------------------------ internals

    def _fuse(self, lexical: np.ndarray, dense: np.ndarray | None) -> np.ndarray:
        if self.mode == "lexical" or dense is None:
            return lexical
        if self.mode == "dense":
            return dense
        fused = 1.0 / (self.policy.rrf_k + _ranks(lexical))
        fused += self.policy.dense_weight / (self.policy.rrf_k + _ranks(dense))
        fused[lexical <= 0] *= 0.5  # sharing no word with the question ranks a procedure below those that do
        return fused

    def _better_uncovered(self, fused: np.ndarray, best: int) -> int | None:
        """Index of an uncovered procedure that outranks the best catalogue one, if any."""
        catalogue = len(self.ids)
        if len(fused) == catalogue:
            return None
        candidate = catalogue + int(np.argmax(fused[catalogue:]))
        return candidate if fused[candidate] > fused[best] else None

    def _answerable(self, query: str, best: int, lexical: np.ndarray, dense: np.ndarray | None) -> bool:
        if self.mode == "dense" and dense is not None:
            return float(dense[best]) >= self.policy.min_dense_similarity
        if lexical[best] <= 0 or not self.lexical.has_evidence(query, best):
            return False
        return self.lexical.coverage(query, best) >= self.policy.min_coverage

    def _ambiguous(self, lexical: np.ndarray, order: np.ndarray) -> bool:
        if len(order) < 2 or self.mode == "dense":
            return False
        first, second = float(lexical[order[0]]), float(lexical[order[1]])
        return first > 0 and second >= self.policy.ambiguity_ratio * first


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each document by descending score."""
    ranks = np.empty(len(scores), dtype=np.float32)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1, dtype=np.float32)
    return ranks
