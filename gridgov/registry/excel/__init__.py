"""Excel in and out for the registry (一标三实 + 重点人员): templates, streaming import, streaming export.

* :func:`.template.template_workbook` — an empty .xlsx per kind with Chinese headers, a row of hints,
  dropdowns and text-formatted code columns.
* :func:`.importer.import_rows` — reads the first sheet as a stream (:mod:`.sheet`: lxml ``iterparse`` with
  openpyxl's cell typing; openpyxl read-only as the fallback), maps the header row by name (any column order),
  and sends plain resident rows through the chunked fast path (:mod:`.batch`) and every other row through the
  registry services (:mod:`.rows`), which validate (ID checksum, dates, codes, phones) and enforce the importer's scope. Each
  row is written inside its own savepoint: a rejected row leaves nothing of itself (not even the address it
  would have created), good rows are kept. Rows are committed in chunks (one transaction per chunk) for
  speed. A row whose record would not change is rolled back and counted as unchanged, so importing
  the same file twice writes nothing the second time (no ``updated_at`` touch, no fresh ciphertext,
  no :class:`Change` row).
* :func:`.report.report_workbook` — the rejected rows (行号, 列, 原因 + the original values) as .xlsx. The
  three report columns are ignored by the importer, so a corrected report can be imported again as is.
* :func:`.export.export_workbook` — a streaming (write-only) export with the same columns as the template,
  identity numbers and phones masked unless a full export is asked for, permitted and logged.

The columns of each kind are in :mod:`.columns`, the reading of cell values in :mod:`.cells`.
Kinds: ``residents`` (实有人口), ``houses`` (实有房屋), ``units`` (实有单位), ``key_persons`` (重点人员).
"""
