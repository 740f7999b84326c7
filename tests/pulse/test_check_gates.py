"""The strict PULSE gate check: exit codes and messages exactly as PULSE check_gates.py."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from tutorloop.cli.gates_cmd import expand_require, register
from tutorloop.pulse.check_gates import check_gates

# PULSE check_gates.py's contract: gates {a: true, b: 1, c: "true"}.
TABLE_GATES = {"a": True, "b": 1, "c": "true"}


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def status(gates: object, **more: object) -> dict:
    return {
        "version": "1.0.0-test",
        "created_utc": "2026-02-18T00:00:00Z",
        "metrics": {"run_mode": "core"},
        "gates": gates,
        **more,
    }


def run(path: Path | str, *required: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check_gates(path, list(required), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def table(tmp_path: Path) -> Path:
    return write(tmp_path / "status.json", status(TABLE_GATES))


@pytest.mark.parametrize(
    ("required", "code", "stdout"),
    [
        (["a"], 0, "[OK] All required gates PASS\n"),
        (["a", "b"], 1, "[X] FAIL gates: b\n[X] Values: b=1\n"),
        (["a", "c"], 1, '[X] FAIL gates: c\n[X] Values: c="true"\n'),
        (["a", "zz"], 2, "[X] Missing required gates: zz\n"),
    ],
)
def test_the_contract_table(table, required, code, stdout):
    assert run(table, *required) == (code, stdout, "")


def test_every_failing_gate_on_one_line_in_the_order_required(tmp_path):
    path = write(tmp_path / "s.json", status({"t": True, "n": None, "f": False, "s": "yes"}))
    assert run(path, "s", "t", "n", "f") == (
        1,
        '[X] FAIL gates: s, n, f\n[X] Values: s="yes", n=null, f=false\n',
        "",
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        (False, "false"),
        (0, "0"),
        (1.0, "1.0"),
        ("", '""'),
        ("True", '"True"'),
        ([True], "[true]"),
        ({"ok": True}, '{"ok": true}'),
        ("ja ✓ – ok", '"ja ✓ – ok"'),
    ],
)
def test_only_literal_true_passes(tmp_path, value, shown):
    path = write(tmp_path / "s.json", status({"g": value}))
    assert run(path, "g") == (1, f"[X] FAIL gates: g\n[X] Values: g={shown}\n", "")


def test_missing_gates_are_reported_before_failing_ones(tmp_path):
    path = write(tmp_path / "s.json", status({"f": False}))
    assert run(path, "f", "zz", "yy") == (2, "[X] Missing required gates: zz, yy\n", "")


def test_duplicated_ids_count_once(table):
    assert run(table, "a", "a") == (0, "[OK] All required gates PASS\n", "")
    assert run(table, "b", "a", "b", "c", "c") == (
        1,
        '[X] FAIL gates: b, c\n[X] Values: b=1, c="true"\n',
        "",
    )
    assert run(table, "zz", "a", "zz") == (2, "[X] Missing required gates: zz\n", "")


def test_a_missing_file_is_exit_2(tmp_path):
    path = tmp_path / "nope.json"
    assert run(path, "a") == (2, "", f"[X] Invalid or missing status.json: {path}\n")


def test_invalid_json_prints_both_messages(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not valid json", encoding="utf-8")
    with pytest.raises(json.JSONDecodeError) as parse_error:
        json.loads("{not valid json")
    assert run(path, "a") == (
        2,
        "",
        f"[X] Failed to read/parse status JSON at {path}: {parse_error.value}\n"
        f"[X] Invalid or missing status.json: {path}\n",
    )


def test_unreadable_files_print_both_messages(tmp_path):
    bad_utf8 = tmp_path / "latin1.json"
    bad_utf8.write_bytes(b'{"gates": {"caf\xe9": true}}')
    code, out, err = run(bad_utf8, "a")
    first, second = err.splitlines()
    assert (code, out) == (2, "")
    assert first.startswith(f"[X] Failed to read/parse status JSON at {bad_utf8}: 'utf-8' codec")
    assert second == f"[X] Invalid or missing status.json: {bad_utf8}"
    code, out, err = run(tmp_path, "a")  # a folder
    assert (code, out) == (2, "") and len(err.splitlines()) == 2


@pytest.mark.parametrize("data", [[1, 2], "status", 3, None, True])
def test_a_file_that_is_not_an_object_is_exit_2(tmp_path, data):
    path = write(tmp_path / "s.json", data)
    assert run(path, "a") == (2, "", f"[X] Invalid or missing status.json: {path}\n")


@pytest.mark.parametrize("gates", [None, [], ["a"], "a", 1, True])
def test_gates_not_an_object_is_exit_2(tmp_path, gates):
    path = write(tmp_path / "s.json", status(gates))
    assert run(path, "a") == (2, "", f"[X] status.json is missing a 'gates' object: {path}\n")


def test_no_gates_key_is_exit_2(tmp_path):
    path = write(tmp_path / "s.json", {"metrics": {"run_mode": "core"}})
    assert run(path, "a") == (2, "", f"[X] status.json is missing a 'gates' object: {path}\n")


def test_only_gates_are_read_not_mirrors_version_or_run_mode(tmp_path):
    path = write(tmp_path / "s.json", {"gates": {"a": True}, "a": False, "version": 3})
    assert run(path, "a")[0] == 0
    path = write(tmp_path / "s.json", status({"a": False}, a=True, overall_pass=True))
    assert run(path, "a")[0] == 1


def test_the_path_is_printed_as_pathlib_prints_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("./nope.json", "a")[2] == "[X] Invalid or missing status.json: nope.json\n"


def test_required_must_be_a_non_empty_sequence_of_ids(table):
    with pytest.raises(ValueError):
        run(table)
    with pytest.raises(TypeError):
        check_gates(table, "a", io.StringIO(), io.StringIO())


# ---- the command ---------------------------------------------------------------------------


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """A stand-in for the tutorloop app."""

    register(app, Console(), Console(stderr=True))
    return app


def invoke(app: typer.Typer, *args: str):
    return CliRunner().invoke(app, ["check-gates", *args])


CB = '[X] FAIL gates: c, b\n[X] Values: c="true", b=1\n'


@pytest.mark.parametrize(
    ("args", "code", "stdout"),
    [
        (["--require", "a"], 0, "[OK] All required gates PASS\n"),
        (["--require", "a", "b"], 1, "[X] FAIL gates: b\n[X] Values: b=1\n"),
        (["--require", "a", "c"], 1, '[X] FAIL gates: c\n[X] Values: c="true"\n'),
        (["--require", "a", "zz"], 2, "[X] Missing required gates: zz\n"),
        (["--require", "c", "b", "a"], 1, CB),
        (["--require", "c", "--require", "b"], 1, CB),
        (["--require", "c", "a", "--require", "b"], 1, CB),
        (["--require=a", "--require", "a"], 0, "[OK] All required gates PASS\n"),
    ],
)
def test_the_command(cli, table, args, code, stdout):
    result = invoke(cli, "--status", str(table), *args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, stdout, "")


def test_the_command_takes_the_flags_in_any_order(cli, table):
    result = invoke(cli, "--require", "a", "b", "--status", str(table))
    assert (result.exit_code, result.stdout) == (1, "[X] FAIL gates: b\n[X] Values: b=1\n")


def test_the_command_reports_file_problems_on_stderr(cli, tmp_path):
    path = tmp_path / "nope.json"
    result = invoke(cli, "--status", str(path), "--require", "a")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"[X] Invalid or missing status.json: {path}\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--require", "a"],  # no --status
        ["--status", "s.json"],  # no --require
        ["--status", "s.json", "--require"],  # --require without an id
        ["stray", "--status", "s.json", "--require", "a"],
        ["--status", "s.json", "--require", "a", "--bogus"],
        [],
    ],
)
def test_usage_errors_exit_2(cli, table, args):
    args = [str(table) if a == "s.json" else a for a in args]
    result = invoke(cli, *args)
    assert result.exit_code == 2
    assert "[OK]" not in result.stdout


def test_expand_require():
    assert expand_require(["--require", "a", "b", "c"]) == [
        "--require", "a", "--require", "b", "--require", "c",
    ]  # fmt: skip
    assert expand_require(["--status", "s", "--require", "a", "b", "--status", "t"]) == [
        "--status", "s", "--require", "a", "--require", "b", "--status", "t",
    ]  # fmt: skip
    assert expand_require(["--require=a", "b"]) == ["--require=a", "b"]
    assert expand_require(["--", "--require", "a", "b"]) == ["--", "--require", "a", "b"]
    assert expand_require(["--require"]) == ["--require"]
    assert expand_require(["--require", "-x", "y"]) == ["--require", "-x", "--require", "y"]


# ---- the real command, as CI runs it --------------------------------------------------------


def check_gates_is_wired() -> bool:
    from tutorloop.cli.app import COMMANDS

    return "check-gates" in COMMANDS


@pytest.mark.e2e
@pytest.mark.skipif(not check_gates_is_wired(), reason="check-gates is not registered in app.py")
@pytest.mark.parametrize(
    ("required", "code", "stdout"),
    [
        (["a"], 0, "[OK] All required gates PASS\n"),
        (["a", "b"], 1, "[X] FAIL gates: b\n[X] Values: b=1\n"),
        (["a", "c"], 1, '[X] FAIL gates: c\n[X] Values: c="true"\n'),
        (["a", "zz"], 2, "[X] Missing required gates: zz\n"),
    ],
)
def test_python_dash_m_tutorloop_check_gates(table, required, code, stdout):
    command = [sys.executable, "-m", "tutorloop", "check-gates", "--status", str(table)]
    result = subprocess.run(
        [*command, "--require", *required], capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout, result.stderr) == (code, stdout, "")
