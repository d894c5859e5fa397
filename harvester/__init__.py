"""Everything with side effects: sources, events, analysis, reports,
safe storage, state, locking, logging and the command line."""

__version__ = "0.1.1"
