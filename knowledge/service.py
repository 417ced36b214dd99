"""The knowledge base as the rest of the application sees it: search and look-up."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot.settings import Settings, get_settings
from knowledge.corpus import load_corpus, load_uncovered
from knowledge.dense import load_encoder
from knowledge.index_store import load_or_build
from knowledge.schema import Procedure
from knowledge.search import Retriever, SearchResult


class KnowledgeBase:
    """Procedures by id plus the retrieval index over them."""

    def __init__(self, procedures: Sequence[Procedure], retriever: Retriever) -> None:
        self._by_id = {procedure.id: procedure for procedure in procedures}
        self.retriever = retriever

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeBase:
        procedures = load_corpus(settings.corpus_dir)
        encoder = None
        if settings.retrieval_mode != "lexical":
            encoder = load_encoder(settings.embedding_backend, settings.embedding_model)
        retriever = load_or_build(
            procedures,
            load_uncovered(),
            settings.retrieval_mode,
            encoder,
            settings.var_dir / "knowledge-index",
        )
        return cls(procedures, retriever)

    @property
    def procedures(self) -> list[Procedure]:
        return list(self._by_id.values())

    def get(self, procedure_id: str) -> Procedure | None:
        return self._by_id.get(procedure_id)

    def search(self, query: str, k: int = 5) -> SearchResult:
        return self.retriever.search(query, k)


@lru_cache(maxsize=1)
def get_knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base, built (or loaded from cache) on first use."""
    return KnowledgeBase.from_settings(get_settings())
