"""Extractive generator: quotes the retrieved sentences that best answer the question."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.answer.generator import Generator
from rag.answer.selection import choose
from rag.answer.types import Context, Evidence
from rag.config import AnswerConfig

# "..., he said." / "She added ..." : the sentence needs the one before it to name the speaker.
_NEEDS_ANTECEDENT = re.compile(
    r"\b(he|she|they)\s+(said|added|says|warned|told|noted|argued)\b|^\W*(he|she|they|this|that)\b",
    re.IGNORECASE,
)

_BRACKETED = re.compile(r"^\s*[(\[][^()\[\]]*[)\]]\W*$")  # "(Getty Images)"


class ExtractiveGenerator(Generator):
    """No model: the sentences that answer, each cited, in reading order.

    Near-instant, never invents anything, and the fallback when no LLM is available.
    It leads with the sentence most likely to carry the answer (the answer-sentence
    ranker's choice, else the best-scoring one) and adds those scoring within
    ``extractive_keep`` (0.85) of the best (at most ``max_sentences``), so a single strong
    sentence is not padded with weak ones (:func:`~rag.answer.selection.choose`); a
    sentence that only says "he said" brings the sentence before it, which names the
    speaker.
    """

    name = "extractive"

    def __init__(self, config: AnswerConfig | None = None):
        self.config = config or AnswerConfig()

    def generate(self, context: Context) -> Iterator[str]:
        config = self.config
        chosen = choose(context.evidence, config.extractive_keep, config.max_sentences)
        for evidence in list(chosen):
            if _NEEDS_ANTECEDENT.search(evidence.text):
                before = _previous(evidence, context)
                if before is not None and before not in chosen:
                    chosen.append(before)
        article = {i: p.article_id for i, p in enumerate(context.passages)}
        lead = article[chosen[0].passage]
        # reading order (the best sentence's article first) reads better than score order
        chosen.sort(key=lambda e: (article[e.passage] != lead, article[e.passage], e.start))
        for evidence in chosen[: config.max_sentences]:
            yield f"{evidence.text} [{evidence.passage + 1}]\n"


def _previous(evidence: Evidence, context: Context) -> Evidence | None:
    """The sentence just before ``evidence`` in the same article, if it was retrieved,
    passing over sentences wholly in brackets: a photo credit or an aside names no
    speaker."""
    article = context.passages[evidence.passage].article_id
    before = [
        e
        for e in context.evidence
        if context.passages[e.passage].article_id == article
        and e.end <= evidence.start
        and not _BRACKETED.match(e.text)
    ]
    return max(before, key=lambda e: e.end, default=None)
