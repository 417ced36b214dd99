"""Rasa graph components that make the NLU pipeline Vietnamese-aware.

Loaded by the Rasa server (Python 3.10, `.venv-rasa`) through `config.yml`. They are thin:
the language rules live in `bot.vietnamese` and `bot.nlu.entities`, which the 3.11
application tests directly.

- `VietnameseTokenizer` cleans the text (NFC, invisible characters) and gives every token
  a diacritic-free, abbreviation-expanded, Telex-repaired lemma. Featurizers configured
  with `use_lemma: true` therefore see "đăng ký", "dang ky", "đk" and "ddawng kys" as the
  same words: the pipeline is diacritic-insensitive by construction, not by examples.
- `VietnameseEntityExtractor` extracts every entity deterministically from the training
  data's lookup tables and synonyms (see `bot.nlu.entities`).
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.entities import EntityExtractor
from bot.vietnamese import clean, normalise_word


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer whose lemmas are the normalised comparison form of each word."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Clean incoming text first: control characters, zero-width marks, NFD input."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, clean(text))
        return super().process(messages)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if attribute != TEXT:
            return tokens
        for token in tokens:
            token.lemma = normalise_word(token.text) or token.text.lower()
        return tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class VietnameseEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Rule- and dictionary-based extractor for all the assistant's entities."""

    DICTIONARY_FILE = "dictionaries.json"

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lookup_tables: list[dict[str, Any]] | None = None,
        synonyms: dict[str, str] | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._lookup_tables = lookup_tables or []
        self._synonyms = synonyms or {}
        self._extractor = EntityExtractor.from_training_data(self._lookup_tables, self._synonyms)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Keep the lookup tables and synonyms; there is nothing statistical to fit."""
        self._lookup_tables = [
            {"name": table["name"], "elements": list(table["elements"])} for table in training_data.lookup_tables
        ]
        self._synonyms = dict(training_data.entity_synonyms)
        self._extractor = EntityExtractor.from_training_data(self._lookup_tables, self._synonyms)
        with self._model_storage.write_to(self._resource) as directory:
            payload = {"lookup_tables": self._lookup_tables, "synonyms": self._synonyms}
            (directory / self.DICTIONARY_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VietnameseEntityExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                payload = json.loads((directory / cls.DICTIONARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            payload = {}
        return cls(config, model_storage, resource, payload.get("lookup_tables"), payload.get("synonyms"))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = [entity.as_rasa_dict(self.__class__.__name__) for entity in self._extractor.extract(text)]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
