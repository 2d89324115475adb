"""Account for a CSV file's physical lines independently of DuckDB's reader.

One streaming pass (through gzip too) reads the file as bytes and follows its quoting record by record, as a
strict RFC-4180 reader does: a quote opens a value only at the start of a field, ``""`` inside one is a quote,
the next lone quote closes it. It keeps only the exceptions (records over several lines, blank lines), so a
10-million-line file costs a few numbers, and it finds what makes a file unreadable as a whole: a truncated
gzip stream or mixed line endings. Ingest compares the reader's rows with it, so every physical line ends up
read or quarantined, and takes the text of quarantined lines from the file itself.
"""

from __future__ import annotations

import gzip
import re
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK_BYTES = 1 << 22
QUOTE, COMMA, SPACE = 34, b",", 32
# A whole record on one line: fields unquoted (a quote inside is text) or quoted and closed on the line.
_FIELD = rb'(?: *"[^"\r\n]*(?:""[^"\r\n]*)*" *|(?! *")[^,\r\n]*)'
_ONE_LINE_RECORD = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*")
_ENDING_NAMES = {b"\r\n": "CRLF (\\r\\n)", b"\n": "LF (\\n)", b"\r": "CR (\\r)"}


@dataclass(frozen=True)
class Census:
    """What one CSV file holds, line by line. Records are numbered as DuckDB numbers lines in its rejects:
    the header is 1 and every later record or blank line adds one, whatever the lines a record spans."""

    lines: int  # physical lines, the header's included
    header_lines: int
    records: int  # data records a reader should produce (blank lines excluded)
    blank_records: array  # record numbers of blank lines (a reader skips them)
    span_records: array  # record numbers of data records over more than one physical line ...
    span_first: array  # ... their first physical line (header = line 1) ...
    span_last: array  # ... and their last
    unclosed_quote: bool  # the last span is a quote that never closed before the end of the file
    problems: tuple[str, ...]  # why the file cannot be read at all (nothing is loaded)

    @property
    def data_lines(self) -> int:
        return self.lines - self.header_lines


def _close(content: bytes, start: int) -> int:
    """The index after the quote that closes a quoted value open at ``start``, or -1 if the line has none."""
    i = start
    while True:
        q = content.find(b'"', i)
        if q < 0:
            return -1
        if q + 1 < len(content) and content[q + 1] == QUOTE:
            i = q + 2
            continue
        return q + 1


def _after_value(content: bytes, end: int) -> int:
    """Where the next field starts after a quoted value ending at ``end``; -1 at the end of the record
    (also when something other than spaces follows the closing quote: the reader gives up on the line)."""
    comma = content.find(COMMA, end)
    if comma < 0 or content[end:comma].strip(b" "):
        return -1
    return comma + 1


def _still_quoted(content: bytes, in_quote: bool) -> bool:
    """Whether a quoted value is still open at the end of this line (``in_quote``: open at its start)."""
    pos = 0
    if in_quote:
        end = _close(content, 0)
        if end < 0:
            return True
        pos = _after_value(content, end)
        if pos < 0:
            return False
    n = len(content)
    while True:
        p = pos
        while p < n and content[p] == SPACE:
            p += 1
        if p < n and content[p] == QUOTE:
            end = _close(content, p + 1)
            if end < 0:
                return True
            pos = _after_value(content, end)
            if pos < 0:
                return False
        else:
            comma = content.find(COMMA, pos)
            if comma < 0:
                return False
            pos = comma + 1


def _split_ending(line: bytes) -> tuple[bytes, bytes]:
    if line.endswith(b"\r\n"):
        return line[:-2], b"\r\n"
    if line.endswith((b"\n", b"\r")):
        return line[:-1], line[-1:]
    return line, b""


def _first_line(block: bytes) -> tuple[bytes, bytes]:
    """The block's first line with its ending (CRLF, LF or CR, as bytes.splitlines splits), and the rest."""
    ends = [i for i in (block.find(b"\n"), block.find(b"\r")) if i >= 0]
    if not ends:
        return block, b""
    end = min(ends)
    end += 2 if block[end : end + 2] == b"\r\n" else 1
    return block[:end], block[end:]


class _Scanner:
    def __init__(self, name: str) -> None:
        self.name = name
        self.lines = 0
        self.header_lines = 0
        self.record = 0  # the number of the record being read (header = 1)
        self.records = 0
        self.in_quote = False
        self.first = 0  # first physical line of the record being read
        self.ending = b""  # the file's line ending, from the header's
        self.mixed: list[int] = []
        self.blank = array("q")
        self.span_records, self.span_first, self.span_last = array("q"), array("q"), array("q")

    def feed(self, block: bytes) -> None:
        """Whole lines (the last one may lack its ending only at the end of the file)."""
        while block and not self.header_lines:  # the header line by line, then the rest of its block as any
            line, block = _first_line(block)
            self._line(line)
        if not block:
            return
        if self._plain(block):
            n = block.count(self.ending)
            if not block.endswith(self.ending):
                n += 1
            self.lines += n
            self.record += n
            self.records += n
            return
        for line in block.splitlines(keepends=True):
            self._line(line)

    def _plain(self, block: bytes) -> bool:
        """True when every line of the block is one record: no blank line, one kind of ending, and every quoted
        value closes on its line."""
        if self.in_quote or not self.header_lines:
            return False
        ending = self.ending
        if ending == b"\n":
            uniform = b"\r" not in block
        elif ending == b"\r\n":
            crlf = block.count(b"\r\n")
            uniform = block.count(b"\n") == crlf and block.count(b"\r") == crlf
        else:
            uniform = b"\n" not in block
        if not uniform or block.startswith(ending) or ending + ending in block:
            return False
        if b'"' not in block:
            return True
        one_line = _ONE_LINE_RECORD.fullmatch
        return all(b'"' not in line or one_line(line) for line in block.split(ending))

    def _line(self, line: bytes) -> None:
        self.lines += 1
        content, ending = _split_ending(line)
        if not self.in_quote:
            self.first = self.lines
            self.record += 1
            if not content and self.header_lines:
                self.blank.append(self.record)
                self._check_ending(ending)
                return
        if self.in_quote:
            self.in_quote = _still_quoted(content, True)
        elif b'"' in content and _ONE_LINE_RECORD.fullmatch(content) is None:
            self.in_quote = _still_quoted(content, False)
        if self.in_quote:
            return
        self._end_record(ending)

    def _end_record(self, ending: bytes) -> None:
        if not self.header_lines:
            self.header_lines = self.lines
            self.ending = ending or b"\n"
            return
        self.records += 1
        if self.lines > self.first:
            self.span_records.append(self.record)
            self.span_first.append(self.first)
            self.span_last.append(self.lines)
        self._check_ending(ending)

    def _check_ending(self, ending: bytes) -> None:
        if ending and ending != self.ending:
            self.mixed.append(self.lines)

    def finish(self, problems: list[str]) -> Census:
        unclosed = self.in_quote
        if unclosed:  # the quote ran to the end of the file: the rest is one (unreadable) record
            self.in_quote = False
            if not self.header_lines:
                self.header_lines = self.lines
            else:
                self._end_record(b"")
        if self.mixed:
            others = len(self.mixed) - 1
            more = f" (nor do {others:,} more lines)" if others > 1 else " (nor does 1 more line)" if others else ""
            problems.append(
                f"{self.name}: mixed line endings: line 1 ends with {_ENDING_NAMES[self.ending]} but line "
                f"{self.mixed[0]:,} does not{more}; save the file with one kind of line ending"
            )
        return Census(
            lines=self.lines,
            header_lines=self.header_lines,
            records=self.records,
            blank_records=self.blank,
            span_records=self.span_records,
            span_first=self.span_first,
            span_last=self.span_last,
            unclosed_quote=unclosed and len(self.span_records) > 0 and self.span_last[-1] == self.lines,
            problems=tuple(problems),
        )


def _blocks(path: Path) -> Iterator[bytes]:
    """The file (decompressed) in blocks of whole lines; the last block may end without a line ending."""
    opener = gzip.open if path.name.endswith(".gz") else open
    carry = b""
    with opener(path, "rb") as fh:
        while block := fh.read(BLOCK_BYTES):
            data = carry + block
            cut = data.rfind(b"\n")
            if cut < 0:
                cut = data.rfind(b"\r", 0, len(data) - 1)  # a final \r may be the first half of \r\n
            if cut < 0:
                carry = data
                continue
            carry = data[cut + 1 :]
            yield data[: cut + 1]
    if carry:
        yield carry


def census(path: Path) -> Census:
    """Count and classify the physical lines of the CSV (or gzip-compressed CSV) file at ``path``."""
    scanner = _Scanner(path.name)
    problems: list[str] = []
    try:
        for block in _blocks(path):
            scanner.feed(block)
    except EOFError:
        problems.append(
            f"{path.name}: the gzip stream is truncated: the file ends after line {scanner.lines:,} without "
            "the end-of-stream marker; copy or export it again"
        )
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        problems.append(f"{path.name}: cannot be decompressed after line {scanner.lines:,} ({exc})")
    return scanner.finish(problems)


def line_texts(path: Path, ranges: list[tuple[int, int]], batch: int = 50_000) -> Iterator[list[tuple[int, str]]]:
    """The text of the physical lines in ``ranges`` (inclusive, sorted), in batches, without line endings.
    Bytes that are not UTF-8 show as \\xNN escapes, so nothing is altered silently."""
    if not ranges:
        return
    out: list[tuple[int, str]] = []
    number, r = 0, 0
    first, last = ranges[0]
    for block in _blocks(path):
        n = block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
        n += 0 if block.endswith((b"\n", b"\r")) else 1
        if number + n < first:
            number += n
            continue
        for line in block.splitlines(keepends=True):
            number += 1
            if number < first:
                continue
            out.append((number, _split_ending(line)[0].decode("utf-8", "backslashreplace")))
            if len(out) >= batch:
                yield out
                out = []
            if number == last:
                r += 1
                if r == len(ranges):
                    if out:
                        yield out
                    return
                first, last = ranges[r]
    if out:
        yield out
