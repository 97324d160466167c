"""Tests of routegame.tabular: reading, validating, solving and writing game tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")

from routegame import TwoModelGame, solve_arrays  # noqa: E402
from routegame.errors import DataFormatError, ParameterError  # noqa: E402
from routegame.io import table_format, write_table  # noqa: E402
from routegame.tabular import (  # noqa: E402
    INPUT_COLUMNS,
    OUTPUT_COLUMNS,
    game_columns,
    solve_table,
)
from routegame.tabular import read_games as read_table  # noqa: E402

HEADER = ",".join(INPUT_COLUMNS)
# V, P, t1, t2, c1, c2, p1, p2 written by hand (not produced by the code under test)
GOOD = "10,20,4,5,1,4,0.3,0.8"


def random_games(n: int, seed: int) -> dict[str, np.ndarray]:
    """Valid games drawn over all four regimes (t, V spread so that ξ_i takes both signs)."""
    rng = np.random.default_rng(seed)
    return {
        "task_value": rng.uniform(1.0, 20.0, n),
        "penalty": rng.uniform(0.0, 20.0, n),
        "latency_1": rng.uniform(0.2, 8.0, n),
        "latency_2": rng.uniform(0.2, 8.0, n),
        "cost_1": rng.uniform(0.0, 5.0, n),
        "cost_2": rng.uniform(0.0, 5.0, n),
        "success_prob_1": rng.uniform(0.02, 0.98, n),
        "success_prob_2": rng.uniform(0.02, 0.98, n),
    }


def expected_columns(g: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    sol = solve_arrays(
        g["task_value"], g["penalty"],
        np.stack([g["latency_1"], g["latency_2"]], -1),
        np.stack([g["cost_1"], g["cost_2"]], -1),
        np.stack([g["success_prob_1"], g["success_prob_2"]], -1),
    )
    return {k: np.asarray(v) for k, v in sol.columns().items()}


def assert_output_equals(table, want: dict[str, np.ndarray]) -> None:
    for name in OUTPUT_COLUMNS:
        got = table.column(name).to_numpy(zero_copy_only=False)
        if name == "regime":
            assert list(got) == list(want[name])
        elif want[name].dtype.kind == "f":
            np.testing.assert_array_equal(got.astype(float), want[name], err_msg=name)
        else:
            np.testing.assert_array_equal(got, want[name], err_msg=name)


def write_csv(tmp_path: Path, text: str, name: str = "games.csv") -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


# ---------------------------------------------------------------------------------------------
# round trips


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_equals_solve_arrays(tmp_path: Path, suffix: str) -> None:
    g = random_games(300, seed=1)
    ids = [f"g{k:04d}" for k in range(300)]
    src = tmp_path / f"in{suffix}"
    write_table(pa.table({"id": ids, **g}), src)
    table = read_table(src)
    out = tmp_path / f"out{suffix}"
    write_table(solve_table(table), out)
    # read back independently of read_table (which keeps non-game CSV columns as text)
    back = pq.read_table(out) if suffix == ".parquet" else pcsv.read_csv(out)
    assert back.column_names == ["id", *INPUT_COLUMNS, *OUTPUT_COLUMNS]
    assert back.column("id").to_pylist() == ids
    for c in INPUT_COLUMNS:  # inputs pass through exactly (CSV floats round-trip)
        np.testing.assert_array_equal(back.column(c).to_numpy(), g[c])
    assert_output_equals(back, expected_columns(g))
    regimes = set(back.column("regime").to_pylist())
    assert {"value-value", "latency-latency", "latency-value", "value-latency"} <= regimes


def test_rows_match_the_scalar_game() -> None:
    """Column plumbing: each row equals TwoModelGame.from_values on that row's numbers."""
    g = random_games(40, seed=7)
    out = solve_table(pa.table(g))
    for k in range(40):
        game = TwoModelGame.from_values(
            g["task_value"][k], g["penalty"][k],
            [g["latency_1"][k], g["latency_2"][k]], [g["cost_1"][k], g["cost_2"][k]],
            [g["success_prob_1"][k], g["success_prob_2"][k]],
        )
        sol = game.solve().to_dict()
        row = {name: out.column(name)[k].as_py() for name in OUTPUT_COLUMNS}
        assert row["regime"] == sol["regime"]
        for key in ("route", "cascade", "abandon", "provider_cost", "user_utility"):
            assert row[key] == pytest.approx(sol["equilibrium"][key], rel=1e-12, abs=1e-12)
        assert row["misalignment_gap"] == pytest.approx(sol["misalignment_gap"], abs=1e-12)
        assert row["throttling_pays"] == sol["throttling"]["pays"]
        for th in ("s0", "s_low", "s_high"):
            want = sol["thresholds"][th]
            assert (row[th] is None) == (want is None)
            if want is not None:
                assert row[th] == pytest.approx(want, rel=1e-12)


def test_csv_extra_columns_pass_through_verbatim(tmp_path: Path) -> None:
    f = write_csv(tmp_path, f"id,{HEADER},note\n007,{GOOD},\"a, b\"\nNA,{GOOD},\n")
    table = read_table(f)
    assert table.column("id").to_pylist() == ["007", "NA"]
    assert table.column("note").to_pylist() == ["a, b", ""]
    out = tmp_path / "out.csv"
    write_table(solve_table(table), out)
    back = read_table(out)
    assert back.column("id").to_pylist() == ["007", "NA"]
    assert back.column("note").to_pylist() == ["a, b", ""]


def test_parquet_extra_columns_keep_their_type(tmp_path: Path) -> None:
    g = random_games(5, seed=2)
    f = tmp_path / "in.parquet"
    pq.write_table(pa.table({"n": pa.array(range(5), pa.int32()), **g}), f)
    out = solve_table(read_table(f))
    assert out.schema.field("n").type == pa.int32()
    assert out.schema.field("route").type == pa.int64()
    assert out.schema.field("throttling_pays").type == pa.bool_()


def test_integer_and_text_game_columns_are_accepted(tmp_path: Path) -> None:
    g = {c: [float(x)] for c, x in zip(INPUT_COLUMNS, [10, 20, 4, 5, 1, 4, 0.3, 0.8], strict=True)}
    cols = {c: pa.array([int(v[0])], pa.int64()) if v[0] >= 1 else pa.array(v) for c, v in g.items()}
    cols["penalty"] = pa.array(["20"])
    out = solve_table(pa.table(cols))
    # V=10, P=20, t=(4,5), c=(1,4), p=(.3,.8): ξ = (-1, 3), s0 = 1/(3/0.8 + 1) = 4/19
    assert out.column("regime").to_pylist() == ["latency-value"]
    assert out.column("s0")[0].as_py() == pytest.approx(4 / 19)


def test_header_only_table_gives_empty_output(tmp_path: Path) -> None:
    out = solve_table(read_table(write_csv(tmp_path, f"id,{HEADER}\n")))
    assert out.num_rows == 0
    assert out.column_names == ["id", *INPUT_COLUMNS, *OUTPUT_COLUMNS]


def test_dataframe_in_dataframe_out() -> None:
    pd = pytest.importorskip("pandas")
    g = random_games(10, seed=3)
    df = pd.DataFrame({"label": [f"x{k}" for k in range(10)], **g})
    out = solve_table(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out["label"]) == list(df["label"])
    want = expected_columns(g)
    np.testing.assert_array_equal(out["cascade"].to_numpy(), want["cascade"])
    np.testing.assert_array_equal(out["s_low"].to_numpy(dtype=float), want["s_low"])


def test_undefined_thresholds_are_null_in_csv(tmp_path: Path) -> None:
    f = tmp_path / "o.csv"
    # ξ = (2, 2.5): value-value, no threshold is defined
    write_table(solve_table(pa.table({c: [x] for c, x in zip(
        INPUT_COLUMNS, [10.0, 4.0, 1.0, 5.0, 1.0, 4.0, 0.3, 0.75], strict=True)})), f)
    header, row = f.read_text().splitlines()
    assert row.endswith(",,,")
    assert header.endswith('"s0","s_low","s_high"')


# ---------------------------------------------------------------------------------------------
# errors: the message names the column and the first bad row


@pytest.mark.parametrize(
    ("rows", "column", "fragment"),
    [
        ([GOOD, "10,20,-4,5,1,4,0.3,0.8"], "latency_1", "must be > 0 and finite, got -4 (row 2"),
        ([GOOD, "0,20,4,5,1,4,0.3,0.8"], "task_value", "must be > 0 and finite, got 0 (row 2"),
        (["10,-1,4,5,1,4,0.3,0.8"], "penalty", "must be >= 0 and finite, got -1 (row 1"),
        ([GOOD, GOOD, "10,20,4,5,1,-4,0.3,0.8"], "cost_2", "got -4 (row 3"),
        (["10,20,4,5,1,4,0.3,1"], "success_prob_2", "must be in (0, 1), got 1 (row 1"),
        (["10,20,4,5,1,4,0,0.8"], "success_prob_1", "must be in (0, 1), got 0 (row 1"),
        ([GOOD, "10,20,4,5,1,4,nan,0.8"], "success_prob_1", "got nan (row 2"),
        (["10,20,inf,5,1,4,0.3,0.8"], "latency_1", "got inf (row 1"),
        (["10,20,4,5,1,abc,0.3,0.8"], "cost_2", "must be a number >= 0 and finite, got 'abc' (row 1"),
        ([GOOD, "10,,4,5,1,4,0.3,0.8"], "penalty", "got an empty cell (row 2"),
        # the earliest bad row wins, whatever the column and the kind of problem
        ([GOOD, "10,20,4,5,1,4,0.3,2", "10,20,4,x,1,4,0.3,0.8"], "success_prob_2", "(row 2"),
        ([GOOD, "10,20,4,x,1,4,0.3,0.8", "10,20,4,5,1,4,0.3,2"], "latency_2", "got 'x' (row 2"),
        # in one row, the first column in INPUT_COLUMNS order
        (["10,20,4,5,-1,4,2,0.8"], "cost_1", "(row 1"),
    ],
)
def test_bad_cells(tmp_path: Path, rows: list[str], column: str, fragment: str) -> None:
    f = write_csv(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(ParameterError) as info:
        solve_table(read_table(f), label=str(f))
    assert info.value.field == column
    assert fragment in str(info.value)
    assert str(info.value).count("\n") == 0


def test_missing_column_is_named(tmp_path: Path) -> None:
    f = write_csv(tmp_path, "task_value,penalty,latency_1,cost_1,cost_2,success_prob_1,success_prob_2\n"
                  "10,20,4,1,4,0.3,0.8\n")
    with pytest.raises(ParameterError, match=r"^latency_2: missing column"):
        solve_table(read_table(f))


def test_output_column_clash_is_refused() -> None:
    cols = {c: [x] for c, x in zip(INPUT_COLUMNS, [10.0, 20, 4, 5, 1, 4, 0.3, 0.8], strict=True)}
    with pytest.raises(ParameterError, match=r"^route: .*already has this output column"):
        solve_table(pa.table({**cols, "route": [1]}))


def test_boolean_column_is_refused() -> None:
    cols = {c: [x] for c, x in zip(INPUT_COLUMNS, [10.0, 20, 4, 5, 1, 4, 0.3, 0.8], strict=True)}
    cols["cost_1"] = [True]
    with pytest.raises(ParameterError, match=r"^cost_1: must be numbers .*type bool"):
        game_columns(pa.table(cols))


def test_null_in_parquet_column(tmp_path: Path) -> None:
    cols = {c: pa.array([x, x]) for c, x in zip(INPUT_COLUMNS, [10.0, 20, 4, 5, 1, 4, 0.3, 0.8], strict=True)}
    cols["latency_2"] = pa.array([5.0, None])
    with pytest.raises(ParameterError, match=r"^latency_2: .*got an empty cell \(row 2\)"):
        game_columns(pa.table(cols))


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (f"{HEADER}\n{GOOD}\n10,20,4\n", r"malformed CSV: a row has 3 fields instead of 8"),
        ("", r"empty file"),
        (None, r"not a UTF-8 text file"),
    ],
)
def test_malformed_csv(tmp_path: Path, text: str | None, pattern: str) -> None:
    f = tmp_path / "bad.csv"
    if text is None:
        f.write_bytes(b"\xff\xfe\x00\x01garbage\n")
    else:
        f.write_text(text)
    with pytest.raises(DataFormatError, match=pattern):
        read_table(f)


def test_not_a_parquet_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.parquet"
    f.write_text("hello")
    with pytest.raises(DataFormatError, match=r"not a readable Parquet file"):
        read_table(f)


def test_missing_file_and_bad_suffix(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"^--table: no such file"):
        read_table(tmp_path / "none.csv", "--table")
    with pytest.raises(ParameterError, match=r"must end in \.csv, \.parquet or \.pq"):
        read_table(tmp_path / "games.txt")
    assert table_format("x.PQ") == "parquet"


def test_duplicate_game_column_in_csv(tmp_path: Path) -> None:
    f = write_csv(tmp_path, f"{HEADER},penalty\n{GOOD},3\n")
    with pytest.raises(DataFormatError, match=r"^penalty: appears 2 times"):
        read_table(f)


def test_first_bad_row_found_in_a_large_csv(tmp_path: Path) -> None:
    """The slow path (text columns) still finds the first bad row among many."""
    rows = [GOOD] * 5000
    rows[3210] = "10,20,4,5,1,4,0.3,oops"
    rows[4000] = "10,20,-4,5,1,4,0.3,0.8"
    f = write_csv(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(ParameterError, match=r"^success_prob_2: .*got 'oops' \(row 3211"):
        solve_table(read_table(f))
