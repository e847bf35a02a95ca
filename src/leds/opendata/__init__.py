"""Open data: data.police.uk's CSV files imported for statistics (``importer``); publishing
with disclosure control lives beside it."""
