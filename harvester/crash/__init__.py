"""Crash analysis: what a kernel log says crashed, as kernel developers
title it.  Pure, like ``parsers``: text in, a description out, no files.

``kinds`` has one entry per kind of report and the frames that are never
a culprit, ``frames`` the stack-trace lines of every architecture,
``prefixes`` the console line prefixes (timestamps, vendor fields), and
``analysis`` applies them to a dump's log (``analyse``)."""
