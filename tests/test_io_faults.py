"""Faults of issue 11 (data lost, resources, input handling), each reproduced and now refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routegame.errors import DataFormatError
from routegame.io import ResourceError, atomic_write, read_toml_text, remove_stale_temps

BIN = Path(sys.executable).parent


def _rg(*args: str, stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "routegame"), *args], stdout=stdout,  # type: ignore[call-overload]
                          stderr=subprocess.PIPE, text=True, timeout=120)


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI entry point in this process: (exit status, stdout, stderr)."""
    from routegame.cli import main

    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out.out, out.err


def test_toml_huge_integer_and_deep_nesting_name_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(DataFormatError, match=r"^x.toml: penalty: an integer of 401 digits"):
        read_toml_text("penalty = 1" + "0" * 400, "x.toml")
    with pytest.raises(DataFormatError, match=r"^x.toml: cost: arrays nested too deeply"):
        read_toml_text("cost = " + "[" * 5000 + "]" * 5000, "x.toml")
    f = tmp_path / "big.toml"
    f.write_text("task_value = 10\npenalty = 1" + "0" * 400 + "\nlatency = [1, 2]\n"
                 "cost = [1, 2]\nsuccess_prob = [0.2, 0.5]\n")
    for cmd in (["solve", "--config", str(f)], ["sweep", "--config", str(f), "--grid",
                "penalty=0:1:3", "--out", str(tmp_path / "s.zarr")],
                ["plot", "regime-map", "--config", str(f), "--out", str(tmp_path / "a.png")],
                ["simulate", "--config", str(f), "--episodes", "10"]):
        code, _, err = _main(capsys, *cmd)
        assert code == 2, (cmd, err)
        assert err.count("\n") == 1, cmd
        assert "penalty: an integer of 401 digits" in err, cmd


def test_a_config_with_3000_models_is_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "many.toml"
    k = 3000
    f.write_text(f"task_value = 10\npenalty = 1\nlatency = {[1.0] * k}\ncost = {[1.0] * k}\n"
                 f"success_prob = {[0.5] * k}\n")
    code, _, err = _main(capsys, "solve", "--config", str(f))
    assert code == 2
    assert "3000 models; the engines serve 2 to 64 models" in err


def test_disk_full_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    r = _rg("solve", "--scenario", "default", "--json", stdout=open("/dev/full", "w"))  # noqa: SIM115
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "no space left" in r.stderr
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"task_value": 10, "penalty": 1, "latency": [1, 2], "cost": [1, 2], '
                     '"success_prob": [0.2, 0.5]}\n')
    r = _rg("solve", "--batch", str(batch), stdout=open("/dev/full", "w"))  # noqa: SIM115
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "no space left" in r.stderr

    import errno

    with (  # noqa: PT012
        pytest.raises(ResourceError, match="no space left on device"),
        atomic_write(tmp_path / "x.csv") as tmp,
    ):
        tmp.write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.jsonl"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_while_writing_leaves_no_temporary(tmp_path: Path, sig: int) -> None:
    code = (
        "import time\nfrom routegame.io import atomic_write\n"
        f"with atomic_write({str(tmp_path / 'out.csv')!r}) as tmp:\n"
        "    tmp.write_text('x' * 1000)\n    print('writing', flush=True)\n    time.sleep(60)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == b"writing"
        p.send_signal(sig)
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()  # type: ignore[union-attr]
        p.stderr.close()  # type: ignore[union-attr]
    assert p.returncode != 0
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_of_a_killed_run_is_removed_and_reported(tmp_path: Path, capsys) -> None:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()  # a pid that is surely dead now
    stale = tmp_path / f".out.csv.routegame-tmp-{p.pid}-abcd1234"
    stale.write_text("239 MB of partial output")
    with atomic_write(tmp_path / "other.csv") as tmp:
        tmp.write_text("ok")
    assert not stale.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "removed 1 stale temporary file" in err
    assert remove_stale_temps(tmp_path) == []


def test_sweep_resources_checked_before_use(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(capsys, "sweep", "--grid", "penalty=0:1:3000000000000", "--out",
                         str(tmp_path / "s.zarr"))
    assert code == 2
    assert err.count("\n") == 1
    assert "--grid penalty" in err
    assert "of memory" in err
    assert "available" in err
    code, _, err = _main(capsys, "sweep", "--grid", "penalty=0:1:1e23", "--out",
                         str(tmp_path / "s.zarr"))
    assert code == 2
    assert err.count("\n") == 1
    assert "--grid penalty" in err
    code, _, err = _main(capsys, "sweep", "--grid", "penalty=0:20:100000", "--grid",
                         "cost_ratio=1:8:100000", "--out", str(tmp_path / "big.zarr"))
    assert code == 2
    assert err.count("\n") == 1
    assert "--out: the sweep has 10,000,000,000 points and needs up to" in err
    assert "free in" in err
    assert not (tmp_path / "big.zarr").exists()
    code, _, err = _main(capsys, "sweep", "--grid", "penalty=0:inf:3", "--out",
                         str(tmp_path / "s.zarr"))
    assert code == 2
    assert "--grid penalty: stop must be a number >= 0" in err
    # the same in the API's words: an in-memory sweep larger than memory
    from routegame.sweep import sweep

    with pytest.raises(ResourceError, match=r"^grid: the sweep has .* points and needs about"):
        sweep("default", penalty=np.linspace(0, 1, 200_000), cost_ratio=np.linspace(1, 2, 200_000))


def test_two_sweeps_into_one_store_second_is_refused(tmp_path: Path) -> None:
    from routegame.sweep.resources import store_lock

    out = tmp_path / "s.zarr"
    code = (f"from routegame.sweep.resources import store_lock\nimport time\n"
            f"with store_lock({str(out)!r}):\n    print('locked', flush=True)\n    time.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == b"locked"
        r = _rg("sweep", "--grid", "penalty=0:1:3", "--out", str(out))
        assert r.returncode == 2
        assert r.stderr.count("\n") == 1
        assert f"is being written by another routegame run (pid {p.pid})" in r.stderr
        with pytest.raises(ResourceError, match="another routegame run"), store_lock(out):
            pass
    finally:
        p.kill()
        p.wait()
        p.stdout.close()  # type: ignore[union-attr]
    assert not out.exists()


def test_cli_one_way_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(capsys, "solve", "--scenario", "default", "--latency", "3")
    assert code == 2
    assert err.strip() == "error: latency: takes 2 values (one per model of the game), got 1: '3'"
    code, _, err = _main(capsys, "solve", "--scenario", "default", "--latency", "3", "6", "--json")
    assert code == 0, err
    code, _, err = _main(capsys, "solve", "--scenario", "default", "--tie-break", "medium")
    assert code == 2
    assert err.startswith("error: --tie-break: 'medium' is not one of 'strong', 'weak'")
    assert "Value error" not in err
    assert len(err.strip().splitlines()) == 1
    code, out, _ = _main(capsys, "--version")
    assert code == 0
    assert out.startswith("routegame ")
    code, _, err = _main(capsys, "plot", "regime-map", "--x", "penalty", "--y", "cost_1", "--out",
                         str(tmp_path / "r.png"))
    assert code == 2
    assert "regime" in err
    assert "one colour" in err
    code, _, err = _main(capsys, "plot", "policy-map", "--x", "latency_2", "--n", "4", "--out",
                         str(tmp_path / "p.png"))
    assert code == 0, err
    code, out, _ = _main(capsys, "sweep", "--help")
    assert "--overwrite" in out
    assert "<bool>" not in out
    # a closed pipe, as users meet it: a real process and a real pipe
    r = subprocess.run(f"{BIN / 'routegame'} solve --scenario default | head -1; "
                       "exit ${PIPESTATUS[0]}", shell=True, capture_output=True, text=True,
                       timeout=60, executable="/bin/bash")
    assert r.returncode == 0
    assert r.stderr == ""
    assert r.stdout.count("\n") == 1


def test_sigterm_during_simulate_out_leaves_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "episodes.parquet"
    p = subprocess.Popen([str(BIN / "routegame"), "simulate", "--scenario", "default",
                          "--abandon", "0.3", "--episodes", "200000000", "--seed", "1",
                          "--no-progress", "--out", str(out)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            ".routegame-tmp-" in f.name for f in tmp_path.iterdir()
        ):
            time.sleep(0.05)
        assert any(".routegame-tmp-" in f.name for f in tmp_path.iterdir()), "no write began"
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stderr.close()  # type: ignore[union-attr]
    assert p.returncode == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


_RECORD = st.fixed_dictionaries({
    "task_value": st.floats(0.1, 100), "penalty": st.floats(0, 100),
    "latency": st.lists(st.floats(0.1, 10), min_size=2, max_size=2),
    "cost": st.lists(st.floats(0, 10), min_size=2, max_size=2),
    "success_prob": st.lists(st.floats(0.01, 0.99), min_size=2, max_size=2),
})
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c,
                                                                            max_size=3),
                     max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(
    _RECORD.map(lambda r: json.dumps(r).encode()),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=20),
    st.integers(300, 5000).map(lambda n: b'{"task_value": 1' + b"0" * n + b"}"),
    st.integers(10, 3000).map(lambda n: b"[" * n + b"]" * n),
), max_size=6))
def test_batch_contract_every_line_gets_an_answer(lines: list[bytes]) -> None:
    from routegame.cli.solve_cmd import _answer_lines

    raw = [line.replace(b"\n", b" ") + b"\n" for line in lines]
    expected = list(range(1, len(raw) + 1))  # every line, blank ones too (an error object)
    answers = [a for a, _internal in _answer_lines(raw, "strong")]
    assert [a["line"] for a in answers] == expected
    for a in answers:
        json.dumps(a)  # every answer is JSON
        assert "error" in a or "equilibrium" in a
        if "error" in a:
            assert a["line"] in expected
            assert isinstance(a["error"]["message"], str)
            assert "\n" not in a["error"]["message"]


def test_write_files_replaces_only_what_it_writes(tmp_path: Path) -> None:
    from routegame.errors import ParameterError
    from routegame.io import write_files

    out = tmp_path / "report"
    write_files(out, {"report.html": b"old", "figures/a.png": b"a"})
    (out / "thesis.tex").write_text("mine")
    with pytest.raises(ParameterError, match=r"report.html exists; pass --overwrite"):
        write_files(out, {"report.html": b"new"})
    write_files(out, {"report.html": b"new", "figures/a.png": b"b"}, overwrite=True)
    assert (out / "thesis.tex").read_text() == "mine"
    assert (out / "report.html").read_bytes() == b"new"
    assert sorted(p.name for p in out.rglob("*")) == ["a.png", "figures", "report.html",
                                                      "thesis.tex"]


def test_write_files_into_a_new_directory_is_all_or_nothing(tmp_path: Path) -> None:
    # a new directory is built under a temporary name: a failure half-way leaves nothing
    from routegame.io import write_files

    out = tmp_path / "report"
    with pytest.raises(FileExistsError):  # "a" is a file, so "a/b" cannot be written
        write_files(out, {"a": b"1", "a/b": b"2"})
    assert list(tmp_path.iterdir()) == []
    write_files(out, {"report.html": b"x", "figures/f.png": b"y"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    assert (out / "figures" / "f.png").read_bytes() == b"y"
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # the mode of a plain mkdir
