"""BatchMemo: only unseen inputs are computed, in one batch; the least recently used go first."""

import pytest

from rag.answer.evidence import EvidenceScorer
from rag.memo import BatchMemo


def counted(calls: list[list[str]]):
    def compute(texts: list[str]) -> list[str]:
        calls.append(list(texts))
        return [t.upper() for t in texts]

    return compute


def test_only_unseen_inputs_are_computed_in_one_batch():
    calls: list[list[str]] = []
    memo = BatchMemo(counted(calls), size=10)
    assert memo(["a", "b", "a"]) == ["A", "B", "A"]
    assert memo(["b", "c"]) == ["B", "C"]
    assert calls == [["a", "b"], ["c"]]


def test_the_least_recently_used_are_dropped_first():
    calls: list[list[str]] = []
    memo = BatchMemo(counted(calls), size=2)
    memo(["a", "b"])
    memo(["a"])  # a is now the most recent
    memo(["c"])  # b goes
    assert len(memo) == 2
    memo(["a", "b"])
    assert calls[-1] == ["b"]


def test_a_batch_larger_than_the_memo_is_still_answered_whole():
    memo = BatchMemo(counted([]), size=2)
    assert memo(["a", "b", "c", "d"]) == ["A", "B", "C", "D"]
    assert len(memo) == 2
    with pytest.raises(ValueError, match="size"):
        BatchMemo(counted([]), size=0)


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, embedder):
        self.embedder, self.texts = embedder, 0

    def embed(self, texts, progress=False):
        self.texts += len(texts)
        return self.embedder.embed(texts)

    def embed_query(self, text):
        return self.embedder.embed_query(text)


def test_evidence_met_again_is_not_embedded_again(sample, embedder):
    passages = sample.search("What did Peskov say about timelines?")
    counting = CountingEmbedder(embedder)
    scorer = EvidenceScorer(counting)
    first = scorer.score("What did Peskov say about timelines?", passages)
    embedded = counting.texts
    assert embedded >= len(first) > 0
    again = scorer.score("What did Peskov say about a quick settlement?", passages)
    assert counting.texts == embedded  # the same sentences: nothing embedded again
    fresh = EvidenceScorer(embedder).score(
        "What did Peskov say about a quick settlement?", passages
    )
    assert [(e.start, e.score) for e in again] == [(e.start, e.score) for e in fresh]


def test_an_answerer_that_forgets_embeds_its_passages_again(sample, embedder):
    from rag.answer.answerer import Answerer

    counting = CountingEmbedder(embedder)
    answerer = sample.answerer("extractive")
    answerer = Answerer(sample.retriever, EvidenceScorer(counting), answerer.generator)
    answerer.answer("What did Peskov say about timelines?")
    embedded = counting.texts
    answerer.answer("What did Peskov say about timelines?")
    assert counting.texts == embedded  # remembered
    answerer.forget()
    answerer.answer("What did Peskov say about timelines?")
    assert counting.texts == 2 * embedded  # as if new
