"""The README's notebook example runs as written: plainly, and inside a running event loop."""

import asyncio
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

README = Path(__file__).parents[1] / "README.md"


def notebook_example() -> str:
    """The first ```python block of the README's section on Python and notebooks."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## From Python and notebooks") :]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the section has no ```python block"
    return found.group(1)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORLOOP_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(folder: Path, printed: str) -> None:
    table = pq.read_table(folder / "results.parquet")
    count = len(list((Path(__file__).parents[1] / "src/tutorloop/data/sessions").glob("*.json")))
    assert table.num_rows == count and "check.diagnosis_first" in table.column_names
    fidelity, escalated, _, items, _ = printed.split()
    assert 0 < float(fidelity) < 1 and 0 < int(escalated) < int(items) == count


def test_the_example_is_short():
    lines = [line for line in notebook_example().splitlines() if line.strip()]
    assert len(lines) <= 5


def test_the_example_runs(folder, capsys):
    exec(compile(notebook_example(), str(README), "exec"), {})
    check(folder, capsys.readouterr().out)


def test_the_example_runs_in_a_jupyter_cell(folder, capsys):
    """A notebook cell runs inside an event loop; the example's sync calls must still work."""

    async def cell() -> None:
        exec(compile(notebook_example(), str(README), "exec"), {})

    asyncio.run(cell())
    check(folder, capsys.readouterr().out)
