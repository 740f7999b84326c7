"""``make demo`` installs tutorloop without the test tools; ``make test`` installs them."""

import re
from pathlib import Path

MAKEFILE = (Path(__file__).parents[1] / "Makefile").read_text(encoding="utf-8")


def recipe(target: str) -> str:
    found = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)+)", MAKEFILE, re.MULTILINE)
    assert found is not None, target
    return found.group(1)


def test_the_demo_installs_the_package_alone_and_test_installs_dev():
    assert re.search(r"^demo: \$\(DEMO_STAMP\)$", MAKEFILE, re.MULTILINE)
    demo = recipe("$(DEMO_STAMP)")
    assert "pip install --quiet -e .\n" in demo and "[dev]" not in demo
    assert "-e '.[dev]'" in recipe("$(STAMP)")
    assert re.search(r"^test: \$\(STAMP\)", MAKEFILE, re.MULTILINE)
