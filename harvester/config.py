"""Configuration: /etc/oops-harvest/config.yaml, every key optional.

Unknown keys and wrong types are errors naming the key.  PyYAML is only
imported when a config file exists, keeping it off the empty boot path.
"""

import os
from dataclasses import dataclass, field, fields
from typing import List, Optional

DEFAULT_PATH = "/etc/oops-harvest/config.yaml"


class ConfigError(Exception):
    pass


@dataclass
class Config:
    # Where reports go; apport and whoopsie look in /var/crash.
    output_dir: str = "/var/crash"
    # Harvest state (fingerprints of reported records).
    state_dir: str = "/var/lib/oops-harvest"
    # Lock for the run; never in a world-writable directory.
    lock_dir: str = "/run/oops-harvest"
    # Source specs as on the command line; empty = auto-discovery.
    sources: List[str] = field(default_factory=list)
    # Erase backend records once their report is durable.
    clear_backends: bool = True
    # Dump reasons that produce reports; others are only listed.
    report_reasons: List[str] = field(
        default_factory=lambda: ["Oops", "Panic", "Emergency"])
    # A group (e.g. whoopsie) that may read reports: mode 0640 instead of 0600.
    report_group: Optional[str] = None
    # Put reports in a root-only 0700 subdirectory of output_dir.
    private: bool = False
    # Caps against hostile or broken input.
    max_record_bytes: int = 1 << 20
    max_decompressed_bytes: int = 4 << 20
    max_report_bytes: int = 8 << 20
    max_records: int = 1000
    max_reports_in_output_dir: int = 100
    # Require /sys/fs/pstore to be a real pstore mount before clearing it.
    require_pstore_mount: bool = True


def _check(name, value, kind):
    if kind is Optional[str]:
        ok = value is None or isinstance(value, str)
    elif kind is List[str]:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ConfigError("config key %r: %r is not %s" % (
            name, value, getattr(kind, "__name__", str(kind))))


def load(path=None):
    """Defaults, overridden by the file if it exists (or if named)."""
    explicit = path is not None
    path = path or DEFAULT_PATH
    config = Config()
    try:
        with open(path, "rb") as f:
            text = f.read(1 << 20)
    except FileNotFoundError:
        if explicit:
            raise ConfigError("config file %s does not exist" % path) from None
        return config
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
    known = {f.name: f.type for f in fields(Config)}
    for key, value in data.items():
        if key not in known:
            raise ConfigError("config file %s: unknown key %r (known: %s)"
                              % (path, key, ", ".join(sorted(known))))
        _check(key, value, known[key])
        setattr(config, key, value)
    return config
