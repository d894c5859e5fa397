"""The command line is read without argparse when it is plain (argparse
costs about 3 ms at every boot); whatever it reads, argparse must read the
same way, and everything else must reach argparse."""

import pytest

from harvester import cli

SAME = [
    ["--collect"],
    ["--collect", "--dry-run"],
    ["--list", "--json"],
    ["--list", "--list"],
    ["--show", "dmesg-ramoops-0"],
    ["--show=E3a36cbdaeb", "--source", "pstore:/x"],
    ["--collect", "--source", "pstore:/a", "--source=ramoops:/b,mem_size=1M",
     "--output-dir", "/o", "--state-dir=/s", "--config", "/c.yaml"],
    ["--collect", "--config", "/a", "--config", "/b"],
    ["--list", "--source="],
    ["--json", "--state-dir", "x y", "--list"],
]
TO_ARGPARSE = [
    ([], 2), (["--list", "--collect"], 2), (["--lis"], None),
    (["--coll", "--dry"], None), (["--show"], 2), (["--show", "-x"], 2),
    (["--json"], 2), (["--list", "extra"], 2), (["--list", "--json=1"], 2),
    (["-h"], 0), (["--help"], 0), (["--version"], 0), (["--list", "--"], 2),
    (["--collect", "--source"], 2), (["--list", "-"], 2),
]


@pytest.mark.parametrize("argv", SAME, ids=" ".join)
def test_plain_command_lines_read_as_argparse_reads_them(argv, monkeypatch):
    expected = vars(cli.build_parser().parse_args(argv))

    def no_argparse():
        raise AssertionError("argparse used for %r" % argv)
    monkeypatch.setattr(cli, "build_parser", no_argparse)
    assert vars(cli.parse_args(argv)) == expected


@pytest.mark.parametrize("argv,status", TO_ARGPARSE,
                         ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_everything_else_is_argparse(argv, status, capsys):
    try:
        expected = ("ok", vars(cli.build_parser().parse_args(argv)))
    except SystemExit as exc:
        expected = ("exit", exc.code)
    capsys.readouterr()
    try:
        got = ("ok", vars(cli.parse_args(argv)))
    except SystemExit as exc:
        got = ("exit", exc.code)
    assert got == expected
    if status is not None:
        assert expected == ("exit", status)
