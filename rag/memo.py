"""A batched function's results remembered per input: the sentences of passages met again
(follow-ups, popular stories) are not embedded or tagged again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

# Sentences whose vectors, and whose entities, are kept (~30 MB of 384-d vectors): a few
# hundred stories' worth of passages.
SENTENCES_REMEMBERED = 20_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchMemo(Generic[K, V]):
    """``compute`` (inputs in, one result per input out) with its last ``size`` results
    kept, least recently used dropped first. A call computes only the inputs it has not
    seen, in one batch, so a batched model keeps its batching. Thread-safe; two callers
    that miss the same input at once both compute it (the results are the same).
    """

    def __init__(self, compute: Callable[[list[K]], Sequence[V]], size: int):
        if size < 1:
            raise ValueError(f"size must be at least 1 (got {size}).")
        self.compute, self.size = compute, size
        self._kept: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, inputs: Sequence[K]) -> list[V]:
        found: dict[K, V] = {}
        with self._lock:
            for key in inputs:
                if key in self._kept:
                    self._kept.move_to_end(key)
                    found[key] = self._kept[key]
        missing = [key for key in dict.fromkeys(inputs) if key not in found]
        if missing:
            computed = dict(zip(missing, self.compute(missing), strict=True))
            found.update(computed)
            with self._lock:
                self._kept.update(computed)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return [found[key] for key in inputs]

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
