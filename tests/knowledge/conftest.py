import pytest

from knowledge.corpus import load_corpus, load_uncovered
from knowledge.index_store import build_retriever
from knowledge.service import KnowledgeBase


@pytest.fixture(scope="session")
def procedures():
    return load_corpus()


@pytest.fixture(scope="session")
def knowledge_base(procedures):
    """The real corpus with the default (lexical) index, built in memory."""
    return KnowledgeBase(procedures, build_retriever(procedures, "lexical", None, load_uncovered()))
