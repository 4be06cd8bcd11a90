"""Registry operations: the one door for the web pages, the API and the Excel import.

Every write records a :class:`~gridgov.registry.models.Change` (who, what, when; personal values masked)
through :mod:`.history`. Full identity numbers and phones leave the registry only through
:func:`.privacy.reveal` / the export, which check the permission and write an ``AccessLog`` row.

* :mod:`.access` — who may write where (the write scope is the read scope)
* :mod:`.history` — the change history every write appends to
* :mod:`.addresses` — standard addresses (de-duplicated, coded, geocoded to a grid)
* :mod:`.houses` — houses and tenancies
* :mod:`.residents` — one person one record: registration, updates, moves
* :mod:`.units` — units (实有单位)
* :mod:`.privacy` — masking, the logged reveal, the export log
* :mod:`.key_people` — key-population categories and listings
* :mod:`.visits` — visits, due dates, 动态掌控率, the overdue sweep
* :mod:`.links` — what other domains hold about a record (events, disputes, petitions), through
  :mod:`gridgov.core.providers`
"""
