"""Configuration: /etc/oops-harvest/config.yaml, every key optional.

Unknown keys and wrong types are errors naming the key; any failure to
read or parse the file is one ConfigError line naming it (exit status 2).
PyYAML is imported only for a file that holds more than comments, keeping
it off the boot path of the shipped, all-commented config.
"""


DEFAULT_PATH = "/etc/oops-harvest/config.yaml"
MAX_BYTES = 1 << 20

# key: (default, type, meaning).  Types: str, "str?" (or null), bool, int
# (>= 0), list (of str).  README's configuration table mirrors this.
KEYS = {
    "output_dir": ("/var/crash", str, "where reports go"),
    "state_dir": ("/var/lib/oops-harvest", str,
                  "harvest state, lock and archive (root-only)"),
    "sources": ([], list, "source specs as for --source; empty = discover"),
    "clear_backends": (True, bool,
                       "erase backend records once their report is durable"),
    "report_reasons": (["Oops", "Panic", "Emergency"], list,
                       "dump reasons that become reports"),
    "report_group": (None, "str?", "group allowed to read reports (0640)"),
    "private": (False, bool, "reports in a root-only 0700 subdirectory"),
    "max_record_bytes": (1 << 20, int, "largest pstore file or EFI variable; "
                         "a larger console is read from its newest end"),
    "max_decompressed_bytes": (4 << 20, int, "cap on one decompressed record"),
    "max_report_bytes": (8 << 20, int, "cap on one report"),
    "max_records": (1000, int, "records handled per run"),
    "max_reports_in_output_dir": (100, int,
                                  "stop when this many kernel reports wait"),
    "require_pstore_mount": (True, bool,
                             "clear only the real pstore/efivarfs mounts"),
}


class ConfigError(Exception):
    pass


class Config:
    """Attribute access to the settings; every key has its default."""

    def __init__(self, **values):
        for key, (default, _, _) in KEYS.items():
            value = values.pop(key, default)
            setattr(self, key, list(value) if isinstance(value, list) else value)
        if values:
            raise ConfigError("unknown config keys: %s" % ", ".join(values))


def _check(name, value, kind):
    if kind == "str?":
        ok = value is None or isinstance(value, str)
    elif kind is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    else:
        ok = isinstance(value, kind)
    if not ok:
        want = {"str?": "a string or null", list: "a list of strings",
                int: "a whole number >= 0", bool: "true or false",
                str: "a string"}[kind]
        raise ConfigError("config key %r: %s is not %s"
                          % (name, _short(value), want))


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load(path=None):
    """Defaults, overridden by the file if it exists (or if named)."""
    explicit = path is not None
    path = path or DEFAULT_PATH
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        if explicit:
            raise ConfigError("config file %s does not exist" % path) from None
        return Config()
    except OSError as exc:
        raise ConfigError("cannot read config file %s: %s"
                          % (path, exc.strerror or exc)) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError("config file %s is larger than %d bytes"
                          % (path, MAX_BYTES))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("config file %s is not UTF-8 text (byte %d)"
                          % (path, exc.start)) from None
    data = _parse(path, text)
    if not isinstance(data, dict):
        raise ConfigError("config file %s must be a mapping of keys" % path)
    for key, value in data.items():
        if key not in KEYS:
            raise ConfigError("config file %s: unknown key %s (known: %s)"
                              % (path, _short(key), ", ".join(sorted(KEYS))))
        _check(key, value, KEYS[key][1])
    return Config(**data)


def _parse(path, text):
    """The YAML document, or {} for a file of comments and blank lines."""
    if all(not line.strip() or line.lstrip().startswith("#")
           for line in text.splitlines()):
        return {}
    import yaml
    # libyaml's safe loader when present: faster, and it bounds nesting.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = ", line %d" % (mark.line + 1) if mark else ""
        raise ConfigError("config file %s%s: %s" % (
            path, where, exc.problem or exc.context)) from None
    except RecursionError:                    # the pure-Python parser
        raise ConfigError("config file %s: nested too deeply" % path) from None
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        # ValueError: a value YAML types but cannot build (2020-13-45).
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ConfigError("config file %s: %s" % (path, first)) from None
    finally:
        loader.dispose()
    return {} if data is None else data
