"""``tutorloop --help`` and ``--version`` start quickly: no stage and no heavy library imported.

Every command lives in a module of its own, imported when the command runs; the root's help is
listed from a table, which must match the commands themselves.
"""

import inspect
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tutorloop.cli.app import COMMANDS, app, load_commands

HEAVY = (
    "altair", "vl_convert", "sklearn", "scipy", "fastapi", "uvicorn", "pyarrow", "openai",
    "numpy", "pandas", "starlette", "httpx", "jinja2", "pydantic",
)  # fmt: skip
LIGHT = {"tutorloop", "tutorloop._lazy", "tutorloop._version", "tutorloop.cli",
         "tutorloop.cli.app", "tutorloop.cli.common", "tutorloop.errors"}  # fmt: skip

PROBE = """
import json, sys
sys.argv = ["tutorloop", *sys.argv[1:]]
from tutorloop.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_loaded_by(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    *timings, last = done.stderr.strip().splitlines()
    assert all(line.startswith("import time:") for line in timings)
    return set(json.loads(last))


@pytest.mark.parametrize("args", [["--help"], ["--version"], []])
def test_help_and_version_import_nothing_heavy(args):
    loaded = modules_loaded_by(*args)
    heavy = {m for m in loaded if m.split(".")[0] in HEAVY}
    assert not heavy, f"tutorloop {' '.join(args)} imports {sorted(heavy)}"
    ours = {m for m in loaded if m.split(".")[0] == "tutorloop"}
    assert ours <= LIGHT, sorted(ours - LIGHT)


def test_a_command_imports_only_what_it_uses():
    loaded = modules_loaded_by("check-gates", "--help")
    assert "tutorloop.cli.gates_cmd" in loaded and "tutorloop.cli.grade_cmd" not in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("altair", "sklearn", "fastapi")}


def test_version():
    from tutorloop import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"tutorloop {__version__}"


def test_the_root_help_lists_every_command_in_its_panel():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name, entry in COMMANDS.items():
        assert name in result.output and entry.help in result.output
        assert entry.panel in result.output


def test_the_table_is_the_commands_themselves():
    """Each module's commands are all in the table, with their real help and module."""
    modules = {entry.module for entry in COMMANDS.values()}
    seen: dict[str, str] = {}
    for module in sorted(modules):
        for name, command in load_commands(module).items():
            assert name not in seen, f"{name} is registered by {seen.get(name)} and {module}"
            seen[name] = module
            first = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ")
            assert COMMANDS[name].help == first, name
            assert command.rich_help_panel == COMMANDS[name].panel
    assert seen == {name: entry.module for name, entry in COMMANDS.items()}


def test_a_typo_suggests_commands_not_imported_yet():
    result = CliRunner().invoke(app, ["calibrat"])
    assert result.exit_code == 2 and "calibrate" in result.output


def test_grading_and_replay_leave_the_scientific_stack_unloaded():
    """NumPy and scipy (~100 MiB, seconds to import) load only where a command needs them."""
    probe = (
        "import json, sys\n"
        "from tutorloop.run import grade_paths, replay_paths, watch_folder\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    loaded = set(json.loads(done.stdout))
    assert not {m for m in loaded if m.split(".")[0] in ("numpy", "scipy", "sklearn", "pyarrow")}
