"""pinfold.cli.common: ``open_repo`` finds the repo from PINFOLD_REPO unless --repo is given;
every boolean option of every parser the registry builds parses as Kubo's (issue 13)."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinfold import CID
from pinfold.cli.common import BoolFlag, Parser, RefusedFlag, parse_bool
from pinfold.cli.main import build_parser
from pinfold.repo import Repo

from .helpers import cli, lines


def test_cli_uses_pinfold_repo_from_the_environment(tmp_path, capsysbinary, monkeypatch):
    repo = tmp_path / "env-repo"
    monkeypatch.setenv("PINFOLD_REPO", str(repo))
    code, out, _ = cli(capsysbinary, "init", "--backend", "lmdb", "--no-fsync")
    assert code == 0 and str(repo) in out.decode()
    assert (repo / "config.json").exists()
    f = tmp_path / "x.txt"
    f.write_bytes(b"from the environment\n")
    code, out, _ = cli(capsysbinary, "add", str(f))
    assert code == 0
    cid = CID(lines(out)[0].split()[1])
    code, out, _ = cli(capsysbinary, "pin", "ls", "-q")
    assert lines(out) == [str(cid)]
    code, out, _ = cli(capsysbinary, "repo", "stat")
    assert f"RepoPath: {repo}" in out.decode()
    with Repo(repo) as rp:
        assert rp.backend == "lmdb"
        assert [p.cid for p in rp.pins.list()] == [cid]
    # --repo wins over the environment
    other = str(tmp_path / "other")
    cli(capsysbinary, "init", "--repo", other, "--no-fsync")
    code, out, _ = cli(capsysbinary, "pin", "ls", "--repo", other)
    assert code == 0 and out == b""


# -- boolean options, as Kubo parses them, on every parser the registry builds --------------

_FALSY = ("false", "FALSE", "f", "F", "0")
_TRUTHY = ("", "true", "True", "t", "T", "1")
# positional words a broken flag would swallow as its value: they look like booleans
_WORDS = ("false", "0", "t", "1", "bafkqaaa",
          "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8")


def _parsers(parser=None, path=()):
    """Every parser of ``pinfold``: (command words, parser), each parser once."""
    parser = parser or build_parser()
    seen = set()
    todo = [(path, parser)]
    while todo:
        path, p = todo.pop()
        if id(p) in seen:
            continue
        seen.add(id(p))
        yield path, p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend((path + (name,), sub) for name, sub in action.choices.items())


PARSERS = sorted(_parsers(), key=lambda t: t[0])
LEAVES = [(path, p) for path, p in PARSERS
          if not any(isinstance(a, argparse._SubParsersAction) for a in p._actions)]


def _value_for(action):
    """A word ``action`` accepts, as boolean-looking as possible."""
    if action.choices:
        return str(list(action.choices)[0])
    for word in _WORDS:
        try:
            if action.type is not None:
                action.type(word)
            return word
        except Exception:  # noqa: BLE001 - the type refused it: try the next
            continue
    return "word"


def _base_argv(parser):
    """Positional words (two for a list, so a flag can go between them) and required options."""
    positional, required = [], []
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            continue
        if not a.option_strings:
            n = 2 if a.nargs in ("+", "*") else 1
            positional.append([_value_for(a)] * n)
        elif a.required:
            required += [a.option_strings[0], _value_for(a)]
    return [w for ws in positional for w in ws], required


def _bool_actions(parser):
    return [a for a in parser._actions if isinstance(a, BoolFlag) and not a.negate]


_PARSER = build_parser()


def _parse(path, argv):
    return _PARSER.parse_args([*path, *argv])


def test_every_parser_is_a_kubo_style_parser():
    for path, p in PARSERS:
        assert isinstance(p, Parser), path
        assert p.allow_abbrev is False, path


def test_every_boolean_option_is_a_bool_flag():
    """A boolean option made any other way (store_true, type=parse_bool, nargs='?') would not
    follow Kubo's rule; commands added later are walked too."""
    for path, p in PARSERS:
        for a in p._actions:
            if isinstance(a, BoolFlag) or not a.option_strings:
                continue
            where = f"pinfold {' '.join(path)} {a.option_strings}"
            assert not isinstance(a, (argparse._StoreTrueAction, argparse._StoreFalseAction,
                                      argparse.BooleanOptionalAction)), where
            assert not isinstance(getattr(a, "const", None), bool), where
            assert a.type is not parse_bool, where
            assert a.nargs != "?", where
    assert sum(len(_bool_actions(p)) for _, p in LEAVES) >= 40


@pytest.mark.parametrize("path,parser", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_boolean_options_follow_kubos_rule(path, parser, capsys):
    words, required = _base_argv(parser)
    base = vars(_parse(path, [*required, *words]))
    flags = _bool_actions(parser)
    for action in [a for a in flags if isinstance(a, RefusedFlag)]:
        # a Kubo option pinfold does not offer: refused in one line, its false form accepted
        for name in action.option_strings:
            for argv in ([name, *words], [*words, f"{name}=true"]):
                with pytest.raises(SystemExit) as exc:
                    _parse(path, [*required, *argv])
                assert exc.value.code == 2
                err = capsys.readouterr().err
                assert err.count("\n") == 1 and "not supported by pinfold" in err
            assert vars(_parse(path, [*required, *words, f"{name}=false"])) == base
    flags = [a for a in flags if not isinstance(a, RefusedFlag)]
    for action in flags:
        for name in action.option_strings:
            # bare: true, before, between and after the positional words; the next word is
            # never its value
            places = {0, len(words)} | ({1} if len(words) > 1 else set())
            for at in sorted(places):
                argv = [*required, *words[:at], name, *words[at:]]
                got = vars(_parse(path, argv))
                assert got[action.dest] is True, argv
                assert {k: v for k, v in got.items() if k != action.dest} == \
                    {k: v for k, v in base.items() if k != action.dest}, argv
                for value in _FALSY + _TRUTHY if at == 0 else ("false", ""):
                    argv = [*required, *words[:at], f"{name}={value}", *words[at:]]
                    got = vars(_parse(path, argv))
                    assert got[action.dest] is (value in _TRUTHY), argv
            neg = vars(_parse(path, [*required, *words, action.negative]))
            assert neg[action.dest] is False
            with pytest.raises(SystemExit) as exc:
                _parse(path, [*required, f"{name}=maybe", *words])
            assert exc.value.code == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "maybe" in err and name in err
    # short booleans group, as in Kubo: -nQ
    shorts = [n for a in flags for n in a.option_strings if len(n) == 2]
    if len(shorts) > 1:
        got = vars(_parse(path, [*required, "-" + "".join(n[1] for n in shorts), *words]))
        for a in flags:
            if any(n in shorts for n in a.option_strings):
                assert got[a.dest] is True


def test_an_option_value_that_looks_like_a_flag_is_left_alone():
    ns = _parse(("add",), ["--pin-name", "--pin=false", "x"])
    assert ns.pin_name == "--pin=false" and ns.pin is None
    ns = _parse(("add",), ["-ns", "size-10", "x"])
    assert ns.only_hash is True and ns.chunker == "size-10" and ns.paths == ["x"]
    ns = _parse(("add",), ["-n", "--", "--pin=false"])
    assert ns.paths == ["--pin=false"] and ns.pin is None


def test_options_are_not_abbreviated(capsys):
    with pytest.raises(SystemExit):
        _parse(("add",), ["--raw", "x"])
    assert "--raw" in capsys.readouterr().err


_TOKENS = st.sampled_from([
    "--pin", "--pin=", "--pin=false", "--pin=maybe", "-n", "-nQ", "-n=true", "-nQr", "-ns",
    "-s", "--chunker", "--raw-leaves=T", "--no-pin", "--", "-", "--mtime", "-5", "--nocopy",
    "--nocopy=false", "--to-files", "-E=0", "--cid-version", "1", "x", "false", "=", "-=",
    "--=x", "-Q=", "--raw", "--pin-name", "--quieter=1", "-H=f", "--progress=",
])


@given(st.lists(st.one_of(_TOKENS, st.text(max_size=8)), max_size=8),
       st.sampled_from([("add",), ("pin", "add"), ("name", "publish"), ("dag", "export")]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_command_line_parses_or_is_a_one_line_usage_error(words, path):
    """Arbitrary words never make the parser raise anything but a usage error (exit 2)."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            _parse(path, words)
        except SystemExit as exc:
            if exc.code == 0:  # help was asked for (-h, --help, or h among grouped shorts)
                assert any(w == "--help" or (w[:1] == "-" and w[1:2] != "-"
                                             and "h" in w.partition("=")[0]) for w in words)
                return
            assert exc.code == 2
            assert err.getvalue().startswith("pinfold: error: ")
            assert err.getvalue().count("\n") == 1
