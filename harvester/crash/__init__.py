"""Tables for recognising kernel crash reports: ``kinds`` (one entry per
kind of report, the frames that are never a culprit) and ``frames``
(stack-trace lines of every architecture).  ``harvester.analysis`` applies
them to a dump's log."""
