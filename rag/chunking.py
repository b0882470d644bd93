"""Token-aware chunking on sentence boundaries, keeping each chunk's offsets in its article."""

from __future__ import annotations

from dataclasses import dataclass

from rag.config import ChunkingConfig
from rag.text import is_heading, split_sentences, trim
from rag.tokens import count_tokens, encoding
from rag.types import Article, Chunk


@dataclass(frozen=True)
class Unit:
    """A sentence, bullet or heading line: the smallest piece a chunk is built from."""

    start: int
    end: int
    tokens: int
    leads: bool  # a heading or "...:" lead-in, which belongs with what follows it


def units(text: str) -> list[Unit]:
    """Split an article into sentence, bullet and heading units with exact offsets."""
    result: list[Unit] = []
    offset = 0
    for line in text.split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        if not line.strip():
            continue
        if is_heading(line):
            s, e = trim(text, line_start, line_end)
            result.append(Unit(s, e, count_tokens(text[s:e]), True))
            continue
        for s, e in split_sentences(text, line_start, line_end):
            result.append(Unit(s, e, count_tokens(text[s:e]), False))
    return result


def _split_long(text: str, unit: Unit, limit: int) -> list[Unit]:
    """Cut a unit longer than ``limit`` tokens at token boundaries (rare: run-on lines)."""
    tokens = encoding().encode_ordinary(text[unit.start : unit.end])
    pieces, cursor = [], unit.start
    for i in range(0, len(tokens), limit):
        piece = encoding().decode(tokens[i : i + limit])
        end = min(cursor + len(piece), unit.end)
        if i + limit >= len(tokens):
            end = unit.end
        s, e = trim(text, cursor, end)
        if e > s:
            pieces.append(Unit(s, e, count_tokens(text[s:e]), False))
        cursor = end
    return pieces


class Chunker:
    """Packs whole sentences into chunks of at most ``config.tokens`` tokens (cl100k_base).

    Consecutive chunks share up to ``config.overlap`` tokens of whole sentences so a fact split
    across a boundary is still found whole. Headings and lead-in lines never end a chunk:
    they move to the chunk they introduce. A trailing chunk of under a quarter of ``size``
    is merged into the one before it rather than left as an orphan.
    """

    def __init__(self, config: ChunkingConfig | None = None):
        config = config or ChunkingConfig()  # validated there: size >= 16, overlap < size / 2
        self.size, self.overlap = config.tokens, config.overlap

    def split(self, article: Article) -> list[Chunk]:
        text = article.text
        pieces: list[Unit] = []
        for unit in units(text):
            pieces.extend(_split_long(text, unit, self.size) if unit.tokens > self.size else [unit])
        groups = self._pack(pieces)
        return [
            Chunk(article.id, group[0].start, group[-1].end, text[group[0].start : group[-1].end])
            for group in groups
        ]

    def _pack(self, pieces: list[Unit]) -> list[list[Unit]]:
        groups: list[list[Unit]] = []
        current: list[Unit] = []
        shared = 0  # how many leading units of ``current`` repeat the previous chunk
        for piece in pieces:
            if len(current) > shared and _total(current) + piece.tokens > self.size:
                carry = _pop_leading(current, shared, self.size // 2)
                groups.append(current)
                tail = self._overlap_tail(current)
                current, shared = tail + carry, len(tail)
            current.append(piece)
        fresh = current[shared:]
        if fresh:
            if groups and _total(fresh) < self.size // 4:
                groups[-1].extend(fresh)
            else:
                groups.append(current)
        return groups

    def _overlap_tail(self, group: list[Unit]) -> list[Unit]:
        tail: list[Unit] = []
        for unit in reversed(group[1:]):
            if unit.leads or _total(tail) + unit.tokens > self.overlap:
                break
            tail.insert(0, unit)
        return tail


def _total(group: list[Unit]) -> int:
    return sum(u.tokens for u in group) + max(len(group) - 1, 0)


def _pop_leading(group: list[Unit], shared: int, limit: int) -> list[Unit]:
    """Move trailing heading/lead-in units off ``group`` so they start the next chunk.

    Only while ``group`` keeps a sentence of its own past its ``shared`` overlap, and at
    most ``limit`` tokens: a long run of headline-like lines (a scraped link list) is
    chunked as it stands instead.
    """
    carry: list[Unit] = []
    while group[-1].leads and _total(carry) + group[-1].tokens <= limit:
        if not any(not u.leads for u in group[shared:-1]):
            break
        carry.insert(0, group.pop())
    return carry
