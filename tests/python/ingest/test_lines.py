"""The line census: the same answer whatever the block size, for plain, quoted and broken CSV text."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from flowmetrics.ingest import lines
from flowmetrics.ingest.lines import census, line_texts

HEADER = b"id,title,team\n"
TEXT = (
    HEADER
    + b"".join(b"P-%d,plain,a\n" % i for i in range(50))  # lines 2-51
    + b'Q-1,"quoted, closed",a\n'  # 52
    + b'Q-2,"two\nlines",a\n'  # 53-54: one record
    + b"\n"  # 55: blank
    + b'Q-3,say "hi",a\n'  # 56: a quote inside an unquoted value is text
    + b'Q-4,"open,a\n'  # 57: opens a quote ...
    + b"".join(b"S-%d,swallowed,a\n" % i for i in range(30))  # 58-87
    + b'S-x,closed here",a\n'  # 88: ... that closes here
    + b"".join(b"R-%d,plain,a\n" % i for i in range(40))  # 89-128
    + b"L-1,last,a"  # 129: no line ending
)


@pytest.mark.parametrize("block", [5, 64, 1000, 1 << 22])
def test_census_is_the_same_for_every_block_size(tmp_path: Path, monkeypatch, block: int) -> None:
    monkeypatch.setattr(lines, "BLOCK_BYTES", block)
    path = tmp_path / "t.csv"
    path.write_bytes(TEXT)

    found = census(path)

    assert (found.lines, found.header_lines, found.records) == (129, 1, 50 + 4 + 40 + 1)
    assert list(found.blank_records) == [54]  # record numbers: header 1, the two-line record is 53
    assert list(zip(found.span_records, found.span_first, found.span_last, strict=True)) == [
        (53, 53, 54),
        (56, 57, 88),  # record 56: the two-line record before it shifts lines by one
    ]
    assert not found.unclosed_quote and not found.problems
    texts = [t for batch in line_texts(path, [(53, 54), (88, 89), (129, 129)], batch=2) for t in batch]
    assert texts == [
        (53, 'Q-2,"two'),
        (54, 'lines",a'),
        (88, 'S-x,closed here",a'),
        (89, "R-0,plain,a"),
        (129, "L-1,last,a"),
    ]


@pytest.mark.parametrize("block", [5, 1 << 22])
def test_crlf_gzip_and_an_unclosed_quote(tmp_path: Path, monkeypatch, block: int) -> None:
    monkeypatch.setattr(lines, "BLOCK_BYTES", block)
    path = tmp_path / "t.csv.gz"
    body = HEADER + b"".join(b"P-%d,plain,a\n" % i for i in range(20)) + b'U-1,"never closed,a\n' + b"X,y,z\n" * 5
    path.write_bytes(gzip.compress(body.replace(b"\n", b"\r\n")))

    found = census(path)

    assert (found.lines, found.records) == (27, 21)
    assert list(zip(found.span_records, found.span_first, found.span_last, strict=True)) == [(22, 22, 27)]
    assert found.unclosed_quote and not found.problems


def test_a_lone_lf_in_a_crlf_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"id,title,team\r\nA,b,c\r\nB,b,c\nC,b,c\r\nD,b,c\n")

    assert census(path).problems == (
        "t.csv: mixed line endings: line 1 ends with CRLF (\\r\\n) but line 3 does not (nor does 1 more line); "
        "save the file with one kind of line ending",
    )
