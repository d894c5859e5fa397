"""Command line: list, show and collect crash records.

Exit status: 0 success (also when there is nothing to do), 1 some records
could not be read or harvested (they stay where they are), 2 usage or
configuration error.
"""

import gc
import os
import sys

from . import __version__
from .inventory import gather
from .state import fingerprint, read_harvested
from .sources import SourceError
from .text import clean, one_line

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Rescue the last words of a crashed Linux kernel.  Reads what pstore
backends kept across the reboot (ramoops RAM, mtdoops flash, efi-pstore
variables, /sys/fs/pstore) and what kdump saved (/var/crash), decodes it
as the kernel does, groups the parts of each dump into one crash, and
writes apport-compatible .crash reports.
"""

EPILOG = """\
sources (--source KIND:PATH[,key=value]..., repeatable):
  pstore:DIR        a mounted pstore filesystem or any copy of one
                    (also systemd-pstore's archive, /var/lib/systemd/pstore)
  efivars:DIR       efivarfs (/sys/firmware/efi/efivars) or a copy of its
                    dump-* files
  ramoops:FILE      a raw dump of the ramoops region (or /dev/mem with
                    offset=); keys mem_size, record_size, console_size,
                    ftrace_size, pmsg_size, ecc, ftrace_cpus, offset and
                    kernel=6.1 (the era's rules: zone order, dmesg stride,
                    pmsg zone); sizes take 4096, 0x1000, 4K, 1M.
                    Without sizes the module parameters are detected
                    from the zones' signatures; --list prints them as
                    keys that pin them.  Given sizes follow the module's
                    defaults (console, ftrace and pmsg 4K each unless
                    given).  A zone without its signature is empty.
  ramoops:devicetree  the region the device tree reserves for ramoops,
                    read through /dev/mem with the node's sizes
  mtdoops:FILE      an mtdoops partition (/dev/mtdN, or its name as in
                    /proc/mtd) or an image of one; key record_size
                    (detected when omitted)
  pstoreblk:FILE    a pstore/blk device or mtdpstore partition (or image);
                    keys kmsg_size (64K by default), pmsg_size,
                    console_size, ftrace_size, ftrace_cpus, in bytes
                    (the module parameters are in KiB: kmsg_size=64K);
                    zones detected from their signatures when omitted
  kdump:DIR         the crash directories kdump saved (/var/crash):
                    kdump-tools' YYYYMMDDHHMM/ and <host>-YYYYMMDDHHMM/,
                    kdump-utils' <host>-YYYY-MM-DD-HH:MM:SS/; their dmesg
                    (else makedumpfile --dump-dmesg's from the vmcore),
                    never the dump; nothing there is ever changed
  Without --source: the config file's sources, else this machine's
  /sys/fs/pstore, EFI variables, systemd-pstore's archive and kdump's
  /var/crash.  Only the real pstore and efivarfs mounts are ever cleared;
  images, copies and kdump's directories are read only, and the state
  directory remembers what was reported.

examples:
  oops-harvest --list
  oops-harvest --list --source ramoops:region.bin
  oops-harvest --show dmesg-ramoops-0 --source ramoops:region.bin,mem_size=1M,record_size=16K
  oops-harvest --collect --dry-run
  oops-harvest --collect --source pstore:/tmp/copy --output-dir /tmp/crash

files: /etc/oops-harvest/config.yaml (every key optional; see README),
/var/crash/linux-image-<release>.<event>.crash (mode 0600 root, or 0640
with report_group), /var/lib/oops-harvest (state, lock, archived dumps).
--collect prints the path of each report and archived dump it wrote (a
--dry-run: "would write"/"would archive"), or "nothing to do".  Options
that mean nothing with the action (--json but with --list, --dry-run and
--output-dir but with --collect) are usage errors.
exit status: 0 done or nothing to do, 1 some records could not be read or
harvested (they stay in place; see the journal), 2 usage or config error.

--show prints the decoded payload exactly as the kernel presents it in
/sys/fs/pstore (without its ECC line); to a terminal, control characters
are shown escaped.  IDs are record names (dmesg-ramoops-0) or event ids
(E...) from --list, and stay the same across runs for the same data.
"""


# The options, once: argparse is built from this table, and the fast path
# below reads the same table.  kind: flag (store_true), value, append.  An
# option's last column names the actions it means something with (None:
# all); any other pairing is a usage error, not silently ignored.
ACTIONS = (
    ("--list", "flag", None, "list records, grouped by crash event"),
    ("--show", "value", "ID", "print one record's payload or one event's log"),
    ("--collect", "flag", None,
     "write reports, then clear what was harvested"),
)
OPTIONS = (
    ("--json", "flag", None,
     "with --list: a JSON array, one object per record", ("--list",)),
    ("--source", "append", "SPEC", "read this source (repeatable)", None),
    ("--config", "value", "FILE",
     "configuration file (default /etc/oops-harvest/config.yaml)", None),
    ("--dry-run", "flag", None,
     "with --collect: report what would be written, write and clear nothing",
     ("--collect",)),
    ("--output-dir", "value", "DIR",
     "with --collect: where reports go (default /var/crash)", ("--collect",)),
    ("--state-dir", "value", "DIR",
     "with --collect or --list: where harvest state lives (default "
     "/var/lib/oops-harvest); --list reads it to mark what was already "
     "harvested", ("--collect", "--list")),
)
_TABLE = {flag: (flag[2:].replace("-", "_"), kind)
          for flag, kind, _, _, *_ in ACTIONS + OPTIONS}
_ACTION_FLAGS = {flag for flag, _, _, _ in ACTIONS}


def _default(kind):
    return {"flag": False, "value": None, "append": []}[kind]


def _help_formatter(prog):
    """argparse's own width lookup imports shutil (and bz2, lzma); the
    terminal's width is one os call."""
    import argparse
    try:
        width = int(os.environ.get("COLUMNS") or os.get_terminal_size().columns)
    except (ValueError, OSError):
        width = 80
    return argparse.RawDescriptionHelpFormatter(prog, width=max(width, 40) - 2)


def build_parser():
    import argparse
    parser = argparse.ArgumentParser(
        prog="oops-harvest", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_help_formatter)
    group = parser.add_mutually_exclusive_group(required=True)
    for table, target in ((ACTIONS, group), (OPTIONS, parser)):
        for flag, kind, metavar, text, *_ in table:
            if kind == "flag":
                target.add_argument(flag, action="store_true", help=text)
            else:
                target.add_argument(
                    flag, metavar=metavar, help=text, default=_default(kind),
                    action="append" if kind == "append" else "store")
    group.add_argument("--version", action="version",
                       version="oops-harvest %s" % __version__)
    return parser


def parse_args(argv):
    """The arguments, as argparse would return them, once their pairing is
    checked (options that mean nothing with the action are an error)."""
    args = _read_args(argv)
    action = next(flag for flag, _, _, _ in ACTIONS
                  if getattr(args, flag[2:]) not in (False, None))
    for flag, kind, _, _, actions in OPTIONS:
        dest = _TABLE[flag][0]
        if actions and action not in actions and \
                getattr(args, dest) != _default(kind):
            build_parser().error("%s goes with %s only, not with %s" % (
                flag, " or ".join(actions), action))
    return args


def _read_args(argv):
    """A plain command line (full option names, exactly one action) is read
    here, because argparse costs about 3 ms at every boot; anything else
    (help, --version, abbreviations, mistakes) goes to argparse, which
    prints and exits."""
    values = {dest: _default(kind) for dest, kind in _TABLE.values()}
    words = list(sys.argv[1:] if argv is None else argv)
    actions = set()
    index = 0
    while index < len(words):
        name, eq, value = words[index].partition("=")
        dest, kind = _TABLE.get(name, (None, None))
        if dest is None or (kind == "flag" and eq):
            return build_parser().parse_args(argv)
        if kind != "flag" and not eq:
            index += 1
            if index == len(words) or words[index].startswith("-"):
                return build_parser().parse_args(argv)
            value = words[index]
        if kind == "flag":
            values[dest] = True
        elif kind == "append":
            values[dest] = values[dest] + [value]
        else:
            values[dest] = value
        if name in _ACTION_FLAGS:
            actions.add(name)
        index += 1
    if len(actions) != 1:
        return build_parser().parse_args(argv)
    return _Arguments(values)


class _Arguments:
    """What argparse would return (its Namespace; types.SimpleNamespace
    costs an import at every boot)."""

    def __init__(self, values):
        self.__dict__.update(values)


def iso_time(time_ns):
    """ISO 8601 in UTC; None when unknown or outside years 1..9999 (times
    come from the input, e.g. an efivars name with a 20-digit second)."""
    if not time_ns:
        return None
    import datetime
    try:
        return datetime.datetime.fromtimestamp(
            time_ns / 1e9, datetime.timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, ValueError, OSError):
        return None


def layouts(inv):
    """{source text: ramoops Layout} for the ramoops sources read."""
    return {str(item.source): item.result.info["layout"] for item in inv.loaded
            if item.result is not None and "layout" in item.result.info}


def record_json(inv, event, rec, harvested, layout=None):
    row = {
        "id": inv.ids[id(rec)], "event": event.id,
        "source": str(inv.sources[id(rec)]), "backend": rec.backend,
        "type": rec.type, "reason": rec.reason, "count": rec.count,
        "part": rec.part, "time": iso_time(rec.time_ns),
        "compressed": rec.compressed, "still_compressed": rec.still_compressed,
        "size": len(rec.payload),
        "ecc": None if rec.ecc is None else {
            "corrected": rec.ecc.corrected,
            "unrecoverable": rec.ecc.unrecoverable,
            "unrepaired": 0 if rec.ecc.checked else rec.ecc.unrecoverable},
        "harvested": fingerprint(rec) in harvested,
        "problems": rec.problems,
    }
    if layout is not None:
        row["layout"] = layout.to_json()
    if rec.backend == "kdump":
        row["kdump"] = kdump_json(rec)
    return row


def kdump_json(rec):
    """Where a kdump crash is and what its directory holds."""
    import os.path
    return {
        "directory": os.path.join(rec.origin.path or "", rec.directory),
        "layout": rec.layout,
        "log": rec.log_file and os.path.join(rec.origin.path or "",
                                             rec.directory, rec.log_file),
        "log_missing": rec.log_missing,
        "dump": None if rec.dump is None else {
            "path": os.path.join(rec.origin.path or "", rec.directory,
                                 rec.dump[0]),
            "size": rec.dump[1], "complete": rec.dump[2]},
        "files": [{"name": n, "size": size} for n, size in rec.files],
        "apport_report": rec.foreign_report,
    }


def event_title(event):
    from .crash.analysis import analyse
    if event.type != "dmesg":
        return "%s log" % event.type
    return analyse(event.log(), event.reason).title


def cmd_list(inv, as_json, out, harvested=frozenset()):
    found = layouts(inv)
    if as_json:
        import json
        rows = [record_json(inv, ev, rec, harvested,
                            found.get(str(inv.sources[id(rec)])))
                for ev in inv.events for rec in ev.records]
        json.dump(rows, out, indent=2)
        out.write("\n")
        return
    if not inv.events:
        out.write("No crash records found.\n")
    for ev in inv.events:
        when = iso_time(ev.time_ns) or "time unknown"
        what = ev.reason or ev.type
        count = "#%d" % ev.count if ev.count else ""
        done = all(fingerprint(r) in harvested for r in ev.records)
        backend = ev.backend
        if getattr(ev, "pstore", None) is not None:
            backend += " + kdump"                  # one crash, both kept it
        head = "%s  %s %s  %s  %s, %d part%s" % (
            ev.id, what, count, when, backend, len(ev.records),
            "" if len(ev.records) == 1 else "s")
        title = one_line(event_title(ev), 74)
        if done and len(head) <= 80 - 13:
            head += "  [harvested]"
        elif done:                                 # readable at 80 columns
            title = "[harvested] " + one_line(event_title(ev), 62)
        out.write("%s\n    %s\n" % (head, title))
        for rec in ev.records:
            flags = []
            if rec.compressed:
                flags.append("was compressed" if not rec.still_compressed
                             else "STILL COMPRESSED")
            if rec.ecc is not None:
                flags.append("ecc %d fixed, %d bad" % (rec.ecc.corrected,
                                                       rec.ecc.unrecoverable))
            if rec.backend == "kdump" and rec.dump is not None:
                flags.append("dump %s, %d bytes%s" % (
                    one_line(rec.dump[0], 40), rec.dump[1],
                    "" if rec.dump[2] else ", NOT COMPLETE"))
            flags.extend(one_line(p, 60) for p in rec.problems[:2])
            line = "    %-32s %7d bytes" % (one_line(inv.ids[id(rec)], 60),
                                            len(rec.payload))
            joined = "  " + "; ".join(flags)
            if flags and len(line) + len(joined) <= 80:
                line += joined
            elif flags:                            # readable at 80 columns
                line += "".join("\n      " + flag for flag in flags)
            out.write(line + "\n")
    for source, layout in found.items():
        write_layout(out, source, layout)
    for problem in inv.problems:
        out.write("problem: %s\n" % one_line(problem, 200))


def write_layout(out, source, layout):
    """Once per ramoops source: the layout, as keys a --source can pin."""
    import textwrap
    head = "layout of %s: %s" % (one_line(source, 60),
                                 one_line(layout.summary(), 300))
    for line in textwrap.wrap(head, 80, subsequent_indent="    "):
        out.write(line + "\n")
    line = ""
    for part in layout.spec().split(","):
        if line and len(line) + len(part) + 1 > 75:
            out.write("    %s,\n" % line)
            line = ""
        line = "%s,%s" % (line, part) if line else part
    if line:
        out.write("    %s\n" % line)
    from parsers import ecc
    if layout.ecc_size and not ecc.available():
        note = ("ECC parity checked, but damaged blocks cannot be repaired "
                "(reedsolo is missing); " + ecc.HOW_TO_REPAIR)
        for text in textwrap.wrap(note, 76):
            out.write("    %s\n" % text)


def cmd_show(inv, ident, out):
    from .events import find
    event = find(inv.events, ident)
    if event is not None:
        data = event.log()
    else:
        matches = [rec for rid, _, rec in inv.records if rid == ident]
        if not matches:
            sys.stderr.write("oops-harvest: no record or event %r; see "
                             "--list for ids\n" % clean(ident))
            return EXIT_USAGE
        data = matches[0].payload
        missing = getattr(matches[0], "log_missing", None)
        if missing and not data:
            sys.stderr.write("oops-harvest: %s: no log: %s\n"
                             % (clean(ident), one_line(missing, 300)))
    if out.isatty():
        out.write(clean(data))
    else:
        out.flush()
        out.buffer.write(data)
    return EXIT_OK


def main(argv=None):
    # One short run: looking for reference cycles every 700 allocations,
    # as the interpreter does by default, walks the modules just imported
    # again and again (1 ms of a boot's 20); every 100,000 is plenty.
    gc.set_threshold(100_000)
    try:
        return _main(argv)
    except BrokenPipeError:           # `oops-harvest --list | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _main(argv):
    os.umask(0o077)
    args = parse_args(argv)
    from . import config as config_mod
    try:
        config = config_mod.load(args.config)
        if args.collect:
            from .collector import collect
            return collect(args, config)
        inv = gather(args, config)
    except (SourceError, config_mod.ConfigError) as exc:
        sys.stderr.write("oops-harvest: %s\n" % one_line(str(exc), 500))
        return EXIT_USAGE
    if args.list:
        harvested = read_harvested(args.state_dir or config.state_dir)
        cmd_list(inv, args.json, sys.stdout, harvested)
        return EXIT_PARTIAL if inv.problems else EXIT_OK
    return cmd_show(inv, args.show, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
