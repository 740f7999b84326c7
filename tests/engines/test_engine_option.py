"""``--engine``: local by default; ray without the extra installed says what to install."""

import sys

import pytest

from tutorloop.bundled import bundled_sessions


@pytest.fixture
def no_ray(monkeypatch):
    for name in [m for m in sys.modules if m == "ray" or m.startswith("ray.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError


def run_main(argv, capsys):
    from tutorloop.cli import main

    saved = sys.argv
    sys.argv = ["tutorloop", *argv]
    try:
        with pytest.raises(SystemExit) as exit_info:
            main()
    finally:
        sys.argv = saved
    return exit_info.value.code, capsys.readouterr().err


@pytest.mark.parametrize("command", ["grade", "replay"])
def test_engine_ray_without_the_extra_exits_2_with_the_install_command(
    command, no_ray, tmp_path, capsys
):
    argv = [command, str(bundled_sessions()), "--engine", "ray", "--store", str(tmp_path / "s.db")]
    code, err = run_main(argv, capsys)
    assert code == 2
    assert "pip install 'tutorloop[ray]'" in err


def test_an_unknown_engine_is_a_config_error(tmp_path, capsys):
    argv = ["grade", str(bundled_sessions()), "--engine", "spark", "--store", str(tmp_path / "s")]
    code, err = run_main(argv, capsys)
    assert code == 2
    assert "--engine" in err and "local or ray" in err
