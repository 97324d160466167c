"""The explorer's server without a browser: the CLI, loopback only, Ctrl-C, 1000 rapid changes.

Servers bind 127.0.0.1 (or 127.0.0.2, also loopback, to see the warning for another host) on
a free port and are always stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

try:
    import dash  # noqa: F401
except ImportError:  # pragma: no cover - only without the 'explore' extra
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("the 'explore' extra (dash) is not installed", allow_module_level=True)

from routegame.explore._state import state_from_game
from routegame.params import GameParams

DEFAULT = GameParams.two_model(10, 5, [3, 6], [1, 4], [0.25, 0.75])


def _post(url: str, payload: dict[str, Any], timeout: float = 30) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _update_payload(srv: Any, values: dict[tuple[str, int], str]) -> dict[str, Any]:
    """The request the page sends when a field changes (Dash's callback protocol)."""
    from routegame.explore.app import update_request

    st = state_from_game(DEFAULT)
    st = attrs.evolve(st, values={(f, m or None): v for (f, m), v in values.items()}, names=("", ""))
    return update_request(srv.app, st)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from routegame.explore.server import start

    srv = start(host="127.0.0.1", port=0)
    try:
        yield srv
    finally:
        srv.stop()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _values(penalty: str) -> dict[tuple[str, int], str]:
    st = state_from_game(DEFAULT)
    vals = {(f, m or 0): v for (f, m), v in st.values.items()}
    vals["penalty", 0] = penalty
    return vals


def test_callback_answers_valid_and_invalid_changes(server: Any) -> None:
    status, body = _post(server.url + "_dash-update-component", _update_payload(server, _values("6")))
    assert status == 200
    resp = json.loads(body)["response"]
    assert len(resp["map-graph"]["figure"]["data"][0]["z"]) == 61  # the default resolution
    assert "P=6" in resp["url"]["search"]
    assert "Showing the game" in resp["status"]["children"]
    status, body = _post(server.url + "_dash-update-component", _update_payload(server, _values("abc")))
    assert status == 200
    resp = json.loads(body)["response"]
    errors = {k: v["children"] for k, v in resp.items() if '"error"' in k and v["children"]}
    assert errors == {
        '{"field":"penalty","model":0,"type":"error"}': "penalty: must be a number >= 0 and finite, got 'abc'"
    }
    assert "bad" in resp['{"field":"penalty","model":0,"type":"field"}']["className"]
    assert "url" not in resp  # the last valid game stays


@pytest.fixture(scope="module")
def small_server() -> Iterator[Any]:
    """A server with a coarse policy map (21 x 21), so that 1000 changes take seconds, not a minute."""
    from routegame.explore.server import start

    srv = start(host="127.0.0.1", port=0, map_n=21)
    try:
        yield srv
    finally:
        srv.stop()


def test_server_survives_1000_rapid_changes_within_a_memory_bound(small_server: Any) -> None:
    server = small_server
    url = server.url + "_dash-update-component"
    bad = ["abc", "nan", "-1", "1e400", "", "inf", "1,5"]
    payloads = []
    for i in range(1000):  # every 5th bad; 100 fresh games (cache misses), the rest revisit 12 games
        value = (
            bad[i % len(bad)]
            if i % 5 == 0
            else (f"{7 + i / 997:.6g}" if i % 10 == 1 else f"{1 + (i % 12) * 0.5:g}")
        )
        payloads.append(_update_payload(server, _values(value)) if i == 0 else value)
    template = payloads[0]
    pen = next(e for e in template["inputs"][0] if e["id"]["field"] == "penalty")
    rss0 = _rss_mb()
    failures: list[str] = []
    lock = threading.Lock()
    todo = iter(range(1000))
    done = [0]
    deadline = time.monotonic() + 120.0

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            p = json.loads(json.dumps(template))
            value = payloads[i] if i else pen["value"]
            next(e for e in p["inputs"][0] if e["id"] == pen["id"])["value"] = value
            status, _ = _post(url, p)
            with lock:
                done[0] += 1
                if status != 200:
                    failures.append(f"{value!r}: HTTP {status}")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    assert done[0] == 1000, f"only {done[0]} of 1000 changes answered in {elapsed:.0f} s"
    assert not failures, failures[:5]
    growth = _rss_mb() - rss0
    assert growth < 200, f"the process grew by {growth:.0f} MiB over 1000 changes"
    # still answering, with the right game
    status, body = _post(url, _update_payload(server, _values("3")))
    assert status == 200
    assert "P=3" in json.loads(body)["response"]["url"]["search"]


def test_report_export_is_the_report_of_the_game(server: Any) -> None:
    import routegame as rg

    q = "?V=10&P=2.5&t=3,6&c=1,3&p=0.3,0.75&unit_cost=USD"
    with urllib.request.urlopen(server.url + "export/report.html" + q, timeout=120) as resp:
        assert "attachment" in resp.headers["Content-Disposition"]
        body = resp.read().decode()
    m = re.search(r'<script type="application/json" id="routegame-solution">\n(.*?)\n</script>', body, re.S)
    assert m is not None
    sol = json.loads(m.group(1).replace("<\\/", "</"))["solution"]
    want = rg.TwoModelGame.from_values(10, 2.5, [3, 6], [1, 3], [0.3, 0.75]).solve().to_dict()
    assert sol == want
    assert "USD" in body
    assert body.count("data:image/png;base64") >= 3


def test_export_routes_refuse_bad_games(server: Any) -> None:
    for path, want in (
        ("export/scenario.toml?V=-1&P=5&t=3,6&c=1,4&p=0.25,0.75", "task_value: must be > 0"),
        ("export/report.html?V=10&P=5&t=3,6,2&c=1,4,1&p=0.25,0.75,0.5", "two-model games"),
    ):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(server.url + path, timeout=10)
        assert exc.value.code == 400
        assert want in exc.value.read().decode()
    with urllib.request.urlopen(
        server.url + "export/scenario.toml?V=10&P=5&t=3,6&c=1,4&p=0.25,0.75", timeout=10
    ) as resp:
        assert "task_value = 10.0" in resp.read().decode()


# ---------------------------------------------------------------------------------------------
# the command


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on ``port``."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            addr, p = parts[1].split(":")
            if int(p, 16) == port and parts[3] == "0A":
                out.append(addr)
    return out


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    exe = Path(sys.executable).with_name("routegame")
    proc = subprocess.Popen(
        [str(exe), "explore", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"(http://\S+)", line)
    if m is None:
        proc.kill()
        raise AssertionError(f"no URL printed: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, m.group(1)


def _stop_cli(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, err


def test_cli_serves_on_loopback_and_stops_on_ctrl_c() -> None:
    proc, url = _start_cli("--scenario", "default", "--penalty", "7")
    try:
        assert url.startswith("http://127.0.0.1:")
        assert "P=7" in url
        assert "scenario=" not in url
        port = int(url.split(":")[2].split("/")[0])
        assert _listening(port) == ["0100007F"]  # 127.0.0.1 only
        with urllib.request.urlopen(url, timeout=20) as resp:
            assert resp.status == 200
            assert b"routegame explorer" in resp.read()
    finally:
        code, err = _stop_cli(proc)
    assert code == 0
    assert "stopped" in err
    assert "Traceback" not in err


def test_cli_calibrated_scenario_and_multi_value_flags() -> None:
    """``--scenario lcb-...`` opens the calibrated view; the shared flags take K values."""
    proc, url = _start_cli("--scenario", "lcb-gpt-4o-mini-vs-o3-mini", "--latency", "9", "27")
    try:
        assert "scenario=lcb-gpt-4o-mini-vs-o3-mini" in url
        assert "t=9%2C27" in url
        assert "V=120" in url
    finally:
        code, _ = _stop_cli(proc)
    assert code == 0
    proc, url = _start_cli("--scenario", "aider-openai-3-tier", "--cost", "1", "2", "3")
    try:
        assert "c=1%2C2%2C3" in url
    finally:
        code, _ = _stop_cli(proc)
    assert code == 0


def test_cli_warns_for_another_host() -> None:
    proc, url = _start_cli("--host", "127.0.0.2")  # still loopback, but not the default
    try:
        assert url.startswith("http://127.0.0.2:")
        with urllib.request.urlopen(url, timeout=20) as resp:
            assert resp.status == 200
    finally:
        code, err = _stop_cli(proc)
    assert code == 0
    assert "warning: serving on 127.0.0.2" in err


def test_cli_bad_flag_is_one_line_exit_2() -> None:
    from typer.testing import CliRunner

    from routegame.cli._app import app

    res = CliRunner().invoke(app, ["explore", "--penalty", "-1"])
    assert res.exit_code == 2
    assert res.stderr.strip() == "error: penalty: must be >= 0 and finite, got -1"
    res = CliRunner().invoke(app, ["explore", "--scenario", "aider-openai-3-tier", "--latency", "1", "2"])
    assert res.exit_code == 2
    # the shared game flags: the same one-line message as `routegame solve`
    solve = CliRunner().invoke(app, ["solve", "--scenario", "aider-openai-3-tier", "--latency", "1", "2"])
    assert solve.exit_code == 2
    assert res.stderr == solve.stderr
    assert res.stderr.strip() == "error: latency: takes 3 values (one per model of the game), got 2: '1 2'"
    res = CliRunner().invoke(app, ["explore", "--scenario", "nope"])
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1
    assert "lcb-gpt-4o-mini-vs-o3-mini" in res.stderr


def test_cli_port_in_use_is_one_line_exit_2(server: Any) -> None:
    from typer.testing import CliRunner

    from routegame.cli._app import app

    port = server.server.socket.getsockname()[1]
    res = CliRunner().invoke(app, ["explore", "--port", str(port)])
    assert res.exit_code == 2
    assert res.stderr.strip().startswith(f"error: --port: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in res.output
