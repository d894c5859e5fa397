"""Configuration: /etc/oops-harvest/config.yaml, every key optional.

Unknown keys and wrong types are errors naming the key.  PyYAML is only
imported when a config file exists, keeping it off the empty boot path.
"""

import os

DEFAULT_PATH = "/etc/oops-harvest/config.yaml"

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
        raise ConfigError("config key %r: %r is not %s" % (name, value, want))


def load(path=None):
    """Defaults, overridden by the file if it exists (or if named)."""
    explicit = path is not None
    path = path or DEFAULT_PATH
    try:
        with open(path, "rb") as f:
            text = f.read(1 << 20)
    except FileNotFoundError:
        if explicit:
            raise ConfigError("config file %s does not exist" % path) from None
        return Config()
    except OSError as exc:
        raise ConfigError("cannot read config file %s: %s"
                          % (path, exc.strerror)) from None
    import yaml
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError("config file %s: %s" % (path, exc)) from None
    if not isinstance(data, dict):
        raise ConfigError("config file %s must be a mapping of keys" % path)
    for key, value in data.items():
        if key not in KEYS:
            raise ConfigError("config file %s: unknown key %r (known: %s)"
                              % (path, key, ", ".join(sorted(KEYS))))
        _check(key, value, KEYS[key][1])
    return Config(**data)
