"""The engine's intent classifier: a logistic regression on the e5 sentence embedding and
character n-grams of what the patient typed.

Why not DIET for intents: with tens of examples an intent, in two languages, DIET on word
and character n-grams matched the words it had seen and fell back on the rest; adding the
e5 embedding to DIET did not help it. A linear model on both (the embedding for meaning,
the n-grams for spelling, Welsh mutations and typos) did much better in 5-fold
cross-validation on data/nlu, which is how its settings were chosen (benchmarks/nlu_cv.py),
and on the blind set (benchmarks/nlu_blind.py). DIET still finds the entities.

Accents are folded for the n-grams ("dilewch" meets "dilëwch"). The model is kept as plain
arrays (numpy .npz and JSON), never pickled. It needs `engine.e5_featurizer` before it in
the pipeline and reads the sentence feature that component adds.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from engine.e5_featurizer import DIMENSIONS, E5SentenceFeaturizer, embed

logger = logging.getLogger(__name__)

RANKING = 10


def fold(text: str) -> str:
    """Lower case without accents, one space."""
    plain = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).split())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class E5IntentClassifier(IntentClassifier, GraphComponent):
    """Intents from the e5 embedding (weighted) and accent-folded character n-grams."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [E5SentenceFeaturizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 16.0,  # chosen by 5-fold cross-validation on data/nlu
            "embedding_weight": 3.0,  # the e5 vector against the n-grams
            "min_ngram": 2,
            "max_ngram": 4,
            "max_iter": 3000,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vectorizer: TfidfVectorizer | None = None
        self.coef = np.zeros((0, 0), dtype=np.float32)
        self.intercept = np.zeros(0, dtype=np.float32)
        self.classes: list[str] = []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5IntentClassifier:
        return cls(config, model_storage, resource)

    def _new_vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(int(self.config["min_ngram"]), int(self.config["max_ngram"])),
            sublinear_tf=True,
            vocabulary=vocabulary,
        )

    @staticmethod
    def _embeddings(messages: list[Message]) -> np.ndarray:
        """Each message's e5 sentence feature (computed here when it is missing)."""
        rows: list[np.ndarray | None] = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT)
            found = None if sentence is None else np.asarray(sentence.features).reshape(-1)
            rows.append(
                found[:DIMENSIONS] if found is not None and found.size >= DIMENSIONS else None
            )
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            vectors = embed([str(messages[i].get(TEXT) or "") for i in missing])
            for i, vector in zip(missing, vectors, strict=True):
                rows[i] = vector
        return np.vstack([r for r in rows if r is not None]).astype(np.float32)

    def _features(self, messages: list[Message]) -> Any:
        assert self.vectorizer is not None
        grams = self.vectorizer.transform([fold(str(m.get(TEXT) or "")) for m in messages])
        weight = float(self.config["embedding_weight"])
        return hstack([csr_matrix(self._embeddings(messages) * weight), grams]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        if not examples:
            return self._resource
        self.vectorizer = self._new_vectorizer()
        self.vectorizer.fit([fold(str(e.get(TEXT))) for e in examples])
        model = LogisticRegression(
            C=float(self.config["C"]),
            max_iter=int(self.config["max_iter"]),
            class_weight="balanced",
        )
        model.fit(self._features(examples), [str(e.get(INTENT)) for e in examples])
        self.coef = model.coef_.astype(np.float32)
        self.intercept = model.intercept_.astype(np.float32)
        self.classes = [str(c) for c in model.classes_]
        self.persist()
        return self._resource

    def _probabilities(self, messages: list[Message]) -> np.ndarray:
        scores = np.asarray(self._features(messages) @ self.coef.T) + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return result

    def process(self, messages: list[Message]) -> list[Message]:
        texts = [m for m in messages if m.get(TEXT)]
        if not texts or self.vectorizer is None or not self.classes:
            return messages
        for message, probabilities in zip(texts, self._probabilities(texts), strict=True):
            order = np.argsort(-probabilities)
            ranking = [
                {"name": self.classes[i], "confidence": float(probabilities[i])}
                for i in order[:RANKING]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        assert self.vectorizer is not None
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(
                directory / "model.npz",
                coef=self.coef,
                intercept=self.intercept,
                idf=self.vectorizer.idf_.astype(np.float32),
            )
            vocabulary = {str(k): int(v) for k, v in self.vectorizer.vocabulary_.items()}
            (directory / "model.json").write_text(
                json.dumps({"classes": self.classes, "vocabulary": vocabulary}), encoding="utf-8"
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> E5IntentClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / "model.npz")
                kept = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        except (ValueError, OSError):
            logger.debug("no trained intent classifier in the model")
            return component
        component.vectorizer = component._new_vectorizer(kept["vocabulary"])
        component.vectorizer.idf_ = arrays["idf"]
        component.coef = arrays["coef"]
        component.intercept = arrays["intercept"]
        component.classes = list(kept["classes"])
        return component
