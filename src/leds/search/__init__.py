"""Search indexes: name, date-of-birth, descriptive, vehicle and full-text keys for
person checks, vehicle checks and descriptive search.

The indexes are a projection of the log (:mod:`leds.search.projector`), written in the
same ingest transaction as the records they index, so a check never sees a record that
search cannot find.  They hold keys only (folded names, phonetic codes, dates, codes,
postcodes, VRMs, text for full-text search); what a caller may see of a record is
decided by the access policy when the records themselves are read.
"""

from . import projector as _projector  # noqa: F401  (registers the search projector)
