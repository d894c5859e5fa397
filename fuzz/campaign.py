#!/usr/bin/env python3
"""Long fuzz campaign over every parser and the report writer.

Seeded with the real-kernel samples (samples/*/raw, samples/*/pstore) and
with images tests/kernelbuild.py writes the way the kernel does; inputs
are mutated (bit flips, interesting 32-bit values, chunk deletion,
duplication and splicing, truncation, U-Boot-style zone header lies:
size > buffer, start > size, bad DBGC).  Invariants checked per input:

- parsers: nothing but ``parsers.exceptions.ParseError`` escapes;
- every input: at most --time-limit seconds (SIGALRM) and the worker's
  address space capped at --memory-limit (RLIMIT_AS), so a blow-up is a
  MemoryError, i.e. a finding;
- writer (``report.serialise`` and ``report.build``): apport's format
  rules (tests/apport_format.py) accept the output, with exactly the keys
  we passed and every key in our constant set.

Findings are saved under fuzz/findings/ (target, input, traceback).  The
summary (executions per target, findings, slowest input, peak RSS) is
printed as JSON and written to --stats.

    python3 fuzz/campaign.py --total 1000000 --workers 2 --stats fuzz/last-run.json
    python3 fuzz/campaign.py --seconds 60 --targets ramoops,efi     # a short run

No extra package is needed (plain Python; not coverage-guided).
"""

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import re
import resource
import signal
import sys
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
sys.path.insert(0, ROOT)

from parsers import (compression, efi, kmsg, mtdoops, pstorefs,  # noqa: E402
                     pstorezone, ramoops)
from parsers.exceptions import ParseError  # noqa: E402

SAMPLES = os.path.join(ROOT, "samples")
FINDINGS = os.path.join(ROOT, "fuzz", "findings")
INTERESTING = [b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xff\xff\xff\xff",
               b"\x00\x00\x00\x00", b"DBGC", b"\x44\x42\x47\x43", b"====",
               b"\x00\x5e\x00\x5d", b"\x5d\x00\x5e\x00", b"\x01\x00\x00\x00",
               b"\x00\x10\x00\x00", b"Oops#1 Part1\n", b"Panic#2 Part9\n",
               b"\x78\x9c", b"\x28\xb5\x2f\xfd", b"\x04\x22\x4d\x18",
               b"\x1b[2J", b"\x00", b"\n", b"base64"]


class Timeout(BaseException):
    pass


class KnownBug(Exception):
    """A finding already filed (an xfail test in tests/security): counted
    apart so new findings stand out."""


def _alarm(signum, frame):
    raise Timeout()


# --- seeds -------------------------------------------------------------------

def _files(pattern_dir, suffix=None):
    out = []
    for name in sorted(os.listdir(SAMPLES)):
        folder = os.path.join(SAMPLES, name, pattern_dir)
        if not os.path.isdir(folder):
            continue
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if os.path.isfile(path) and (suffix is None or entry.endswith(suffix)):
                with open(path, "rb") as f:
                    out.append((name, entry, f.read()))
    return out


def load_seeds():
    from tests.kernelbuild import (PstoreZoneImage, Ramoops, efi_dump,
                                   mtdoops_image, mtdoops_write)
    seeds = {}
    raw = _files("raw", ".bin")
    seeds["ramoops"] = [d for n, _, d in raw if n.startswith("ramoops")]
    for ecc in (0, 16):
        built = Ramoops(0x8000, record_size=0x1000, ecc=ecc)
        built.dump("Oops", 1, b"<4>[ 1.0] x\n" * 50)
        built.dump("Panic", 2, b"<0>[ 2.0] y\n" * 50, compress=True)
        built.console.write(b"console\n" * 700)
        seeds["ramoops"].append(bytes(built.image))
    seeds["mtdoops"] = [d for n, _, d in raw if n.startswith("mtdoops")]
    image = mtdoops_image(4)
    mtdoops_write(image, 0, 1, b"<4>[ 1.0] oops\n" * 30)
    mtdoops_write(image, 1, 2, b"<4>[ 2.0] oops\n" * 30, timestamp_ns=1)
    seeds["mtdoops"].append(bytes(image))
    efivars = []
    for name in sorted(os.listdir(SAMPLES)):
        folder = os.path.join(SAMPLES, name, "raw", "efivars")
        if os.path.isdir(folder):
            efivars.append({e: open(os.path.join(folder, e), "rb").read()
                            for e in sorted(os.listdir(folder))})
    files, _ = efi_dump("Panic", 1, b"<0>[ 1.0] efi line\n" * 200, 1700000000)
    efivars.append(dict(files))
    seeds["efi"] = efivars
    pstore = {}
    for name, entry, data in _files("pstore"):
        pstore.setdefault(name, {})[entry] = data
    seeds["pstorefs"] = list(pstore.values())
    img = PstoreZoneImage(0x20000, kmsg_size=0x4000, console_size=0x1000,
                          pmsg_size=0x1000)
    img.kmsg(0, 2, 1, b"Oops#1 Part1\n" + b"<4>[ 1.0] z\n" * 40)
    img.kmsg(1, 1, 1, b"Panic#2 Part1\n" + b"<0>[ 2.0] z\n" * 40, compress=True)
    img.append("console", b"console\n" * 600)
    seeds["pstorezone"] = [bytes(img.image)]
    streams = []
    for variables in efivars:
        for data in list(variables.values())[:6]:
            streams.append(data[4:] if len(data) > 4 else data)
    import zlib
    streams.append(zlib.compress(b"<4>[ 1.0] x\n" * 500))
    seeds["compression"] = streams
    seeds["kmsg"] = [d[:80] for v in pstore.values() for d in list(v.values())[:3]]
    logs = [d for v in pstore.values() for d in v.values()][:40]
    seeds["writer"] = logs
    seeds["build"] = logs + [b"base64"]
    return seeds


# --- mutation ------------------------------------------------------------------

def mutate(rng, data, pool):
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 5, 8, 16, 40))):
        if not buf:
            buf = bytearray(rng.randbytes(rng.randrange(1, 64)))
        pos = rng.randrange(len(buf))
        op = rng.random()
        if op < 0.35:
            buf[pos] ^= 1 << rng.randrange(8)
        elif op < 0.55:
            value = rng.choice(INTERESTING)
            buf[pos:pos + len(value)] = value
        elif op < 0.65:
            buf[pos] = rng.randrange(256)
        elif op < 0.72:
            end = min(len(buf), pos + rng.randrange(1, 4096))
            del buf[pos:end]
        elif op < 0.79:
            end = min(len(buf), pos + rng.randrange(1, 256))
            buf[pos:pos] = buf[pos:end]
        elif op < 0.85:
            other = rng.choice(pool)
            if other:
                start = rng.randrange(len(other))
                piece = other[start:start + rng.randrange(1, 2048)]
                buf[pos:pos + len(piece)] = piece
        elif op < 0.90:
            del buf[pos:]
        elif op < 0.96:
            # U-Boot style ramoops/zone header lies at a 4 KiB boundary.
            base = (pos // 4096) * 4096
            if base + 12 <= len(buf):
                buf[base:base + 4] = b"DBGC" if rng.random() < 0.8 else b"DBGX"
                size = rng.choice((0, 1, 0x7fffffff, 0xffffffff,
                                   len(buf) * 2, rng.randrange(1 << 20)))
                start = rng.choice((0, size + 1, 0x7fffffff, rng.randrange(1 << 20)))
                buf[base + 4:base + 8] = (start & 0xffffffff).to_bytes(4, "little")
                buf[base + 8:base + 12] = (size & 0xffffffff).to_bytes(4, "little")
        else:
            buf[pos:pos + 4] = rng.randbytes(4)
    return bytes(buf)


def mutate_name(rng, name):
    if rng.random() < 0.7:
        return name
    chars = list(name)
    for _ in range(rng.randrange(1, 4)):
        pos = rng.randrange(len(chars) + 1)
        choice = rng.random()
        if choice < 0.4 and chars:
            del chars[min(pos, len(chars) - 1)]
        else:
            chars.insert(pos, rng.choice("0123456789-_.ZC/\x00\u202e é"))
    return "".join(chars)


# --- targets -----------------------------------------------------------------

def _writer_keys():
    from tests.security.helpers import ALLOWED_KEYS
    return sorted(k for k in ALLOWED_KEYS)


def check_writer(rng, data):
    """serialise() with crash-derived text in every text key and random
    binary attachments: apport's rules accept it, the keys are ours."""
    from harvester import report
    from tests import apport_format
    keys = _writer_keys()
    text = data.decode("utf-8", "surrogateescape")
    fields = {}
    for key in rng.sample(keys, rng.randrange(1, len(keys))):
        start = rng.randrange(len(text) + 1)
        fields[key] = text[start:start + rng.choice((0, 1, 6, 80, 4000))]
    if rng.random() < 0.3:
        fields[rng.choice(keys)] = rng.choice(["base64", " base64 ", "x\nbase64"])
    binary = {"PstoreRecord%d" % i: data[:rng.randrange(len(data) + 1)]
              for i in range(1, rng.randrange(1, 4))}
    out = report.serialise(fields, binary)
    try:
        loaded, order = apport_format.load(out)
    except apport_format.Malformed as exc:
        if any(v.strip() == "base64" and "\n" not in v for v in fields.values()):
            raise KnownBug("base64 value read as a binary block "
                           "(test_t19_a_value_cannot_turn_into_a_binary_block)")
        raise
    if set(loaded) != set(fields) | set(binary):
        raise AssertionError("key set changed: %r" % sorted(set(loaded) ^ (set(fields) | set(binary))))
    for key, value in binary.items():
        if loaded[key] != value:
            raise AssertionError("%s does not round-trip" % key)


def check_build(rng, data):
    """report.build() on an event made from a fuzzed log."""
    from harvester import report
    from harvester.crash import analysis
    from harvester.events import Event
    from parsers.records import Record
    from tests import apport_format
    from tests.security.helpers import allowed_key
    rec = Record("ramoops", "dmesg", 0, data, reason=rng.choice(
        ["Oops", "Panic", None, "Emergency"]), count=1, part=1,
        time_ns=rng.choice([None, 1700000000 * 10**9]))
    ev = Event([rec])
    result = analysis.analyse(ev.log(), ev.reason)
    package, out = report.build(ev, result, [("dmesg-ramoops-0", "part 1", data)],
                                result.failure or "oops",
                                max_bytes=rng.choice([1 << 16, 8 << 20]))
    try:
        fields, _ = apport_format.load(out)
    except apport_format.Malformed:
        if re.search(rb"^(?!PstoreRecord[0-9])[A-Za-z]+: *base64 *$", out, re.M) and \
                b"base64" in data:
            raise KnownBug("a one-line value 'base64' read as a binary block")
        raise
    bad = [k for k in fields if not allowed_key(k)]
    if bad:
        raise AssertionError("unexpected keys %r" % bad)
    if not package.startswith("linux-image-"):
        raise AssertionError("package %r" % package)


def run_target(target, rng, seeds):
    pool = seeds.get(target) or [b""]
    seed = rng.choice(pool)
    if target == "ramoops":
        image = mutate(rng, seed, pool)
        if rng.random() < 0.3 and len(image) >= 0x8000:
            layout = ramoops.compute_layout(
                rng.choice([0x8000, len(image), len(image) * 2]),
                rng.choice([0x1000, 0x4000, 0x800]),
                ecc=rng.choice([0, 16, 32]))
            return ramoops.parse(image, layout)
        return ramoops.parse(image)
    if target == "mtdoops":
        return mtdoops.parse(mutate(rng, seed, pool),
                             rng.choice([None, None, 4096, 8192, 12288]))
    if target == "pstorezone":
        return pstorezone.parse(mutate(rng, seed, pool))
    if target == "efi":
        files = {}
        blobs = list(seed.values())
        for name, data in list(seed.items())[:rng.randrange(1, 12)]:
            files[mutate_name(rng, name)] = mutate(rng, data, blobs)
        return efi.parse(files, limit=1 << 20)
    if target == "pstorefs":
        files = {}
        blobs = list(seed.values())
        for name, data in list(seed.items())[:rng.randrange(1, 10)]:
            files[mutate_name(rng, name)] = (mutate(rng, data, blobs),
                                             rng.choice([None, 1, 10**18]))
        return pstorefs.parse(files, limit=1 << 20)
    if target == "compression":
        return compression.decompress(mutate(rng, seed, pool), 1 << 20)
    if target == "kmsg":
        return kmsg.parse_part_header(mutate(rng, seed, pool))
    if target == "writer":
        return check_writer(rng, mutate(rng, seed, pool)[:20000])
    if target == "build":
        return check_build(rng, mutate(rng, seed, pool))
    raise ValueError(target)


TARGETS = ("ramoops", "mtdoops", "pstorezone", "efi", "pstorefs",
           "compression", "kmsg", "writer", "build")
# Relative share of executions (the raw images are the slow ones).
WEIGHTS = {"ramoops": 3, "mtdoops": 2, "pstorezone": 2, "efi": 2,
           "pstorefs": 2, "compression": 2, "kmsg": 1, "writer": 1, "build": 1}


def save_finding(target, seed_state, exc_text):
    os.makedirs(FINDINGS, exist_ok=True)
    digest = hashlib.sha1(exc_text.encode()).hexdigest()[:12]
    path = os.path.join(FINDINGS, "%s-%s.txt" % (target, digest))
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write("target: %s\nreplay: python3 fuzz/campaign.py --replay %s:%d\n\n%s"
                    % (target, target, seed_state, exc_text))
    return path


def worker(index, targets, budget_execs, budget_seconds, time_limit,
           memory_limit, seed, queue):
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    signal.signal(signal.SIGALRM, _alarm)
    seeds = load_seeds()
    rng_master = random.Random(seed * 1000 + index)
    weighted = [t for t in targets for _ in range(WEIGHTS.get(t, 1))]
    stats = {t: {"execs": 0, "parse_errors": 0, "findings": 0,
                 "slowest": 0.0} for t in targets}
    findings = []
    started = time.monotonic()
    done = 0
    while done < budget_execs and time.monotonic() - started < budget_seconds:
        target = weighted[done % len(weighted)]
        state = rng_master.getrandbits(48)
        rng = random.Random(state)
        t0 = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, time_limit)
        try:
            run_target(target, rng, seeds)
        except ParseError:
            stats[target]["parse_errors"] += 1
        except KnownBug:
            stats[target]["known_bug"] = stats[target].get("known_bug", 0) + 1
        except Timeout:
            stats[target]["findings"] += 1
            findings.append(save_finding(target, state, "timeout > %ss\n"
                                         % time_limit))
        except BaseException:
            stats[target]["findings"] += 1
            findings.append(save_finding(target, state, traceback.format_exc()))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        elapsed = time.monotonic() - t0
        stats[target]["execs"] += 1
        stats[target]["slowest"] = max(stats[target]["slowest"], elapsed)
        done += 1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    queue.put({"worker": index, "stats": stats, "findings": sorted(set(findings)),
               "seconds": time.monotonic() - started, "peak_rss_mib": rss})


def replay(spec):
    target, state = spec.split(":")
    seeds = load_seeds()
    run_target(target, random.Random(int(state)), seeds)
    print("no finding")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=1000000,
                        help="executions in all (default 1,000,000)")
    parser.add_argument("--seconds", type=float, default=float("inf"),
                        help="stop after this long, whatever the total")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--time-limit", type=float, default=5.0,
                        help="seconds one input may take (default 5)")
    parser.add_argument("--memory-limit", type=int, default=2 << 30,
                        help="RLIMIT_AS per worker in bytes (default 2 GiB)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stats", help="write the JSON summary here too")
    parser.add_argument("--replay", metavar="TARGET:STATE",
                        help="re-run one saved finding")
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay)
    targets = [t for t in args.targets.split(",") if t]
    for t in targets:
        if t not in TARGETS:
            parser.error("unknown target %r (known: %s)" % (t, ", ".join(TARGETS)))
    queue = multiprocessing.Queue()
    per = -(-args.total // args.workers)
    procs = [multiprocessing.Process(target=worker, args=(
        i, targets, per, args.seconds, args.time_limit, args.memory_limit,
        args.seed, queue)) for i in range(args.workers)]
    started = time.time()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    summary = {"targets": {}, "findings": [], "workers": args.workers,
               "seed": args.seed, "time_limit_s": args.time_limit,
               "memory_limit_bytes": args.memory_limit,
               "wall_seconds": round(time.time() - started, 1),
               "peak_rss_mib": round(max(r["peak_rss_mib"] for r in results), 1),
               "command": "python3 fuzz/campaign.py " + " ".join(
                   argv if argv is not None else sys.argv[1:])}
    for r in results:
        summary["findings"].extend(r["findings"])
        for t, s in r["stats"].items():
            agg = summary["targets"].setdefault(t, {"execs": 0, "parse_errors": 0,
                                                    "findings": 0, "slowest": 0.0})
            for k in ("execs", "parse_errors", "findings", "known_bug"):
                agg[k] = agg.get(k, 0) + s.get(k, 0)
            agg["slowest"] = round(max(agg["slowest"], s["slowest"]), 4)
    summary["findings"] = sorted(set(summary["findings"]))
    summary["executions"] = sum(t["execs"] for t in summary["targets"].values())
    text = json.dumps(summary, indent=2, sort_keys=True)
    print(text)
    if args.stats:
        with open(args.stats, "w") as f:
            f.write(text + "\n")
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
