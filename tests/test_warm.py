"""``python -m routegame._warm``: compiles the kernel groups ahead of use; bad groups refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from routegame import _jit
from routegame._warm import GROUPS, main, warm


def test_unknown_group_is_one_line_and_exit_status_2() -> None:
    res = subprocess.run([sys.executable, "-m", "routegame._warm", "two_model"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "error: group must be one of two-model, simulate, hetero; got 'two_model'"]
    assert "Traceback" not in res.stderr


def test_warm_reports_each_group_it_ran(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(GROUPS) == {"two-model", "simulate", "hetero"}
    with pytest.raises(ValueError, match="group must be one of"):
        warm("hetero", "nope")
    assert main(["hetero"]) == 0
    out = capsys.readouterr().out
    if _jit.available():
        assert out.startswith("compiled kernels hetero: ")
        assert "routegame.hetero._compiled" in sys.modules
    else:
        assert "not installed" in out
