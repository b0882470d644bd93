"""Syndicated copies of one story: near-duplicate articles grouped by MinHash (datasketch)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from rag.text import content_terms

NUM_PERM = 128
SCHEME = "affine32"  # named, so stored signatures stay valid across datasketch versions
SHINGLE = 5  # words per shingle
THRESHOLD = 0.8  # estimated Jaccard similarity of shingles at which two articles are one story
CANDIDATES = 0.5  # LSH's own threshold: low, so pairs just above THRESHOLD are not missed
_WORD = re.compile(r"\w+")


def signatures(texts: Sequence[str]) -> np.ndarray:
    """One MinHash signature (``NUM_PERM`` uint64) per text, over its 5-word shingles
    (lower-cased words; a text shorter than 5 words is one shingle)."""
    from datasketch import MinHash

    rows = np.zeros((len(texts), NUM_PERM), dtype=np.uint64)
    for i, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        shingles = {
            " ".join(words[j : j + SHINGLE]) for j in range(max(1, len(words) - SHINGLE + 1))
        }
        signature = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
        signature.update_batch([s.encode("utf-8") for s in shingles])
        rows[i] = signature.hashvalues
    return rows


def group(
    signatures: np.ndarray, published: Sequence[str | None], titles: Sequence[str]
) -> np.ndarray:
    """Each article's story: the row of its story's first-published member (an undated
    article counts as the latest); an article with no copy is its own story.

    Candidate pairs come from MinHash LSH (banded for 0.5, so few pairs near the threshold
    are missed), and a pair is one story when its estimated Jaccard similarity is at least
    ``THRESHOLD`` (0.8: syndicated copies, a wire story with
    a different headline or byline; a follow-up story on the same event shares far less)
    and their titles share a content word: pages whose extracted text is one site's
    boilerplate are alike in text only, and stay apart.
    """
    from datasketch import MinHash, MinHashLSH

    count = len(signatures)
    root = np.arange(count)  # each article's group: the first member, never a chain
    if count < 2:
        return root
    topics = _distinctive(titles)

    def alike(a: int, b: int) -> bool:
        same_text = np.mean(signatures[a] == signatures[b]) >= THRESHOLD
        return bool(same_text and topics[a] & topics[b])

    lsh = MinHashLSH(threshold=CANDIDATES, num_perm=NUM_PERM)
    for i, row in enumerate(signatures):
        signature = MinHash(num_perm=NUM_PERM, seed=1, hashvalues=row, scheme=SCHEME)
        # join the first group whose founding member this article is a copy of
        for j in sorted(lsh.query(signature)):
            if alike(i, int(root[j])):
                root[i] = root[j]
                break
        lsh.insert(i, signature)
    order = sorted(range(count), key=lambda i: (published[i] or "9999", i))
    first: dict[int, int] = {}
    for i in order:
        first.setdefault(int(root[i]), i)
    return np.array([first[int(r)] for r in root])


def _distinctive(titles: Sequence[str]) -> list[set[str]]:
    """Each title's content words, without those most titles share (a site's name)."""
    terms = [content_terms(t) for t in titles]
    frequency = Counter(word for words in terms for word in words)
    common = max(5, len(titles) // 100)
    return [{w for w in words if frequency[w] <= common} for words in terms]
