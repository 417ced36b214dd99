"""Loading and validating the procedure corpus (one YAML file per procedure)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.schema import Procedure, UncoveredProcedure

CORPUS_DIR = Path(__file__).resolve().parent / "corpus" / "procedures"
UNCOVERED_FILE = Path(__file__).resolve().parent / "corpus" / "uncovered.yaml"
# The catalogue is owned by ../shared/procedures.yaml (its ids are a contract). The
# repository keeps a copy so that a clone builds and tests anywhere; a test checks that the
# copy matches the shared file wherever that file is present.
CATALOGUE_FILE = Path(__file__).resolve().parent / "corpus" / "catalogue.yaml"
SHARED_CATALOGUE_FILE = Path(__file__).resolve().parent.parent.parent / "shared" / "procedures.yaml"


class CorpusError(Exception):
    """The corpus on disk is not valid; the message names the file and the reason."""


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    name: str
    field: str


def load_catalogue(path: Path = CATALOGUE_FILE) -> list[CatalogueEntry]:
    """Read the shared catalogue whose ids are the contract every component uses."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [CatalogueEntry(id=row["id"], name=row["name"], field=row["field"]) for row in data["procedures"]]


def load_procedure_file(path: Path) -> Procedure:
    """Parse one corpus file; raises CorpusError naming the file on any problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        procedure = Procedure.model_validate(data)
    except (yaml.YAMLError, ValidationError, OSError) as exc:
        raise CorpusError(f"{path.name}: {exc}") from exc
    if procedure.id != path.stem:
        raise CorpusError(f"{path.name}: id {procedure.id!r} does not match the file name")
    return procedure


def load_corpus(directory: Path = CORPUS_DIR) -> list[Procedure]:
    """Load every procedure of the corpus, sorted by id."""
    return [load_procedure_file(path) for path in sorted(directory.glob("*.yaml"))]


def load_uncovered(path: Path = UNCOVERED_FILE) -> list[UncoveredProcedure]:
    """Procedures outside the catalogue (empty when the file is absent)."""
    if not path.exists():
        return []
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))["uncovered"]
        return [UncoveredProcedure.model_validate(row) for row in rows]
    except (yaml.YAMLError, ValidationError, KeyError, TypeError) as exc:
        raise CorpusError(f"{path.name}: {exc}") from exc
