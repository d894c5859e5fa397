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
