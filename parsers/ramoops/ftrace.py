"""ftrace zones: struct pstore_ftrace_record, merged across CPUs as
pstore_ftrace_combine_log does, rendered as ftrace-ramoops-0 reads."""

from .structs import FTRACE_RECORD_SIZE, FtraceRecord


def ftrace_records(data):
    """Parse a (merged) ftrace log, skipping a torn leading record."""
    skip = len(data) % FTRACE_RECORD_SIZE
    return [FtraceRecord.parse(data[i:i + FTRACE_RECORD_SIZE])
            for i in range(skip, len(data), FTRACE_RECORD_SIZE)]


def merge_ftrace(logs):
    """pstore_ftrace_combine_log over the per-CPU zones, in zone order."""
    merged = []
    for log in logs:
        src = ftrace_records(log)
        out, i, j = [], 0, 0
        while i < len(merged) and j < len(src):
            if (merged[i].ts >> 8) < (src[j].ts >> 8):
                out.append(merged[i])
                i += 1
            else:
                out.append(src[j])
                j += 1
        merged = out + merged[i:] + src[j:]
    return merged


def render_ftrace(records):
    """The text of ftrace-ramoops-0, with addresses where the reading kernel
    would print symbol names (only the crashed kernel's symbols fit)."""
    lines = []
    for rec in records:
        lines.append("CPU:%d ts:%d %08x  %08x  0x%x <- 0x%x\n"
                     % (rec.ts & 0xFF, rec.ts >> 8, rec.ip, rec.parent_ip,
                        rec.ip, rec.parent_ip))
    return "".join(lines).encode()
