"""The path users take to a cluster: a ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1, and ``routegame sweep --scheduler tcp://...`` into a Zarr store.

Never skipped: if the scheduler or the workers cannot start, the test fails. Every process it
starts is killed at the end (by its pid).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("distributed")

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_workers(address: str, n: int, timeout: float = 60) -> None:
    from distributed import Client

    with Client(address, timeout="20s", set_as_default=False) as c:
        c.wait_for_workers(n, timeout=timeout)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "cluster.log").open("wb")
    try:
        procs.append(subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"], stdout=log, stderr=log))
        time.sleep(1.0)
        for _ in range(2):
            procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                 "--host", "127.0.0.1"], stdout=log, stderr=log))
        _wait_workers(address, 2)
        yield address, procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)
        log.close()


def _sweep(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "routegame"), "sweep", *args], capture_output=True,
                          text=True, timeout=timeout)


def _start_worker(address: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    log = (tmp_path / "worker.log").open("ab")
    return subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1",
                             "--no-dashboard", "--host", "127.0.0.1"], stdout=log, stderr=log)


def test_sweep_and_simulation_on_a_real_cluster_survive_a_killed_worker(
    cluster, tmp_path: Path
) -> None:
    address, procs = cluster
    grid = ["--grid", "penalty=0:20:201", "--grid", "cost_ratio=1:8:101"]
    out = tmp_path / "d.zarr"
    run = subprocess.Popen([str(BIN / "routegame"), "sweep", *grid, "--chunks", "20",
                            "--scheduler", address, "--out", str(out), "--no-progress"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # kill one worker once the run has started writing chunks
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out / "_sweep").exists():
            time.sleep(0.05)
        procs[1].kill()
        stdout, stderr = run.communicate(timeout=180)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, stderr
    assert "wrote 20,301 games" in stdout
    local = _sweep([*grid, "--out", str(tmp_path / "local.zarr")])
    assert local.returncode == 0, local.stderr
    a = xr.open_zarr(str(out), consolidated=False).load()
    b = xr.open_zarr(str(tmp_path / "local.zarr"), consolidated=False).load()
    for name in b.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)

    # a chunked Monte Carlo run through the cluster, one worker killed in the middle:
    # bit-identical summary (every float equal) to the single-process run
    import threading

    from routegame.scenarios import load_scenario
    from routegame.simulate import simulate_summary

    procs.append(_start_worker(address, tmp_path))
    _wait_workers(address, 2)
    g = load_scenario("default").params
    # 20 M episodes in 77 blocks: long enough (seconds) that the kill lands mid-run even on a
    # quiet machine, where the compiled-era simulator does 3 M episodes in about 0.6 s
    args = (g, [1.0, 0.0], [[0.5, 0.5], [0.0, 1.0]], 0.3, 20_000_000)
    killer = threading.Timer(1.0, procs[-1].kill)
    killer.start()
    try:
        remote = simulate_summary(*args, rng=11, block=1 << 18, scheduler=address)
    finally:
        killer.cancel()
    assert procs[-1].poll() is not None, "the worker must have been killed during the run"
    assert remote == simulate_summary(*args, rng=11, block=1 << 18)

    # and the command line path users take
    sim = ["simulate", "--scenario", "default", "--abandon", "0.3", "--episodes", "300000",
           "--seed", "11", "--no-progress"]
    env = {"COLUMNS": "200", "PATH": str(BIN)}
    on_cluster = subprocess.run([str(BIN / "routegame"), *sim, "--scheduler", address],
                                capture_output=True, text=True, timeout=180, env=env)
    local = subprocess.run([str(BIN / "routegame"), *sim], capture_output=True, text=True,
                           timeout=180, env=env)
    assert on_cluster.returncode == 0, on_cluster.stderr
    assert on_cluster.stdout == local.stdout
