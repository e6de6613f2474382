"""Streaming CSV decoding of one archive member, strict about bytes, exact about values.

Lines are split on bytes and decoded one by one, so a bad UTF-8 byte is reported with its line;
line endings are kept, so CR/LF inside quoted values arrive byte-exact (the `newline=''` rule).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from s3_export_core.archive import ARCHIVE_ERRORS, damaged
from s3_export_core.errors import ExportError

# Some exports hold multi-megabyte notes in one cell; the stdlib default is 128 KiB.
FIELD_SIZE_LIMIT = 512 * 1024 * 1024
csv.field_size_limit(FIELD_SIZE_LIMIT)

BOM = b"\xef\xbb\xbf"
READ_BYTES = 1024 * 1024
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class LineCounter:
    """Counts physical lines handed to csv.reader (csv's own line_num lags on errors)."""

    def __init__(self) -> None:
        self.lines = 0
        # Set once any line holds a NUL byte, so rows are only scanned for NUL when needed.
        self.nul_seen = False


def _decoded_lines(binary: Iterable[bytes], where: str, counter: LineCounter) -> Iterator[str]:
    try:
        # The try around the loop costs nothing per line; it catches the decompressor's errors.
        for line in binary:
            counter.lines += 1
            raw = _first_line(line, where) if counter.lines == 1 else line
            if b"\x00" in raw:
                counter.nul_seen = True
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                snippet = raw[max(exc.start - 20, 0) : exc.end + 20]
                msg = (
                    f"{where}, line {counter.lines}: invalid UTF-8 byte "
                    f"{raw[exc.start : exc.end]!r} at byte {exc.start} of the line (near "
                    f"{snippet!r}); the member must be UTF-8"
                )
                raise ExportError(msg) from exc
    except ARCHIVE_ERRORS as exc:
        raise archive_failure(where, counter, exc) from exc


def archive_failure(where: str, counter: LineCounter, exc: BaseException) -> ExportError:
    """The error for a member whose bytes could not be read after `counter.lines` lines."""
    done = f"after line {counter.lines}" if counter.lines else "before its first line"
    return damaged(f"{where}, {done}", exc)


def _first_line(raw: bytes, where: str) -> bytes:
    if raw.startswith(UTF16_BOMS):
        msg = f"{where}, line 1: the member is UTF-16 text (byte order mark {raw[:2]!r}), not UTF-8"
        raise ExportError(msg)
    return raw[len(BOM) :] if raw.startswith(BOM) else raw


class MemberBuffer(io.BufferedReader):
    """A member's bytes in 1 MiB reads, the same for the row path and the block reader."""


def buffered(binary: BinaryIO) -> BinaryIO:
    """Fast line iteration: ZipExtFile's own readline is pure Python.

    Every member gets its own 1 MiB buffer (a tar member is a BufferedReader of 8 KiB), so the
    row path and the block reader read it in the same pieces: a damaged archive fails at the
    same line whichever path reads it.
    """
    if isinstance(binary, MemberBuffer):
        return binary
    # typeshed's raw-stream protocol names readinto/truncate, which typing.BinaryIO lacks (the
    # members read here, ZipExtFile and GzipFile, have them).
    return MemberBuffer(binary, buffer_size=READ_BYTES)  # type: ignore[arg-type]


def iter_csv(
    binary: BinaryIO, where: str, counter: LineCounter | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line of the record, fields) for every CSV record, header included."""
    return iter_csv_lines(buffered(binary), where, counter or LineCounter())


def iter_csv_lines(
    lines: Iterable[bytes], where: str, counter: LineCounter
) -> Iterator[tuple[int, list[str]]]:
    """`iter_csv` over lines of bytes (each with its line end) that continue `counter`."""
    reader = csv.reader(_decoded_lines(lines, where, counter), strict=True)
    while True:
        start_line = counter.lines + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            msg = f"{where}, line {counter.lines}: malformed CSV: {exc}"
            raise ExportError(msg) from exc
        yield start_line, row
