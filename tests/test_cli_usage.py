"""What a new user sees: options that mean nothing with the action are a
usage error (exit 2), not silently ignored; --collect always says what it
did, an archived dump and nothing to do included (issue 20)."""

import os

import pytest

from harvester import cli

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "samples")
SHUTDOWN = os.path.join(SAMPLES, "ramoops-6.1-shutdown", "raw", "ramoops.bin")
BASIC = os.path.join(SAMPLES, "ramoops-6.1-basic", "raw", "ramoops.bin")

# Written out by hand from what each action does, not from cli's table.
MEANINGLESS = [
    (["--collect", "--json"], "--json"),
    (["--collect", "--dry-run", "--json"], "--json"),
    (["--show", "x", "--json"], "--json"),
    (["--list", "--dry-run"], "--dry-run"),
    (["--show", "x", "--dry-run"], "--dry-run"),
    (["--list", "--output-dir", "/o"], "--output-dir"),
    (["--show", "x", "--output-dir=/o"], "--output-dir"),
    (["--show", "x", "--state-dir", "/s"], "--state-dir"),
    (["--lis", "--dry"], "--dry-run"),          # abbreviations: argparse's path
]
MEANINGFUL = [
    ["--list", "--json", "--state-dir", "/s", "--source", "x:y", "--config",
     "/c"],
    ["--collect", "--dry-run", "--output-dir", "/o", "--state-dir", "/s",
     "--source", "x:y", "--config", "/c"],
    ["--show", "x", "--source", "x:y", "--config", "/c"],
]


@pytest.mark.parametrize("argv,option", MEANINGLESS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else v)
def test_meaningless_combinations_are_usage_errors(argv, option, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error: %s goes with" % option in err, err


@pytest.mark.parametrize("argv", MEANINGFUL, ids=" ".join)
def test_meaningful_combinations_are_accepted(argv):
    cli.parse_args(argv)


def test_collect_json_does_not_collect(tmp_path, capsys):
    out = tmp_path / "crash"
    out.mkdir()
    with pytest.raises(SystemExit) as exc:     # argparse's usage error
        cli.main(["--collect", "--json", "--source", "ramoops:" + BASIC,
                  "--output-dir", str(out),
                  "--state-dir", str(tmp_path / "state")])
    assert exc.value.code == 2
    assert os.listdir(out) == [] and not (tmp_path / "state").exists()
    assert capsys.readouterr().out == ""


def run(tmp_path, *extra):
    out = tmp_path / "crash"
    out.mkdir(exist_ok=True)
    state = tmp_path / "state"
    rc = cli.main(["--collect", "--source", "ramoops:" + SHUTDOWN,
                   "--output-dir", str(out), "--state-dir", str(state)]
                  + list(extra))
    return rc, state


def test_archived_shutdown_dump_is_printed_and_nothing_to_do_is_said(
        tmp_path, capsys):
    rc, state = run(tmp_path, "--dry-run")
    assert rc == 0
    dry = capsys.readouterr().out.splitlines()
    assert len(dry) == 1 and dry[0].startswith("would archive %s/archive-E"
                                               % state), dry
    assert "Shutdown dump, not reported" in dry[0]

    rc, state = run(tmp_path)
    assert rc == 0
    printed = capsys.readouterr().out.splitlines()
    archived = sorted(n for n in os.listdir(state) if n.startswith("archive-"))
    assert printed == [str(state / archived[0])] and len(archived) == 1
    assert dry[0].split()[2] == printed[0]      # the dry run named it

    for extra in ((), ("--dry-run",)):
        rc, _ = run(tmp_path, *extra)
        assert rc == 0
        assert capsys.readouterr().out == \
            "nothing to do: no new crash records\n", extra


README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def readme_sample_commands():
    """The README's "Using it" commands on the bundled sample, as written."""
    text = open(README).read()
    section = text[text.index("## Using it"):text.index("| source |")]
    lines = [line.strip() for line in section.splitlines()]
    spec = next(line for line in lines if line.startswith("S="))[2:]
    return spec, [line.split("  #")[0].split() + [line.partition("#")[2]]
                  for line in lines if line.startswith("oops-harvest ")]


def test_readme_examples_run_on_the_sample_and_show_what_they_say(
        tmp_path, capsys, monkeypatch):
    spec, commands = readme_sample_commands()
    assert len(commands) >= 6
    monkeypatch.chdir(os.path.join(os.path.dirname(__file__), os.pardir))
    (tmp_path / "oh" / "crash").mkdir(parents=True)
    for *argv, comment in commands:
        argv = [spec if a == "$S" else a.replace("/tmp/", "%s/" % tmp_path)
                for a in argv[1:]]
        assert cli.main(argv) == 0, argv
        out = capsys.readouterr().out
        # Every event id the comment names is really in the output.
        for word in comment.replace(",", " ").split():
            if word.startswith("E") and len(word) == 11:
                assert word in out, (argv, word)
        if comment.startswith("would write"):
            assert comment.rstrip(". ").split()[2] in out, (argv, out)
    assert len(os.listdir(tmp_path / "oh" / "crash")) == 2


def test_report_file_names_turn_plus_into_underscore():
    from harvester import report
    assert report.safe_name("linux-image-6.1.0+rt") == "linux-image-6.1.0_rt"


def test_pstore_record_fields_hold_the_decoded_payload(tmp_path, capsys):
    from tests import apport_format
    source = "ramoops:" + BASIC
    assert cli.main(["--show", "dmesg-ramoops-0", "--source", source]) == 0
    shown = capsys.readouterr().out.encode()
    assert shown.startswith(b"Oops#1 Part1\n")       # decompressed
    out = tmp_path / "crash"
    out.mkdir()
    assert cli.main(["--collect", "--source", source, "--output-dir", str(out),
                     "--state-dir", str(tmp_path / "state")]) == 0
    fields = [apport_format.load((out / n).read_bytes())[0]
              for n in sorted(os.listdir(out))]
    oops = next(f for f in fields if f["Failure"] == "oops")
    assert oops["PstoreRecord1"] == shown
