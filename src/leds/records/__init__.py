"""Current and historic records: projections of the log."""
