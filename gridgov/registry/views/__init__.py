"""Registry web pages (一标三实 and key populations).  Thin: reads go through ``visible_to``, writes
through ``registry.services``.

Rules every page keeps:

* department liaisons see nothing of the registry (403); leaders read, masked, and get statistics but
  no key-person details (403 on those pages); a record outside the user's scope is the 404 page;
* identity numbers and phones are masked everywhere; the full values appear only on the resident page
  right after ``services.privacy.reveal`` (permission + reason + access log), and in a full export
  (permission + reason, logged by the export);
* a form that fails validation re-renders with Chinese field messages and status 400, and writes nothing.

Modules: :mod:`.common` (access decorators and page helpers), :mod:`.home` (the overview and 动态掌控率),
:mod:`.houses`, :mod:`.residents`, :mod:`.units`, :mod:`.key_people`, :mod:`.visits` (recording a visit,
visit photos, 走访提醒), :mod:`.links` (linking an event), :mod:`.history` (change history for display),
:mod:`.import_export` (Excel) and :mod:`.transfers` (人口迁移 decisions).
"""
