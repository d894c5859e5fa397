import os

import pytest

from harvester import config

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DEFAULT_PATH", str(tmp_path / "absent.yaml"))
    cfg = config.load()
    assert cfg.output_dir == "/var/crash" and cfg.report_reasons == [
        "Oops", "Panic", "Emergency"]


@pytest.mark.parametrize("text,words", [
    ("outptu_dir: /x\n", "unknown key 'outptu_dir'"),
    ("private: yes please\n", "'private'"),
    ("max_records: -1\n", "'max_records'"),
    ("report_reasons: Oops\n", "'report_reasons'"),
    ("- a\n- b\n", "mapping"),
    ("output_dir: [unclosed\n", "config file"),
])
def test_bad_files_name_the_key(tmp_path, text, words):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(config.ConfigError, match=words.replace("(", r"\(")):
        config.load(str(path))


def test_named_file_must_exist(tmp_path):
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.load(str(tmp_path / "nope.yaml"))


def test_every_key_is_documented_in_the_readme():
    text = open(README).read()
    for key in config.KEYS:
        assert "| `%s` |" % key in text, key


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("output_dir: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(config.ConfigError):
        config.load(str(path))


# --- every failure to read or parse is one line naming the file, exit 2 ----

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))


def run_cli(config_path, **kw):
    """``oops-harvest --list --config FILE`` in a fresh interpreter, so an
    uncaught exception shows as a traceback on stderr."""
    import subprocess
    import sys
    return subprocess.run(
        [sys.executable, "-m", "harvester.cli", "--list", "--config",
         str(config_path), "--source", "pstore:" + ROOT + "/samples"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, **kw)


def assert_one_line_error(res, path, words):
    assert res.returncode == 2, res
    assert res.stdout == ""
    assert "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("oops-harvest: ") and str(path) in lines[0]
    assert words in lines[0], lines[0]


def test_missing_file(tmp_path):
    path = tmp_path / "absent.yaml"
    assert_one_line_error(run_cli(path), path, "does not exist")


def test_unreadable_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("private: true\n")
    path.chmod(0)
    if os.geteuid() == 0:                      # root reads mode 000 files
        tmp_path.chmod(0o755)
        os.chmod(os.path.dirname(tmp_path), 0o755)
        res = run_cli(path, user=65534, group=65534, extra_groups=[])
    else:
        res = run_cli(path)
    assert_one_line_error(res, path, "Permission denied")


def test_directory_instead_of_file(tmp_path):
    assert_one_line_error(run_cli(tmp_path), tmp_path, "Is a directory")


def test_not_utf8(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"output_dir: /var/cr\xe4sh\n")
    assert_one_line_error(run_cli(path), path, "not UTF-8")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_not_a_mapping(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert_one_line_error(run_cli(path), path, "must be a mapping")


@pytest.mark.parametrize("text", [
    "sources: " + "[" * 100000 + "]" * 100000 + "\n",
    "sources:\n" + "".join("  " * i + "-\n" for i in range(1, 2000)),
    "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 2000)),
])
def test_deeply_nested(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert_one_line_error(run_cli(path), path, "config file")


@pytest.mark.parametrize("text,words", [
    ("output_dir: [unclosed\n", "line 2"),
    ("output_dir: 2020-13-45\n", "month must be in 1..12"),
    ("max_records: !!int nope\n", "invalid literal"),
    ("output_dir: \"a\nb: [\n", "config file"),
])
def test_yaml_errors_are_one_line(tmp_path, text, words):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert_one_line_error(run_cli(path), path, words)


def test_pure_python_parser_nesting(tmp_path, monkeypatch):
    """Without libyaml the parser recurses: RecursionError, one line."""
    import yaml
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    path = tmp_path / "c.yaml"
    path.write_text("sources: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(config.ConfigError, match="nested too deeply"):
        config.load(str(path))


def test_oversized_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("#" * config.MAX_BYTES + "\n")
    with pytest.raises(config.ConfigError, match="larger than"):
        config.load(str(path))


def test_comments_only_file_is_the_defaults(tmp_path):
    shipped = os.path.join(ROOT, "packaging", "config", "config.yaml")
    assert vars(config.load(shipped)) == vars(config.Config())
