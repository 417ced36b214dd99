"""Building the retrieval index, and caching it on disk until the corpus changes.

The cache key covers the corpus content, the retrieval mode, the encoder and the index
format, so any of them changing rebuilds the index on the next start; nothing needs to be
invalidated by hand.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.vietnamese import fold
from knowledge.dense import Encoder
from knowledge.documents import dense_text, full_text, identity_text, ranking_text
from knowledge.lexical import LexicalIndex
from knowledge.schema import Procedure, UncoveredProcedure
from knowledge.search import DenseIndex, Retriever

logger = logging.getLogger(__name__)

INDEX_FORMAT = "4"


def records_fingerprint(procedures: Sequence[Procedure], uncovered: Sequence[UncoveredProcedure]) -> str:
    """Content hash of the records as retrieval sees them."""
    digest = hashlib.sha256()
    for record in [*procedures, *uncovered]:
        digest.update(record.model_dump_json().encode())
    return digest.hexdigest()


def cache_key(
    procedures: Sequence[Procedure], uncovered: Sequence[UncoveredProcedure], mode: str, encoder: Encoder | None
) -> str:
    encoder_name = encoder.name if encoder is not None and mode != "lexical" else "none"
    material = "|".join([INDEX_FORMAT, records_fingerprint(procedures, uncovered), mode, encoder_name])
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def build_retriever(
    procedures: Sequence[Procedure],
    mode: str,
    encoder: Encoder | None,
    uncovered: Sequence[UncoveredProcedure] = (),
) -> Retriever:
    """Index the procedures from scratch (lexical always; dense when an encoder is given).

    Uncovered procedures are indexed after the catalogue, only so that a question about
    one of them can be recognised and declined.
    """
    uncovered_texts = [". ".join([entry.name, *entry.aliases]) for entry in uncovered]
    lexical = LexicalIndex(
        [ranking_text(p) for p in procedures] + uncovered_texts,
        [identity_text(p) for p in procedures] + uncovered_texts,
        [full_text(p) for p in procedures] + uncovered_texts,
    )
    dense = None
    if encoder is not None and mode != "lexical":
        texts = [dense_text(p) for p in procedures] + uncovered_texts
        dense = DenseIndex(encoder, encoder.encode_documents(texts), encoder.encode_documents([fold(t) for t in texts]))
    return Retriever(
        ids=[p.id for p in procedures],
        names=[p.ten for p in procedures],
        lexical=lexical,
        dense=dense,
        mode=mode,
        uncovered_names=[entry.name for entry in uncovered],
    )


def _save(retriever: Retriever, directory: Path) -> None:
    retriever.lexical.save(directory)
    if retriever.dense is not None:
        np.save(directory / "dense.npy", retriever.dense.matrix)
        np.save(directory / "dense-folded.npy", retriever.dense.folded_matrix)
    meta = {
        "ids": list(retriever.ids),
        "names": list(retriever.names),
        "uncovered_names": list(retriever.uncovered_names),
        "mode": retriever.mode,
    }
    (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _load(directory: Path, encoder: Encoder | None) -> Retriever:
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    lexical = LexicalIndex.load(directory)
    dense = None
    if encoder is not None and (directory / "dense.npy").exists():
        dense = DenseIndex(encoder, np.load(directory / "dense.npy"), np.load(directory / "dense-folded.npy"))
    return Retriever(meta["ids"], meta["names"], lexical, dense, meta["mode"], meta["uncovered_names"])


def load_or_build(
    procedures: Sequence[Procedure],
    uncovered: Sequence[UncoveredProcedure],
    mode: str,
    encoder: Encoder | None,
    cache_dir: Path,
) -> Retriever:
    """The cached index for this corpus and configuration, built and stored if absent.

    The new index is written to a temporary directory and renamed into place, so a crash
    or a concurrent process never leaves a half-written index behind.
    """
    target = cache_dir / cache_key(procedures, uncovered, mode, encoder)
    if (target / "meta.json").exists():
        try:
            return _load(target, encoder)
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("knowledge index cache at %s unreadable (%s); rebuilding", target, exc)
            shutil.rmtree(target, ignore_errors=True)
    retriever = build_retriever(procedures, mode, encoder, uncovered)
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
    try:
        _save(retriever, staging)
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process won the race; its index is identical
    return retriever
