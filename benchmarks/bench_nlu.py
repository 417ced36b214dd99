"""Intent accuracy and macro-F1 on the held-out NLU set, overall and per writing style.

Runs in the Rasa environment (Python 3.10):
    .venv-rasa/bin/python benchmarks/bench_nlu.py --model models/current.tar.gz --heldout tests/nlu_heldout

The held-out files (one per style: diacritics, no_diacritics, informal, spoken) were
written independently of the training data and are never trained on. Prints a table and,
with --json, a machine-readable summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the model's custom components live in bot/
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def has_diacritics(text: str) -> bool:
    decomposed = unicodedata.normalize("NFD", text)
    return any(unicodedata.combining(char) for char in decomposed) or "đ" in text.lower()


def quiet_rasa() -> None:
    """Rasa logs every parse at debug level through structlog; keep the report readable."""
    import warnings

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    warnings.filterwarnings("ignore")
    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)


def load_examples(heldout: Path) -> List[Tuple[str, str, str]]:
    """(style, text, intent) for every example of every file under `heldout`."""
    from rasa.shared.nlu.training_data.loading import load_data

    files = sorted(heldout.glob("*.yml")) if heldout.is_dir() else [heldout]
    examples = []
    for path in files:
        for message in load_data(str(path)).intent_examples:
            examples.append((path.stem, message.get("text"), message.get("intent")))
    return examples


async def predict(model: Path, texts: List[str]) -> List[str]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    predictions = []
    for text in texts:
        parsed = await agent.parse_message(text)
        predictions.append(parsed["intent"]["name"])
    return predictions


def scores(gold: List[str], predicted: List[str]) -> Dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, predicted)),
        # averaged over the intents of the gold set: nlu_fallback (no example has it) is an
        # error wherever it is predicted, not a 26th class with F1 = 0
        "macro_f1": float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--heldout", type=Path, default=ROOT / "tests" / "nlu_heldout")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of tables")
    args = parser.parse_args()
    quiet_rasa()

    examples = load_examples(args.heldout)
    predicted = asyncio.run(predict(args.model, [text for _, text, _ in examples]))
    gold = [intent for _, _, intent in examples]

    groups: Dict[str, List[int]] = {"overall": list(range(len(examples)))}
    for index, (style, _, _) in enumerate(examples):
        groups.setdefault(f"style={style}", []).append(index)
    groups["no diacritics at all"] = [i for i, (_, text, _) in enumerate(examples) if not has_diacritics(text)]
    summary = {name: scores([gold[i] for i in idx], [predicted[i] for i in idx]) for name, idx in groups.items() if idx}
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p).most_common(10)
    errors = [(text, g, p) for (_, text, g), p in zip(examples, predicted, strict=True) if g != p]

    if args.json:
        print(
            json.dumps({"summary": summary, "confusions": [[g, p, n] for (g, p), n in confusions]}, ensure_ascii=False)
        )
        return
    print(f"Held-out NLU evaluation of {args.model} on {args.heldout}")
    print(f"{'subset':<28}{'n':>6}{'accuracy':>10}{'macro-F1':>10}")
    for name, row in summary.items():
        print(f"{name:<28}{row['n']:>6}{row['accuracy']:>10.3f}{row['macro_f1']:>10.3f}")
    print("\nWorst confusions (gold -> predicted: count)")
    for (g, p), n in confusions:
        print(f"  {g} -> {p}: {n}")
    print(f"\nErrors ({len(errors)}):")
    for text, g, p in errors:
        print(f"  [{g} -> {p}] {text}")


if __name__ == "__main__":
    main()
