"""Importing a file: the first sheet streamed (:mod:`.sheet`, openpyxl read-only as the fallback; a large file read by
a second process, :func:`_rows_in_process`), the header row mapped by name (any column order;
unknown, duplicate or missing required headers reject the whole file), the hint row skipped, and the rows
sent in chunks to :class:`~gridgov.registry.excel.rows.RowImporter`."""

from __future__ import annotations

import multiprocessing
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from queue import Empty

from django.utils.translation import gettext as _
from lxml import etree
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from gridgov.core.errors import Forbidden, ValidationFailed
from gridgov.registry.excel.cells import as_text
from gridgov.registry.excel.columns import (
    REPORT_HEADERS,
    Column,
    FileRejected,
    check_kind,
    columns,
    key_categories,
    norm_header,
)
from gridgov.registry.excel.report import ImportReport
from gridgov.registry.excel.rows import RowImporter
from gridgov.registry.excel.sheet import open_rows, read_into, rebuild_error
from gridgov.registry.services.access import can_write

READER_PROCESS_BYTES = 1 << 20  # files from 1 MB (about 13,000 plain rows) are read by a second process
READER_BATCH = 1000  # rows a message from the reader process
READER_QUEUE = 4  # messages in flight at most
CHUNK_SIZE = 2000  # rows per transaction (queries per chunk do not grow with it); a per-row row has its own savepoint


def _map_headers(kind: str, header_row: tuple, cols: list[Column]) -> dict[str, int]:
    """Column key → index. Unknown, duplicate or missing required headers reject the file."""
    wanted = {}
    for col in cols:
        for name in {col.header, col.title}:
            wanted[norm_header(name)] = col
    ignored = {norm_header(h) for h in REPORT_HEADERS} | {norm_header(_(h)) for h in REPORT_HEADERS}
    positions: dict[str, int] = {}
    problems: list[str] = []
    for i, raw in enumerate(header_row):
        name = norm_header(raw)
        if not name or name in ignored:
            continue
        col = wanted.get(name)
        if col is None:
            problems.append(_("第%(c)s列的列名“%(h)s”无法识别") % {"c": get_column_letter(i + 1), "h": as_text(raw)})
        elif col.key in positions:
            problems.append(_("列名“%(h)s”重复") % {"h": as_text(raw)})
        else:
            positions[col.key] = i
    missing = [c.title for c in cols if c.required and c.key not in positions]
    if missing:
        problems.insert(0, _("缺少必需的列：%(m)s") % {"m": "、".join(missing)})
    if problems:
        raise FileRejected(problems)
    return positions


def _is_hint_row(row: tuple, positions: dict[str, int], cols: list[Column]) -> bool:
    by_key = {c.key: c for c in cols}
    seen = False
    for key, i in positions.items():
        value = as_text(row[i]) if i < len(row) else ""
        if not value:
            continue
        hint = by_key[key].hint
        if not hint or value not in (hint, _(hint)):
            return False
        seen = True
    return seen


def _open(path_or_file):
    try:
        return load_workbook(path_or_file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected([_("无法读取文件，请上传Excel 2007及以上版本的.xlsx文件（%(e)s）") % {
            "e": type(exc).__name__}]) from exc


def _check_archive(path_or_file) -> None:
    """Every part of the file read through once and checked against its CRC before anything is written, so that
    a truncated or damaged file is refused whole rather than found broken half-way through the import."""
    try:
        with zipfile.ZipFile(path_or_file) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        bad = type(exc).__name__
    finally:
        if hasattr(path_or_file, "seek"):
            path_or_file.seek(0)
    if bad is not None:
        raise FileRejected([_("无法读取文件，请上传Excel 2007及以上版本的.xlsx文件（%(e)s）") % {"e": bad}])


def _file_path(path_or_file) -> str | None:
    """The file's path when it has one (a path, or an upload Django keeps in a temporary file)."""
    if isinstance(path_or_file, (str, Path)):
        return str(path_or_file)
    temporary = getattr(path_or_file, "temporary_file_path", None)
    return temporary() if temporary is not None else None


def _rows(path_or_file, reader_process: bool | None = None) -> Iterator[tuple]:
    """The first sheet's rows: by the streaming reader of :mod:`.sheet`, or by openpyxl when that one cannot read
    the workbook's structure (openpyxl then rejects the file or reads it).  A file of READER_PROCESS_BYTES or
    more that has a path is read by the streaming reader in a second process (``reader_process`` forces the
    choice; see :func:`_rows_in_process`)."""
    _check_archive(path_or_file)
    path = _file_path(path_or_file)
    if path is not None and not multiprocessing.current_process().daemon and (reader_process if reader_process is not None
                             else Path(path).stat().st_size >= READER_PROCESS_BYTES):
        return _rows_in_process(path)
    rows = open_rows(path_or_file)
    if rows is not None:
        return rows
    if hasattr(path_or_file, "seek"):
        path_or_file.seek(0)
    return _openpyxl_rows(path_or_file)


def _rows_in_process(path: str) -> Iterator[tuple]:
    """The rows of :func:`.sheet.open_rows`, read (XML parsing and cell typing) by a second process while this one
    checks and writes them: lists of READER_BATCH rows through a queue of at most READER_QUEUE lists, so memory
    stays bounded whatever the file and the reader waits when the import is behind.  Nothing else changes: the
    rows come in file order and every row is handled here; a sheet that breaks off raises the reader's error
    after the rows read before it, where the in-process reader would; a workbook whose structure the streaming
    reader cannot read goes to openpyxl in this process.  The process is started with ``spawn`` (no copy of
    this process's threads, connections or locks) and ended when the rows are closed."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=READER_QUEUE)
    reader = context.Process(target=read_into, args=(path, queue, READER_BATCH), daemon=True)
    reader.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=5)
            except Empty:
                if not reader.is_alive():
                    raise OSError(f"the sheet reader process ended (exit code {reader.exitcode})") from None
                continue
            if kind == "rows":
                yield from payload
            elif kind == "end":
                return
            elif kind == "fallback":
                yield from _openpyxl_rows(path)
                return
            else:
                raise rebuild_error(payload)
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join()
        queue.close()
        queue.join_thread()


def _openpyxl_rows(path_or_file) -> Iterator[tuple]:
    wb = _open(path_or_file)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # trust the rows, not a stale <dimension> tag
        yield from ws.iter_rows(values_only=True)
    finally:
        wb.close()


def _readable(source_rows: Iterator[tuple], report: ImportReport) -> Iterator[tuple]:
    """The rows, with a sheet that breaks off half-way (XML that is not well formed inside an intact archive) as a
    clear error, never a server error: refused whole while nothing was written, else an error that says how many
    rows were imported before the break (each chunk is its own transaction; importing the mended file again
    counts those rows as unchanged)."""
    number = 0
    try:
        for number, row in enumerate(source_rows, start=1):  # noqa: B007 - the last number is the message's
            yield row
    except (etree.XMLSyntaxError, ValueError, IndexError, KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
        written = report.created + report.updated + report.unchanged + report.submitted + report.rejected
        if not written:
            raise FileRejected([_("文件第%(n)d行之后的内容无法读取（%(e)s）") % {"n": number, "e": type(exc).__name__}]
                               ) from exc
        raise ValidationFailed(
            _("文件第%(n)d行之后的内容无法读取（%(e)s），导入在此中止：此前的%(m)d行已按结果导入，"
              "修正文件后可重新导入（已导入的行将计为未变化）") % {"n": number, "e": type(exc).__name__, "m": written},
            {"file": [_("文件第%(n)d行之后的内容无法读取") % {"n": number}]}, code="file_broken") from exc


def import_rows(actor, kind: str, path_or_file, source_name: str = "", *, chunk_size: int = CHUNK_SIZE,
                progress=None, batch: bool = True, reader_process: bool | None = None) -> ImportReport:
    """Import one sheet (the workbook's first) of ``kind`` rows as ``actor``. See the module docstring.

    Raises :class:`FileRejected` (nothing written) for an unreadable file or a bad header row and
    :class:`Forbidden` when the actor may not maintain the registry at all. ``progress(report)``, if
    given, is called after every committed chunk.  ``batch=False`` sends every resident row through the
    per-row path (:mod:`.batch` is the chunked fast path; the tests compare the two).  ``reader_process``: read
    the sheet in a second process (True), in this one (False), or by the file's size (None; see :func:`_rows`).
    """
    check_kind(kind)
    if not can_write(actor):
        raise Forbidden(_("您无权维护基础数据"), code="not_permitted")
    started = time.perf_counter()
    name = source_name or (Path(path_or_file).name if isinstance(path_or_file, (str, Path)) else
                           getattr(path_or_file, "name", "") or "")
    report = ImportReport(kind=kind, source=name)
    categories = key_categories() if kind == "key_persons" else []
    cols = columns(kind, categories)
    source_rows = _rows(path_or_file, reader_process)
    rows = enumerate(_readable(source_rows, report), start=1)  # numbered as Excel shows them
    try:
        header = None
        for _number, row in rows:  # the first non-blank row holds the column names
            if any(as_text(v) for v in row):
                header = row
                break
        if header is None:
            raise FileRejected([_("文件是空的：第一个工作表没有列名行")])
        positions = _map_headers(kind, header, cols)
        report.headers = [as_text(h) for h in header]
        importer = RowImporter(actor, kind, cols, positions, report, f"import:{name}"[:32], categories,
                               batch=batch)
        chunk: list[tuple[int, tuple]] = []
        first = True
        for number, row in rows:
            if not any(as_text(v) for v in row):
                continue
            if first:
                first = False
                if _is_hint_row(row, positions, cols):
                    continue
            chunk.append((number, row))
            if len(chunk) >= chunk_size:
                importer.run(chunk)
                chunk = []
                if progress:
                    progress(report)
        if chunk:
            importer.run(chunk)
            if progress:
                progress(report)
        importer.finish()
    finally:
        source_rows.close()  # closes the workbook (and its file handle)
    report.seconds = round(time.perf_counter() - started, 3)
    return report
