"""CSV as the bundle holds it: UTF-8, a header row, `\n` line ends, empty cell for none."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from gateway.handover.envelope import BundleError


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return out.getvalue().encode("utf-8")


def csv_records(name: str, data: bytes, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of a CSV file of the bundle; BundleError when its header lacks a column."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise BundleError(f"{name}: the header lacks column(s) {', '.join(missing)}")
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BundleError(f"{name}: not a readable CSV file: {exc}") from None
