"""The serial and parallel batch kernels of :mod:`routegame.hetero._compiled` keep distinct
entries in numba's on-disk cache.

Both versions are compiled from one loop body. numba keys a cache entry by the function's module,
qualified name, first line, signature and bytecode, not by ``parallel=True``, so a naive
"compile one function object twice" lets one version load the other's machine code (the second
compile is then a cache *hit*, even in a fresh cache). Here, with a fresh cache directory, one
process runs every kernel serially, then in parallel (both must be compiled: cache misses only),
and a second process does the same from the cache (hits only); both processes must give the
numpy path's results (1e-12, the kernels' tolerance), serial and parallel bitwise equal (the sum
over tasks of one policy is always done by one thread in task order), and the cache directory
must hold an index per version, with parfor code only in the parallel versions' data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from routegame import _jit

pytestmark = pytest.mark.skipif(not _jit.available(), reason="numba (the 'fast' extra) not installed")

NAMES = ("paper_sums", "schedule_sums", "paper_slopes", "slopes")

_SCRIPT = r"""
import json
import numpy as np
from routegame import _jit
from routegame.hetero import _compiled
from routegame.hetero.chain import stationary_slopes, two_model_sums

rng = np.random.default_rng(3)
T, N = 40, 8  # finite chains only (no fall-back to numpy): p and r away from 0 and 1
prob1 = rng.uniform(0.05, 0.95, (T, 2, 1))
prob3 = rng.uniform(0.05, 0.95, (T, 2, 3))
w = rng.uniform(0.1, 1.0, T)
w /= w.sum()
start, s, back = rng.uniform(0, 1, N), rng.uniform(0, 1, N), rng.uniform(0, 1, N)
none = np.zeros(N)
cont1, cont2 = rng.uniform(0.1, 0.95, (N, 2, 1)), rng.uniform(0.1, 0.95, (N, 2, 2))
p1, p2, r = prob1[:, 0, 0], prob1[:, 1, 0], cont1[:, 0, 0]
g1, g2 = 7.0 * p1 - 1.0, 3.0 * p2 - 2.5  # per-task weights of both signs


def run():
    out = []
    for args in ((prob1, w, start, s, none, cont1), (prob1, w, start, s, back, cont1),
                 (prob3, w, start, s, back, cont2)):
        c = two_model_sums(*args)
        out += [c.success, c.passes.ravel(), c.abandon]
    for u in (none, back):
        out += list(stationary_slopes(p1, p2, w, g1, g2, start, s, u, r))
    return [np.asarray(x, dtype=float).tolist() for x in out]


with _jit.forced(False):
    ref = run()
used = []
got = {}
for version in (0, 1):  # serial, then parallel
    def pick(name, tasks, policies, version=version):
        used.append([name, version])
        return _compiled.KERNELS[name][version]
    _compiled.kernel = pick
    with _jit.forced(True):
        got[version] = run()
stats = {f"{name}/{v}": [len(k.stats.cache_hits), len(k.stats.cache_misses)]
         for name, pair in _compiled.KERNELS.items() for v, k in enumerate(pair)}
print(json.dumps({"ref": ref, "serial": got[0], "parallel": got[1], "stats": stats,
                  "used": used}))
"""


def _run(cache: Path) -> dict:  # type: ignore[type-arg]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROUTEGAME_JIT", "NUMBA_"))}
    env["NUMBA_CACHE_DIR"] = str(cache)
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         env=env, check=True, timeout=900)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _check_results(res: dict) -> None:  # type: ignore[type-arg]
    assert {(n, v) for n, v in res["used"]} == {(n, v) for n in NAMES for v in (0, 1)}
    for a, b in zip(res["serial"], res["parallel"], strict=True):
        assert a == b  # bitwise (JSON floats round-trip exactly)
    for a, b in zip(res["serial"], res["ref"], strict=True):
        got, ref = np.array(a), np.array(b)
        assert np.all(np.isfinite(ref))
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_serial_and_parallel_kernels_have_distinct_cache_entries(tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    first = _run(cache)  # fresh cache: every version compiled, none loaded
    _check_results(first)
    for key, (hits, misses) in first["stats"].items():
        assert hits == 0, (key, first["stats"])  # not loaded from the other version's entry
        assert misses > 0, (key, first["stats"])
    second = _run(cache)  # same cache: every version loaded, none compiled
    _check_results(second)
    for key, (hits, misses) in second["stats"].items():
        assert hits > 0, (key, second["stats"])
        assert misses == 0, (key, second["stats"])
    assert second["serial"] == first["serial"]
    assert second["parallel"] == first["parallel"]
    index = {p.name.split("-")[0]: p for p in cache.rglob("_compiled.*.nbi")}
    for name in NAMES:
        serial, parallel = f"_compiled._{name}", f"_compiled._{name}_parallel"
        assert serial in index, sorted(index)
        assert parallel in index, sorted(index)
        data_s = list(index[serial].parent.glob(index[serial].name[:-3] + "*.nbc"))
        data_p = list(index[parallel].parent.glob(index[parallel].name[:-3] + "*.nbc"))
        assert data_s
        assert data_p
        assert not any(b"parfor" in p.read_bytes() for p in data_s), name
        assert all(b"parfor" in p.read_bytes() for p in data_p), name


@pytest.mark.parametrize("version", [0, 1])
def test_both_versions_flag_a_diverging_chain(version: int) -> None:
    """One policy of eight runs for ever (p = 0 on M1, never abandon, never cascade): ``ok`` is
    False in the serial and the parallel version (the caller then falls back to numpy), True
    without that policy."""
    from routegame.hetero import _compiled

    p1, p2, w = np.array([0.0, 0.5]), np.array([0.5, 0.5]), np.array([0.5, 0.5])
    start, s, u = np.ones(8), np.full(8, 0.5), np.zeros(8)
    r1, r2 = np.full(8, 0.5), np.full(8, 0.5)
    r1[5], s[5] = 1.0, 0.0  # the diverging policy
    paper_sums, schedule_sums = (_compiled.KERNELS[k][version]
                                 for k in ("paper_sums", "schedule_sums"))
    prob = np.stack([p1, p2], axis=1)[:, :, None].repeat(2, axis=2)  # schedules (T, 2, 2)
    cont = np.stack([r1, r2], axis=1)[:, :, None].repeat(2, axis=2)  # (N, 2, 2)
    for paper in (True, False):
        assert not paper_sums(p1, p2, w, start, s, u, r1, r2, paper)[1]
    assert not schedule_sums(prob, w, start, s, u, cont)[1]
    keep = np.arange(8) != 5
    for paper in (True, False):
        out, ok = paper_sums(p1, p2, w, start[keep], s[keep], u[keep], r1[keep], r2[keep], paper)
        assert ok
        assert np.all(np.isfinite(out))
    assert schedule_sums(prob, w, start[keep], s[keep], u[keep], cont[keep])[1]
