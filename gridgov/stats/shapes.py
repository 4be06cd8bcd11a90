"""Where the statistics' regions lie on a map: each grid's centre and each region's outline, from the grids'
boundaries (regions carry no polygons of their own).

The snapshot itself lives in :mod:`gridgov.regions.outlines` (the regions API's community outlines and the map
pickers read it too); this module keeps the statistics' name for it: ``shapes.current()``, ``shapes.invalidate()``.

A region's outline is the union of its children's (its grids' at the bottom), built bottom-up once per
process and kept while the grids stay the same (:func:`gridgov.regions.spatial.current_stamp`: the grids'
version row, bumped by database triggers on every write); what goes to the browser is simplified to the scale of the region. A region
without a single grid with a boundary has no outline and no centre (the page shows it as a tile instead).
"""

from __future__ import annotations

from gridgov.regions.outlines import (  # noqa: F401  (the statistics' names for the shared snapshot)
    DETAIL,
    GRID_LENGTH,
    HULL_RATIO,
    LENGTHS,
    PLACES,
    SCATTERED,
    _Shapes,
    current,
    invalidate,
)
