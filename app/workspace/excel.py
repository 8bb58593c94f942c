"""Excel files that open as a person expects: a frozen header row, column widths, dates as dates, numbers
as numbers. Written with XlsxWriter in ``constant_memory`` mode, one row at a time to a temporary file, so
a 50,000-row export holds one row in memory, not the sheet."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import xlsxwriter

from app.calendar.workdays import SHANGHAI

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Kind = Literal["text", "datetime", "date", "int", "number", "percent"]


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: Kind = "text"


FORMATS: dict[Kind, dict[str, Any]] = {
    "text": {},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm"},
    "date": {"num_format": "yyyy-mm-dd"},
    "int": {"num_format": "0"},
    "number": {"num_format": "0.0"},
    "percent": {"num_format": "0.0%"},
}


def _cell(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        # Excel has no time zones: the wall time in Asia/Shanghai, as the pages show it.
        return value.astimezone(SHANGHAI).replace(tzinfo=None)
    return value


def _write(worksheet: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    if value is None:
        worksheet.write_blank(r, c, None, fmt)
    elif isinstance(value, datetime):
        worksheet.write_datetime(r, c, value, fmt)
    elif isinstance(value, date):
        worksheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        worksheet.write_number(r, c, value, fmt)
    else:
        worksheet.write_string(r, c, str(value), fmt)


async def write_xlsx(sheet: str, columns: Sequence[Column], rows: AsyncIterable[Sequence[Any]]) -> str:
    """Write ``rows`` to a new temporary .xlsx file and return its path (the caller deletes it)."""
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="jiefen-")
    os.close(fd)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
    try:
        worksheet = workbook.add_worksheet(sheet)
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        formats = {kind: workbook.add_format(spec) for kind, spec in FORMATS.items()}
        for i, column in enumerate(columns):
            worksheet.set_column(i, i, column.width, formats[column.kind])
            worksheet.write_string(0, i, column.header, header)
        worksheet.freeze_panes(1, 0)
        n = 0
        async for row in rows:
            n += 1
            for i, (value, column) in enumerate(zip(row, columns, strict=True)):
                _write(worksheet, n, i, _cell(value, column.kind), formats[column.kind])
        if n:
            worksheet.autofilter(0, 0, n, len(columns) - 1)
        workbook.close()
    except BaseException:
        os.unlink(path)
        raise
    return path


async def file_chunks(path: str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """The file's bytes for a streamed response, then the file is removed."""
    try:
        with open(path, "rb") as f:  # noqa: ASYNC230 - a local temporary file, read in small chunks
            while chunk := f.read(chunk_size):
                yield chunk
    finally:
        os.unlink(path)
