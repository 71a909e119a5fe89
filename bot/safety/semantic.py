"""The semantic layer of the safety net: what a message means, not which words it uses.

Rules name signs; patients do not ("feels like an elephant on me", "i have the rope
ready", "nobody would notice if i was gone"). This layer reads a message beside a bank of
labelled messages (`data/safety/exemplars/*.jsonl`, English and Welsh, dangers and hard
look-alikes and ordinary coach messages), with the local sentence-embedding model
(`bot.language.embeddings`). A small neural network (one hidden layer) gives the chance of
each category, emergency, distress, urgent or none, from:

- the message's embedding, centred and scaled on the bank;
- how close it is to each category's nearest exemplars;
- what the rules read in it (`bot.safety.rules.RuleReading`): an alert they would raise,
  and the signs they matched but read as negated, hypothetical, a question or past;
- cues that tell a live report from a mention (`bot.safety.rules.cues`): negation,
  questions, the past, "fine now", laughter, teach-back phrasing, a glucose reading.

The network is fitted from the bank alone, when a process first needs it, and kept under
`var/cache/safety/` keyed by a hash of the bank, the settings and the code's version, so
that no trained file is kept in the repository and a restart reads it back in a moment.
The sign (chest_pain, self_harm...) and the language come from the nearest exemplars.

`data/safety/semantic.yml` holds the settings, among them the chance of danger above which
the coach alerts, and the lower band in which it asks the direct yes/no question. They
were chosen by grouped cross-validation over the bank (`benchmarks/red_flags.py --fit`),
never on a test set.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import yaml

from bot.config import CACHE_DIR as SHARED_CACHE
from bot.config import ROOT
from bot.language.embeddings import (
    Matrix,
    all_cores_for_numpy,
    cached_embeddings,
    embed,
    model_fingerprint,
)
from bot.language.normalise import normalise
from bot.safety.rules import VETOES, RuleReading, cues
from bot.safety.rules import read as read_rules

log = logging.getLogger(__name__)

EXEMPLARS_DIR = ROOT / "data" / "safety" / "exemplars"
SETTINGS_FILE = ROOT / "data" / "safety" / "semantic.yml"
CACHE_DIR = SHARED_CACHE / "safety"
# Raise when the features or the network change, so cached fits are not reused.
MODEL_VERSION = 4

Label = Literal["emergency", "distress", "urgent", "none"]
LABELS: tuple[Label, ...] = ("emergency", "distress", "urgent", "none")
NONE_INDEX = 3
# Labels as the bank's writers and the blind sets spell them.
LABEL_NAMES: dict[str, Label] = {
    "emergency": "emergency",
    "self_harm_or_suicidal": "distress",
    "distress": "distress",
    "urgent": "urgent",
    "benign": "none",
    "none": "none",
}
Vector = npt.NDArray[np.float64]
_WORDS = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Exemplar:
    """One labelled message of the bank."""

    text: str
    lang: str
    label: Label
    sign: str
    source: str


@dataclass(frozen=True)
class Settings:
    """How the model is fitted and how its chances become a decision."""

    alert_at: float
    ask_at: float
    emergency_share: float
    overrule_at: float
    overrule_words: int
    neighbours: int
    hidden: int
    l2: float
    iterations: int
    learning_rate: float
    embedding_scale: float
    proximity_scale: float
    rule_weight: float
    smoothing: float
    seed: int


@dataclass(frozen=True)
class Reading:
    """The semantic layer's view of one message."""

    chances: dict[str, float]
    sign: str | None
    lang: str | None = None
    emergency_share: float = 0.3
    words: int = 0  # the message's words: a bare sign ("hypo") has no context to weigh

    @property
    def danger(self) -> float:
        """The chance that the message needs any safety reply."""
        return 1.0 - self.chances.get("none", 1.0)

    @property
    def category(self) -> Label:
        """The category of danger to answer: emergency when it holds a fair share of the
        danger (over-triage is the safer mistake), else the likelier of the other two."""
        danger = max(self.danger, 1e-9)
        if self.chances.get("emergency", 0.0) >= self.emergency_share * danger:
            return "emergency"
        if self.chances.get("distress", 0.0) >= self.chances.get("urgent", 0.0):
            return "distress"
        return "urgent"


@functools.cache
def settings() -> Settings:
    """The settings, from data/safety/semantic.yml."""
    data = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    return Settings(**{name: data[name] for name in Settings.__dataclass_fields__})


def load_exemplars(directory: Path = EXEMPLARS_DIR) -> list[Exemplar]:
    """Every labelled message of the bank, in file order, each text once."""
    bank: list[Exemplar] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            text = str(row["text"])
            if text in seen:
                continue
            seen.add(text)
            label = LABEL_NAMES[str(row["label"])]
            bank.append(
                Exemplar(
                    text=text,
                    lang=str(row.get("lang", "en")),
                    label=label,
                    sign=str(row.get("sign") or ("none" if label == "none" else label)),
                    source=path.stem,
                )
            )
    return bank


# ------------------------------------------------------------------ features

RULE_FEATURES = (
    "alert_emergency",
    "alert_distress",
    "alert_urgent",
    "ask_emergency",
    *(f"vetoed_{v}" for v in VETOES),
    "idiom",
)


def rule_features(reading: RuleReading, text: str) -> Vector:
    """What the rules read in a message, and the cues around it, as numbers."""
    values = [
        reading.action == "alert" and reading.category == "emergency",
        reading.action == "alert" and reading.category == "distress",
        reading.action == "alert" and reading.category == "urgent",
        reading.action == "ask",
        *(reading.vetoed_because(v) for v in VETOES),
        reading.idiom,
    ]
    return np.array([*(float(v) for v in values), *cues(text)], dtype=np.float64)


def proximity(
    vectors: Vector, bank: Vector, labels: npt.NDArray[np.int64], *, leave_out: bool
) -> Vector:
    """How much closer each message is to each category's three nearest exemplars than to
    the nearest ordinary ones (`leave_out`: the bank's own rows skip themselves)."""
    similarity = vectors @ bank.T
    if leave_out:
        np.fill_diagonal(similarity, -1.0)
    columns = []
    for index in range(len(LABELS)):
        block = similarity[:, labels == index]
        k = min(3, block.shape[1])
        nearest = -np.partition(-block, k - 1, axis=1)[:, :k] if k else np.zeros((len(vectors), 1))
        columns.append(nearest.mean(axis=1))
    near = np.vstack(columns).T
    result: Vector = near - near[:, [NONE_INDEX]]
    return result


@dataclass(frozen=True)
class Scaling:
    """The bank's centre and spread, to centre and scale every embedding."""

    mean: Vector
    spread: Vector


def features(
    vectors: Vector, proximity_rows: Vector, rule_rows: Vector, scaling: Scaling, config: Settings
) -> Vector:
    """The network's inputs, one row per message."""
    centred = (vectors - scaling.mean) / scaling.spread / np.sqrt(vectors.shape[1])
    return np.hstack(
        [
            centred * config.embedding_scale,
            proximity_rows * config.proximity_scale,
            rule_rows * config.rule_weight,
        ]
    )


# ------------------------------------------------------------------ the network


def _softmax(scores: Vector) -> Vector:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: Vector = exp / exp.sum(axis=1, keepdims=True)
    return result


@dataclass
class Network:
    """One hidden layer of rectified units, softmax over the four categories."""

    w1: Vector
    b1: Vector
    w2: Vector
    b2: Vector

    def chances(self, x: Vector) -> Vector:
        hidden = np.maximum(0.0, x @ self.w1 + self.b1)
        return _softmax(hidden @ self.w2 + self.b2)


def fit_network(x: Vector, y: npt.NDArray[np.int64], config: Settings) -> Network:
    """Full-batch Adam with each category weighing the same, and L2 on the weights."""
    rng = np.random.default_rng(config.seed)
    classes = len(LABELS)
    net = Network(
        rng.normal(0.0, 1.0 / np.sqrt(x.shape[1]), (x.shape[1], config.hidden)),
        np.zeros(config.hidden),
        rng.normal(0.0, 1.0 / np.sqrt(config.hidden), (config.hidden, classes)),
        np.zeros(classes),
    )
    counts = np.bincount(y, minlength=classes).astype(np.float64)
    weight = np.where(counts > 0, len(y) / (classes * np.maximum(counts, 1.0)), 0.0)[y][:, None]
    # Label smoothing keeps the chances short of 0 and 1 on text far from every exemplar.
    target = np.eye(classes)[y] * (1 - config.smoothing) + config.smoothing / classes
    params = [net.w1, net.b1, net.w2, net.b2]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    for step in range(1, config.iterations + 1):
        hidden = np.maximum(0.0, x @ net.w1 + net.b1)
        error = (_softmax(hidden @ net.w2 + net.b2) - target) * weight / len(y)
        back = error @ net.w2.T * (hidden > 0)
        grads = [
            x.T @ back + config.l2 * net.w1,
            back.sum(axis=0),
            hidden.T @ error + config.l2 * net.w2,
            error.sum(axis=0),
        ]
        for i, grad in enumerate(grads):
            first[i] = 0.9 * first[i] + 0.1 * grad
            second[i] = 0.999 * second[i] + 0.001 * grad * grad
            step_size = config.learning_rate * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)
            params[i] -= step_size * first[i] / (np.sqrt(second[i]) + 1e-8)
    return net


@dataclass
class SemanticModel:
    """The fitted network, the bank it measures closeness against, and its settings."""

    network: Network
    scaling: Scaling
    bank_vectors: Vector
    bank_labels: npt.NDArray[np.int64]
    bank: list[Exemplar]
    config: Settings

    @classmethod
    def fit(
        cls,
        bank: list[Exemplar],
        config: Settings,
        vectors: Matrix | Vector | None = None,
        rule_rows: Vector | None = None,
    ) -> SemanticModel:
        """Fit on a bank (vectors from the disk cache and rule rows computed unless given)."""
        if vectors is None:
            vectors = cached_embeddings([normalise(e.text) for e in bank])
        if rule_rows is None:
            rule_rows = np.vstack([rule_features(read_rules(e.text), e.text) for e in bank])
        v = np.asarray(vectors, dtype=np.float64)
        labels = np.array([LABELS.index(e.label) for e in bank], dtype=np.int64)
        scaling = Scaling(v.mean(axis=0), v.std(axis=0) + 1e-6)
        with all_cores_for_numpy():
            near = proximity(v, v, labels, leave_out=True)
            network = fit_network(features(v, near, rule_rows, scaling, config), labels, config)
        return cls(network, scaling, v, labels, bank, config)

    def chances_of(self, vectors: Matrix | Vector, rule_rows: Vector) -> Vector:
        """The four chances for messages already embedded, one row each."""
        v = np.asarray(vectors, dtype=np.float64).reshape(-1, self.bank_vectors.shape[1])
        near = proximity(v, self.bank_vectors, self.bank_labels, leave_out=False)
        return self.network.chances(features(v, near, rule_rows, self.scaling, self.config))

    def read_vectors(
        self, vectors: Matrix, rules: Sequence[RuleReading], texts: Sequence[str]
    ) -> list[Reading]:
        """The readings of messages already embedded, one per row."""
        v = np.asarray(vectors, dtype=np.float64).reshape(len(texts), -1)
        rows = np.vstack([rule_features(r, t) for r, t in zip(rules, texts, strict=True)])
        readings = []
        for vector, row, text in zip(v, self.chances_of(v, rows), texts, strict=True):
            chances: dict[str, float] = {label: float(row[i]) for i, label in enumerate(LABELS)}
            category = Reading(chances, None, None, self.config.emergency_share).category
            sign, lang = self._neighbours(vector, category)
            words = len(_WORDS.findall(text))
            readings.append(Reading(chances, sign, lang, self.config.emergency_share, words))
        return readings

    def read_vector(self, vector: Matrix, rules: RuleReading, text: str) -> Reading:
        """The reading of one message already embedded."""
        return self.read_vectors(vector, [rules], [text])[0]

    def _neighbours(self, vector: Vector, category: Label) -> tuple[str | None, str | None]:
        """The commonest sign among the nearest exemplars of the category, and the
        commonest language among the nearest exemplars of any kind."""
        similarity = self.bank_vectors @ vector
        k = self.config.neighbours
        nearest = np.argpartition(-similarity, k)[:k]
        nearest = nearest[np.argsort(-similarity[nearest])]
        same = np.flatnonzero(self.bank_labels == LABELS.index(category))
        kin = same[np.argsort(-similarity[same])[:k]] if len(same) else same
        langs = [self.bank[i].lang for i in nearest]
        signs = [self.bank[i].sign for i in kin]
        return _commonest(signs), _commonest(langs)

    def read(self, text: str, rules: RuleReading | None = None) -> Reading:
        """The reading of one message."""
        vector = embed([normalise(text)])
        return self.read_vector(vector, rules if rules is not None else read_rules(text), text)


def _commonest(items: list[str]) -> str | None:
    """The commonest item, the earliest one on a tie; None for none."""
    if not items:
        return None
    counts = Counter(items)
    return max(items, key=lambda s: (counts[s], -items.index(s)))


# ------------------------------------------------------------------ the process's model


def _fit_key(bank: Sequence[Exemplar], config: Settings) -> str:
    digest = hashlib.sha256(f"{MODEL_VERSION}:{model_fingerprint()}:".encode())
    digest.update(json.dumps(asdict(config), sort_keys=True).encode())
    digest.update((ROOT / "data" / "safety" / "signs.yml").read_bytes())
    for e in bank:
        digest.update(f"{e.text}\0{e.label}\0{e.sign}\0{e.lang}\n".encode())
    return digest.hexdigest()[:24]


def _load_fit(path: Path, model: SemanticModel) -> bool:
    try:
        with np.load(path) as saved:
            model.network = Network(saved["w1"], saved["b1"], saved["w2"], saved["b2"])
    except (OSError, KeyError, ValueError):
        return False
    return True


def _save_fit(path: Path, network: Network) -> None:
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{threading.get_ident()}.tmp.npz")
        np.savez(partial, w1=network.w1, b1=network.b1, w2=network.w2, b2=network.b2)
        partial.replace(path)
    except OSError:
        log.warning("safety model cache not writable; fitted in memory only")


_lock = threading.Lock()


@functools.cache
def _model() -> SemanticModel:
    bank = load_exemplars()
    config = settings()
    path = CACHE_DIR / f"{_fit_key(bank, config)}.npz"
    vectors = np.asarray(cached_embeddings([normalise(e.text) for e in bank]), dtype=np.float64)
    labels = np.array([LABELS.index(e.label) for e in bank], dtype=np.int64)
    scaling = Scaling(vectors.mean(axis=0), vectors.std(axis=0) + 1e-6)
    empty = Network(np.zeros((0, 0)), np.zeros(0), np.zeros((0, 0)), np.zeros(0))
    model = SemanticModel(empty, scaling, vectors, labels, bank, config)
    if path.exists() and _load_fit(path, model):
        log.info("safety semantic layer loaded exemplars=%d", len(bank))
        return model
    fitted = SemanticModel.fit(bank, config, vectors)
    _save_fit(path, fitted.network)
    log.info("safety semantic layer fitted exemplars=%d", len(bank))
    return fitted


def model() -> SemanticModel:
    """The model of this process: read from the cache, or fitted on first use."""
    with _lock:
        return _model()


def warm_up() -> None:
    """Load the embedding model and the fitted network now, not on the first message."""
    model().read("warm up")
