"""The table path of ``routegame solve --table`` (tabular.solve_columns / output_arrays).

The table path keeps only the output columns of the solver's flat arrays (no GameResult); its
columns must equal, value for value and in the same order, the table built from the full
result (:meth:`routegame.GameResult.columns`, the way ``solve_table`` built it before), on the
numpy and the compiled path, for random, knife-edge and extreme games, under both tie-breaking
conventions; the CLI's blocked, pipelined writer must give the same file on both paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import routegame as rg
from routegame import _jit
from routegame.model.results import REGIMES
from routegame.testing.strategies import extreme_two_model_games, two_model_games

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from routegame import tabular  # noqa: E402  (needs pyarrow)

_GAMES = st.one_of(
    two_model_games(),
    two_model_games(knife_edge=True),
    two_model_games(standing=True),
    extreme_two_model_games(),
)


def _table(games: list[rg.GameParams]) -> Any:
    return pa.table({
        "id": [f"g{k:03d}" for k in range(len(games))],
        "task_value": [g.task_value for g in games], "penalty": [g.penalty for g in games],
        "latency_1": [g.latency[0] for g in games], "latency_2": [g.latency[1] for g in games],
        "cost_1": [g.cost[0] for g in games], "cost_2": [g.cost[1] for g in games],
        "success_prob_1": [g.success_prob[0] for g in games],
        "success_prob_2": [g.success_prob[1] for g in games],
    })


def _reference(tab: Any, tie_break: str) -> Any:
    """The table as built from the full GameResult (the route solve_table took before)."""
    g = tabular.game_columns(tab)
    sol = rg.solve_arrays(
        g["task_value"], g["penalty"], np.stack([g["latency_1"], g["latency_2"]], axis=-1),
        np.stack([g["cost_1"], g["cost_2"]], axis=-1),
        np.stack([g["success_prob_1"], g["success_prob_2"]], axis=-1), tie_break=tie_break)
    cols = sol.columns()
    for name in tabular.OUTPUT_COLUMNS:
        a = np.asarray(cols[name])
        if name == "regime":
            arr = pa.array([REGIMES[int(k)] for k in np.asarray(sol.regime).reshape(-1)])
        elif a.dtype.kind == "f":
            arr = pa.array(a, type=pa.float64(), from_pandas=True)
        else:
            arr = pa.array(a)
        tab = tab.append_column(name, arr)
    return tab


def _paths() -> list[bool]:
    return [False, True] if _jit.available() else [False]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games=st.lists(_GAMES, min_size=1, max_size=40), tie_break=st.sampled_from(["strong", "weak"]))
def test_table_path_equals_the_full_result(games: list[rg.GameParams], tie_break: str) -> None:
    tab = _table(games)
    for compiled in _paths():
        with _jit.forced(compiled):
            want = _reference(tab, tie_break)
            got = tabular.solve_table(tab, tie_break)
        assert got.column_names == want.column_names
        assert got.equals(want), f"compiled={compiled}"


def test_output_name_clash_is_refused() -> None:
    tab = _table([rg.GameParams.two_model(10, 20, [4, 5], [1, 4], [0.3, 0.8])])
    tab = tab.append_column("s0", pa.array([1.0]))
    with pytest.raises(rg.errors.ParameterError, match="s0: the input already has"):
        tabular.solve_table(tab)


def _random_columns(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {
        "id": [f"{k:05d}" for k in range(n)],
        "task_value": rng.uniform(0.5, 30, n), "penalty": rng.uniform(0, 50, n),
        "latency_1": rng.uniform(0.1, 10, n), "latency_2": rng.uniform(0.1, 10, n),
        "cost_1": rng.uniform(0, 10, n), "cost_2": rng.uniform(0, 10, n),
        "success_prob_1": rng.uniform(0.02, 0.98, n),
        "success_prob_2": rng.uniform(0.02, 0.98, n),
    }
    cols["latency_2"][: n // 10] = cols["task_value"][: n // 10] * cols["success_prob_2"][: n // 10]
    return cols


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_cli_table_identical_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """Blocks of 64 rows (last one short), knife edges included: the numpy and the compiled
    path write the same file content, equal to the one-pass reference table."""
    from typer.testing import CliRunner

    from routegame import io
    from routegame.cli import solve_cmd
    from routegame.cli._app import app

    monkeypatch.setattr(solve_cmd, "_TABLE_BLOCK", 64)
    n = 1000
    src = tmp_path / f"in{suffix}"
    io.write_table(pa.table(_random_columns(n, 3)), src)
    runner = CliRunner()
    got = {}
    for compiled in _paths():
        out = tmp_path / f"out_{compiled}{suffix}"
        with _jit.forced(compiled):
            res = runner.invoke(app, ["solve", "--table", str(src), "--out", str(out)])
        assert res.exit_code == 0, res.output
        got[compiled] = out
    with _jit.forced(False):
        want = _reference(tabular.read_games(src), "strong")
    ref = tmp_path / f"ref{suffix}"
    io.write_table(want, ref)  # the file the one-pass reference table gives
    for compiled, out in got.items():
        if suffix == ".csv":
            assert out.read_bytes() == ref.read_bytes(), f"compiled={compiled}"
        else:
            assert pq.read_table(out).equals(want), f"compiled={compiled}"
    if len(got) == 2:
        assert got[False].read_bytes() == got[True].read_bytes()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_cli_table_bad_row_in_a_late_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    from typer.testing import CliRunner

    from routegame import io
    from routegame.cli import solve_cmd
    from routegame.cli._app import app

    monkeypatch.setattr(solve_cmd, "_TABLE_BLOCK", 64)
    cols = _random_columns(500, 4)
    cols["cost_2"][457] = -3.0
    src, out = tmp_path / f"bad{suffix}", tmp_path / f"out{suffix}"
    io.write_table(pa.table(cols), src)
    for compiled in _paths():
        with _jit.forced(compiled):
            res = CliRunner().invoke(app, ["solve", "--table", str(src), "--out", str(out)])
        assert res.exit_code == 2
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1, res.output
        assert "cost_2" in lines[0]
        assert "row 458" in lines[0]
        assert "got -3" in lines[0]
        assert "Traceback" not in res.output
        assert not out.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


def test_game_columns_from_chunked_and_sliced_arrays() -> None:
    """Columns read from Arrow buffers: several chunks, chunk offsets (slices) and nulls."""
    cols = _random_columns(300, 6)
    whole = pa.table(cols)
    pieces = [whole.slice(0, 70), whole.slice(70, 1), whole.slice(71, 0), whole.slice(71, 229)]
    chunked = pa.concat_tables(pieces)
    assert chunked.column("cost_1").num_chunks == 4
    got = tabular.game_columns(chunked)
    for name in tabular.INPUT_COLUMNS:
        assert np.array_equal(got[name], np.asarray(cols[name], dtype=float)), name
    offset = whole.slice(17, 200)  # one chunk with an offset
    assert np.array_equal(tabular.game_columns(offset)["penalty"], cols["penalty"][17:217])
    vals = list(cols["latency_1"])
    vals[250] = None
    holed = whole.set_column(whole.column_names.index("latency_1"), "latency_1", pa.array(vals))
    holed = pa.concat_tables([holed.slice(0, 99), holed.slice(99, 201)])
    with pytest.raises(rg.errors.ParameterError, match=r"latency_1: .*empty cell \(row 251\)"):
        tabular.game_columns(holed)
    with pytest.raises(rg.errors.ParameterError, match=r"latency_1: .*empty cell \(row 152\)"):
        tabular.game_columns(holed.slice(99))


def test_cli_table_imports_neither_pandas_nor_numba_nor_compute_for_a_small_table(tmp_path: Path) -> None:
    import subprocess
    import sys

    from routegame import io

    src = tmp_path / "in.parquet"
    io.write_table(pa.table(_random_columns(50, 7)), src)
    code = (
        "import sys\n"
        "from routegame.cli._app import app\n"
        f"sys.argv = ['routegame', 'solve', '--table', {str(src)!r}, '--out', "
        f"{str(tmp_path / 'out.parquet')!r}]\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'numba', 'pyarrow.compute') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
    assert (tmp_path / "out.parquet").exists()


def _run_cli(src: Path, out: Path, *extra: str) -> Any:
    from typer.testing import CliRunner

    from routegame.cli._app import app

    return CliRunner().invoke(app, ["solve", "--table", str(src), "--out", str(out), *extra])


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("n", [1, 63, 64, 65, 64 * 3 + 5])
def test_cli_table_blocks_give_the_one_block_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, n: int
) -> None:
    """Blocks of 64 rows (n below, at, just above and not a multiple of the block size) give
    the values of one block holding the whole table: equal tables (Parquet: the row groups
    follow the blocks) and the same CSV bytes; rows counted in the file, not the block."""
    from routegame import io
    from routegame.cli import solve_cmd

    src = tmp_path / f"in{suffix}"
    io.write_table(pa.table(_random_columns(n, 11)), src)
    got = {}
    for block in (1 << 20, 64):
        monkeypatch.setattr(solve_cmd, "_TABLE_BLOCK", block)
        got[block] = tmp_path / f"out_{block}{suffix}"
        res = _run_cli(src, got[block])
        assert res.exit_code == 0, res.output
    if suffix == ".csv":
        assert got[64].read_bytes() == got[1 << 20].read_bytes()
    else:
        assert pq.read_table(got[64]).equals(pq.read_table(got[1 << 20]))
        assert pq.ParquetFile(got[64]).num_row_groups == -(-n // 64)
        with _jit.forced(False):
            assert pq.read_table(got[64]).equals(_reference(pa.table(_random_columns(n, 11)),
                                                            "strong"))


@pytest.mark.parametrize("bad_rows", [[0], [63], [64], [199], [70, 130], [199, 5]])
def test_cli_table_first_bad_row_of_the_file_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_rows: list[int]
) -> None:
    """A bad cell in the first, a middle or the last block (its last row): the error names the
    first bad row of the file (over all blocks), and neither OUT nor a temporary file is
    left, on both paths."""
    from routegame import io
    from routegame.cli import solve_cmd

    monkeypatch.setattr(solve_cmd, "_TABLE_BLOCK", 64)
    cols = _random_columns(200, 12)
    for k, row in enumerate(bad_rows):
        cols["latency_2" if k == 0 else "cost_1"][row] = -1.0 - k
    src, out = tmp_path / "bad.parquet", tmp_path / "out.parquet"
    io.write_table(pa.table(cols), src)
    first = min(bad_rows)
    col = "latency_2" if first == bad_rows[0] else "cost_1"
    for compiled in _paths():
        with _jit.forced(compiled):
            res = _run_cli(src, out)
        assert res.exit_code == 2
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1, res.output
        assert lines[0].startswith(f"error: {col}:"), lines[0]
        assert f"(row {first + 1} of" in lines[0], lines[0]
        assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


def test_cli_table_existing_out_is_kept_on_a_late_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--overwrite with a bad cell in the last block: the old OUT file stays as it was."""
    from routegame import io
    from routegame.cli import solve_cmd

    monkeypatch.setattr(solve_cmd, "_TABLE_BLOCK", 64)
    cols = _random_columns(300, 13)
    cols["success_prob_1"][299] = 1.5
    src, out = tmp_path / "bad.parquet", tmp_path / "out.parquet"
    io.write_table(pa.table(cols), src)
    out.write_bytes(b"old content")
    res = _run_cli(src, out, "--overwrite")
    assert res.exit_code == 2
    assert "success_prob_1" in res.output
    assert "row 300" in res.output
    assert out.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, out.name])


def test_cli_table_kernel_load_failure_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel loads in a thread while the table is read; what the load raises is raised
    where the kernel is first needed: one line, status 2, no output file."""
    from routegame import io
    from routegame.cli import solve_cmd

    def broken(rows: int) -> None:
        raise rg.errors.ParameterError("kernel", f"cannot load for {rows} rows")

    monkeypatch.setattr(solve_cmd, "_load_compiled", broken)
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    io.write_table(pa.table(_random_columns(100, 14)), src)
    with _jit.forced(True):
        res = _run_cli(src, out)
    if not _jit.available():  # forced(True) without numba: the numpy path, nothing to load
        assert res.exit_code == 0, res.output
        return
    assert res.exit_code == 2
    assert res.output.strip() == "error: kernel: cannot load for 100 rows"
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_regime_names_spelled_and_cast_agree(n: int) -> None:
    """The two ways to build the regime column (numpy for small blocks, pyarrow's dictionary
    cast for large ones) give the names of REGIMES, code by code."""
    codes = np.random.default_rng(n).integers(0, len(REGIMES), n).astype(np.int32)
    want = pa.array([REGIMES[k] for k in codes], type=pa.string())
    spelled = tabular._regime_strings(pa, codes, spell=True)
    cast = tabular._regime_strings(pa, codes, spell=False)
    assert spelled.type == cast.type == pa.string()
    assert spelled.equals(want)
    assert cast.equals(want)


def test_cli_table_with_the_kernel_loading_in_a_thread(tmp_path: Path) -> None:
    """A real process whose table loads the compiled kernel in a thread while it is read
    (``ROUTEGAME_JIT_MIN_SIZE=0``: any table is large enough): a good table gives the numpy
    path's file, a bad cell in the last row gives one error line, status 2 and no file."""
    import os
    import subprocess
    import sys

    from routegame import io

    cols = _random_columns(300, 15)
    src = tmp_path / "in.parquet"
    io.write_table(pa.table(cols), src)
    cols["penalty"][299] = -2.0
    bad = tmp_path / "bad.parquet"
    io.write_table(pa.table(cols), bad)

    def run(table: Path, out: Path, **env: str) -> Any:
        return subprocess.run(
            [sys.executable, "-m", "routegame", "solve", "--table", str(table), "--out", str(out)],
            capture_output=True, text=True, timeout=300, env={**os.environ, **env})

    jit = run(src, tmp_path / "jit.parquet", ROUTEGAME_JIT_MIN_SIZE="0")
    plain = run(src, tmp_path / "plain.parquet", ROUTEGAME_JIT="0")
    assert jit.returncode == 0, jit.stderr
    assert plain.returncode == 0, plain.stderr
    assert (tmp_path / "jit.parquet").read_bytes() == (tmp_path / "plain.parquet").read_bytes()
    res = run(bad, tmp_path / "bad_out.parquet", ROUTEGAME_JIT_MIN_SIZE="0")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        f"error: penalty: must be >= 0 and finite, got -2 (row 300 of {bad})"]
    assert not (tmp_path / "bad_out.parquet").exists()
