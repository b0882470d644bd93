"""An answer streamed to a terminal: the draft as it is written, replaced in place by each
verified sentence (or struck through when withdrawn); plain verified text when piped."""

from __future__ import annotations

import shutil
from typing import TextIO

from rag.answer import Delta, Draft, Event, Withdrawn
from rag.text import terminal_safe

_DIM, _STRUCK, _RESET = "\x1b[2m", "\x1b[2;9m", "\x1b[0m"


class StreamPrinter:
    """Prints :class:`Answerer` stream events to ``out``.

    On a terminal (``live``), the unverified draft shows dimmed after the verified text and
    is rewritten in place as it grows; a withdrawn sentence shows struck through until the
    next draft replaces it. Piped output (``live`` False) gets verified sentences only, so a
    script never reads text the answer does not keep.
    """

    def __init__(self, out: TextIO, live: bool):
        self.out, self.live = out, live
        self.column = 0  # where the cursor stands after the verified text
        self.shown = 0  # characters of draft on screen after it
        self.withdrawn = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Delta):
            self._erase()
            text = terminal_safe(event.text)
            self.out.write(text)
            self.column = _column_after(self.column, text)
        elif isinstance(event, Withdrawn):
            self.withdrawn += 1
            self._draft(event.text, _STRUCK)
        elif isinstance(event, Draft):
            self._draft(event.text, _DIM)
        self.out.flush()

    def finish(self) -> None:
        """Erase any draft left on screen (the answer ended, or was stopped)."""
        self._erase()
        self.out.flush()

    def _draft(self, text: str, style: str) -> None:
        if not self.live:
            return
        self._erase()
        text = terminal_safe(text)
        if self.column:
            text = " " + text
        self.out.write(f"{style}{text}{_RESET}")
        self.shown = len(text)

    def _erase(self) -> None:
        """Back to where the verified text ends, and clear the rest of the screen: the
        draft may have wrapped onto the next lines."""
        if not self.shown:
            return
        width = max(shutil.get_terminal_size().columns, 1)
        rows_up = (self.column + self.shown - 1) // width - self.column // width
        if rows_up > 0:
            self.out.write(f"\x1b[{rows_up}A")
        self.out.write(f"\x1b[{self.column % width + 1}G\x1b[J")
        self.shown = 0


def _column_after(column: int, text: str) -> int:
    """The cursor's column (counted unwrapped) after writing ``text`` from ``column``."""
    if "\n" in text:
        return len(text) - text.rindex("\n") - 1
    return column + len(text)
