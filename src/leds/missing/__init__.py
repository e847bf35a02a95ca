"""The National Register of Missing Persons: episodes (``missing_episode`` updategrams and the
coordinators' report form), the national live view, encounters on checks, timers, protocols,
unidentified people and statistics.  See docs/missing.md."""
