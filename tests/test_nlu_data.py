"""The NLU data against the intent taxonomy contract (../shared/intents.yaml)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from bot.vietnamese import normalise

CONTRACT = Path(__file__).resolve().parent / "contracts" / "intents.yaml"
SHARED = PROJECT_ROOT.parent / "shared" / "intents.yaml"
MIN_EXAMPLES = 40
HELD_OUT = PROJECT_ROOT / "tests" / "nlu_heldout"
LEAK_SIMILARITY = 0.8


def intents_of(path: Path) -> dict[str, list[str]]:
    """Intent -> example texts (annotations removed) of a Rasa NLU YAML file or folder."""
    files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
    examples: dict[str, list[str]] = {}
    for file in files:
        for block in yaml.safe_load(file.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in block:
                lines = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
                texts = [re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line) for line in lines]
                examples.setdefault(block["intent"], []).extend(texts)
    return examples


@pytest.fixture(scope="module")
def taxonomy() -> list[str]:
    return list(yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))["intents"])


def test_the_contract_copy_matches_the_shared_taxonomy():
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not beside this checkout (a fresh clone elsewhere)")
    assert CONTRACT.read_bytes() == SHARED.read_bytes(), f"copy {SHARED} to {CONTRACT}"


def test_domain_declares_every_intent_by_its_exact_name(taxonomy):
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(taxonomy) <= set(domain["intents"])


def test_every_intent_has_enough_varied_training_examples(taxonomy):
    training = intents_of(PROJECT_ROOT / "data" / "nlu")
    for intent in taxonomy:
        texts = training.get(intent, [])
        assert len(texts) >= MIN_EXAMPLES, intent
        without_marks = [t for t in texts if unicodedata.normalize("NFD", t) == t and "đ" not in t.lower()]
        assert len(without_marks) >= len(texts) // 5, f"{intent}: too few examples typed without diacritics"


def test_no_example_is_in_two_intents():
    """The same words (diacritics and abbreviations aside) never stand for two intents."""
    training = intents_of(PROJECT_ROOT / "data" / "nlu")
    owners = Counter(form for texts in training.values() for form in {normalise(text) for text in texts})
    assert [form for form, count in owners.items() if count > 1] == []


def test_held_out_examples_are_never_trained_on():
    """No training example shares 80% of its (normalised) words with a held-out example."""
    held = [set(normalise(text).split()) for texts in intents_of(HELD_OUT).values() for text in texts]
    leaks = []
    for texts in intents_of(PROJECT_ROOT / "data" / "nlu").values():
        for text in texts:
            words = set(normalise(text).split())
            if words and any(len(words & other) / len(words | other) >= LEAK_SIMILARITY for other in held if other):
                leaks.append(text)
    assert leaks == []


def test_held_out_set_covers_every_intent_in_every_style(taxonomy):
    for style in ("diacritics", "no_diacritics", "informal", "spoken"):
        held_out = intents_of(PROJECT_ROOT / "tests" / "nlu_heldout" / f"{style}.yml")
        assert set(taxonomy) <= set(held_out), style


def test_training_files_are_nfc():
    for path in (PROJECT_ROOT / "data").rglob("*.yml"):
        assert unicodedata.is_normalized("NFC", path.read_text(encoding="utf-8")), path
