"""A streaming reader of a workbook's first sheet: the rows as openpyxl's read-only ``iter_rows(values_only=True)``
gives them after ``reset_dimensions()``, at a fraction of its cost.

The workbook's structure is read by openpyxl itself (manifest, workbook, relationships, properties, theme,
stylesheet, which sheet is the first worksheet, the date epoch and which styles are dates or durations), in the
same order as ``load_workbook``; only the two parts that grow with the file are read here, with lxml
``iterparse``: the shared strings (the text of each ``<si>``, ``x005F_`` removed — openpyxl's ``read_string_table``)
and the sheet's rows.  A cell is typed as
openpyxl types it: ``t="s"`` a shared string, ``inlineStr`` its text, ``b`` a bool, ``str``/``e`` the text as
written, ``d`` an ISO 8601 date, ``n`` (or no type) an int unless the number has a ``.``/``e``/``E``, a date or
a duration when its style's number format is one; an empty ``<v>`` is None; a missing ``r`` continues from the
previous cell or row.  A row is a tuple from column A to its last cell (gaps None; ``()`` for a row without
cells); a row missing from the file is ``[]``; a row numbered below one already read is skipped.

Anything this reader does not read the same way falls back to openpyxl: a shared or inline string of a shape other
than plain ``<t>`` text (rich-text runs, phonetic runs) is handed to openpyxl's own ``Text``; a failure while the workbook's structure is read
makes :func:`open_rows` return ``None`` so that the caller uses openpyxl (which then says what is wrong).
"""

from __future__ import annotations

from collections.abc import Iterator
from warnings import warn

from lxml import etree
from openpyxl.cell.text import Text
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

_NS = f"{{{SHEET_MAIN_NS}}}"
_SI, _T = _NS + "si", _NS + "t"
_ROW, _V, _IS = _NS + "row", _NS + "v", _NS + "is"
_DIGITS = "0123456789"


def _iterparse(source, tag: str):
    return etree.iterparse(source, events=("end",), tag=tag, remove_comments=True, remove_pis=True,
                           resolve_entities=False, no_network=True)


def _drop_done(element) -> None:
    """Free a handled element and the ones before it (iterparse keeps the tree otherwise)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _rst_text(node) -> str:
    """openpyxl's ``Text.from_tree(node).content`` of a shared or inline string: here for the usual shape (one
    or more ``<t>``, the last one counts), by openpyxl itself for any other (runs, phonetic runs, …)."""
    plain = None
    for child in node:
        if child.tag != _T or len(child):
            return Text.from_tree(node).content
        plain = child.text
    return "" if plain is None else plain


def read_shared_strings(source) -> list[str]:
    strings: list[str] = []
    append = strings.append
    for _event, si in _iterparse(source, _SI):
        append(_rst_text(si).replace("x005F_", ""))
        _drop_done(si)
    return strings


class _SizeUnread(ReadOnlyWorksheet):
    def _get_size(self):
        """Not read: without a ``<dimension>`` tag openpyxl parses the whole sheet for it, and the rows are
        read after ``reset_dimensions()`` anyway."""


class _FastReader(ExcelReader):
    def read_strings(self):
        ct = self.package.find(SHARED_STRINGS)
        if ct is not None:
            with self.archive.open(ct.PartName[1:]) as src:
                self.shared_strings = read_shared_strings(src)

    def read_worksheets(self):
        """openpyxl's read-only ``read_worksheets``, the first worksheet without its size pass."""
        first = True
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            rels_path = get_rels_path(rel.target)
            if rels_path in self.valid_files:
                get_dependents(self.archive, rels_path)
            cls = _SizeUnread if first else ReadOnlyWorksheet
            first = False
            ws = cls(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


def open_rows(path_or_file) -> Iterator[tuple] | None:
    """The first sheet's rows, or None when the workbook's structure could not be read this way."""
    reader = None
    try:
        reader = _FastReader(path_or_file, read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        reader.read_properties()
        reader.read_custom()
        reader.read_theme()
        apply_stylesheet(reader.archive, reader.wb)
        reader.read_worksheets()
        reader.parser.assign_names()
        wb = reader.wb
        ws = wb.worksheets[0]
        path = ws._worksheet_path
    except Exception:  # noqa: BLE001 - openpyxl reads it again and says what is wrong
        if reader is not None:
            reader.archive.close()
        return None
    return _rows(wb, path, reader.shared_strings)


def _rows(wb, path: str, strings: list[str]) -> Iterator[tuple]:
    archive = wb._archive
    try:
        with archive.open(path) as src:
            yield from sheet_rows(src, strings, wb._date_formats, wb._timedelta_formats, wb.epoch)
    finally:
        archive.close()


def sheet_rows(source, strings, date_formats, timedelta_formats, epoch) -> Iterator[tuple]:
    """The rows of a sheet's XML (see the module docstring); ``date_formats``: the style ids of dates."""
    columns: dict[str, int] = {}  # column letters → index
    styles: dict[str, int] = {}  # the ``s`` attribute → style id
    row_counter = 0
    counter = 1  # the next row number to yield (openpyxl's ``_cells_by_row``)
    for _event, row in _iterparse(source, _ROW):
        r = row.get("r")
        if r is not None:
            try:
                row_counter = int(r)
            except ValueError:
                val = float(r)
                if not val.is_integer():
                    raise ValueError(f"{r} is not a valid row number") from None
                row_counter = int(val)
        else:
            row_counter += 1
        col_counter = 0
        cells: list[tuple[int, object]] = []
        for c in row:
            get = c.get
            data_type = get("t", "n")
            coordinate = get("r")
            if coordinate:
                letters = coordinate.rstrip(_DIGITS)
                column = columns.get(letters)  # only letters without a digit are kept there
                if column is None or len(letters) == len(coordinate):
                    _row, column = coordinate_to_tuple(coordinate)  # raises on a bad coordinate, as openpyxl does
                    if not any(ch in _DIGITS for ch in letters):
                        columns[letters] = column
                col_counter = column
            else:
                col_counter += 1
                column = col_counter
            value = None
            if data_type == "inlineStr":
                for child in c:  # the first <is>
                    if child.tag == _IS:
                        value = _rst_text(child)
                        break
            else:
                for child in c:  # the first <v>, empty is None
                    if child.tag == _V:
                        value = child.text or None
                        break
                if value is not None:
                    if data_type == "s":
                        value = strings[int(value)]
                    elif data_type == "n":
                        value = float(value) if ("." in value or "e" in value or "E" in value) else int(value)
                        s = get("s")
                        if s:
                            style_id = styles.get(s)
                            if style_id is None:
                                style_id = styles[s] = int(s)
                            if style_id in date_formats:
                                try:
                                    value = from_excel(value, epoch, timedelta=style_id in timedelta_formats)
                                except (OverflowError, ValueError):
                                    warn(f"Cell {coordinate} is marked as a date but the serial value {value} is "
                                         "outside the limits for dates. The cell will be treated as an error.",
                                         stacklevel=2)
                                    value = "#VALUE!"
                    elif data_type == "b":
                        value = bool(int(value))
                    elif data_type == "d":
                        value = from_ISO8601(value)
            cells.append((column, value))
        _drop_done(row)
        while counter < row_counter:  # rows missing from the file: an empty list, as openpyxl gives them
            counter += 1
            yield []
        if counter <= row_counter:
            counter += 1
            if not cells:
                yield ()
                continue
            width = cells[-1][0]
            out = [None] * width
            for column, value in cells:
                if 1 <= column <= width:
                    out[column - 1] = value
            yield tuple(out)


def read_into(path: str, queue, batch_size: int) -> None:
    """The body of the reader process (:func:`gridgov.registry.excel.importer._rows_in_process`): the rows of
    :func:`open_rows` sent to ``queue`` in lists of ``batch_size`` (the queue is bounded: the reader waits while
    the importer is behind), then ``("end", None)``; ``("fallback", None)`` when the workbook's structure cannot
    be read this way; ``("error", …)`` after the rows read before a failure.  No Django here."""
    import os
    from queue import Full

    parent = os.getppid()

    def put(message) -> None:
        while True:
            try:
                queue.put(message, timeout=5)
                return
            except Full:
                if os.getppid() != parent:  # the importer is gone: stop
                    raise SystemExit(1) from None

    batch: list[tuple] = []
    try:
        rows = open_rows(path)
        if rows is None:
            put(("fallback", None))
            return
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                put(("rows", batch))
                batch = []
        put(("rows", batch))
        put(("end", None))
    except Exception as exc:  # noqa: BLE001 - handed to the importer, which raises it where the rows break off
        put(("rows", batch))
        put(("error", _portable(exc)))


def _portable(exc: Exception) -> tuple:
    """An exception as it can cross to the importer's process (an lxml syntax error does not pickle)."""
    if isinstance(exc, etree.XMLSyntaxError):
        return ("xml", (str(exc.msg), exc.code, exc.lineno, exc.offset))
    try:
        import pickle

        pickle.dumps(exc)
        return ("pickled", exc)
    except Exception:  # noqa: BLE001
        return ("text", f"{type(exc).__name__}: {exc}")


def rebuild_error(portable: tuple) -> Exception:
    how, payload = portable
    if how == "xml":
        return etree.XMLSyntaxError(*payload)
    if how == "pickled":
        return payload
    return ValueError(payload)
