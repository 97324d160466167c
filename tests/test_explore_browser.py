"""The explorer in a real browser: Debian's chromium driven by Playwright.

Every test starts the explorer on a free 127.0.0.1 port (in a thread, stopped afterwards), works
the page like a user (types, drags sliders with the keyboard, picks a scenario, adds a model) and
checks what is shown against ``TwoModelGame.solve()`` / ``GeneralGame.solve()`` computed here,
independently of the page. Screenshots of the main states go to ``test-artifacts/explore/``.

Without /usr/bin/chromium or the playwright package the tests skip with the reason, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "explore"
TIMEOUT = 15.0


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (the Makefile installs Debian's chromium with apt as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    try:
        import dash  # noqa: F401
    except ImportError:
        return "dash is not installed (the 'explore' extra)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def server(browser: Any) -> Iterator[Any]:
    from routegame.explore.server import start

    srv = start(host="127.0.0.1", port=0)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    """One browser context for the module: its cache keeps the page's scripts between tests."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any, server: Any) -> Iterator[Any]:
    pg = context.new_page()
    pg.requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: pg.requests.append(r.url))  # type: ignore[attr-defined]
    pg.set_default_timeout(TIMEOUT * 1000)
    try:
        yield pg
    finally:
        pg.close()


# ---------------------------------------------------------------------------------------------
# helpers


def shot(pg: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def field(pg: Any, name: str, model: int = 0) -> Any:
    return pg.locator(f".field-{name}-{model} input")


def wait_until(cond: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if cond():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def address(pg: Any) -> str:
    """What the address bar shows (``page.url`` lags behind history.pushState)."""
    return str(pg.evaluate("location.href"))


def text(pg: Any, sel: str) -> str:
    return str(pg.locator(sel).inner_text()).strip()


def number(pg: Any, sel: str) -> float:
    return float(text(pg, sel))


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=2e-5, abs_tol=2e-6)


def expected_two(
    V: float, P: float, t: list[float], c: list[float], p: list[float], tie: str = "strong"
) -> dict[str, float]:
    """The numbers the page must show, from the library's public API (not the page's adapter)."""
    import routegame as rg
    from routegame.guideline import guideline

    g = rg.TwoModelGame.from_values(task_value=V, penalty=P, latency=t, cost=c, success_prob=p)
    res = g.solve(tie)  # type: ignore[arg-type]
    eq, pref = res.equilibrium, res.user_preferred
    assert res.throttling is not None
    o_eq = g.outcomes(int(eq.route), float(eq.cascade), float(eq.abandon))
    o_pref = g.outcomes(int(pref.route), float(pref.cascade), float(pref.abandon))
    return {
        "eq-route": int(eq.route),
        "eq-cascade": float(eq.cascade),
        "eq-abandon": float(eq.abandon),
        "eq-J": float(eq.provider_cost),
        "eq-U": float(eq.user_utility),
        "eq-success": o_eq["success"],
        "pref-route": int(pref.route),
        "pref-cascade": float(pref.cascade),
        "pref-abandon": float(pref.abandon),
        "pref-J": o_pref["provider_cost"],
        "pref-U": float(pref.user_utility),
        "pref-success": o_pref["success"],
        "gap": float(res.misalignment_gap),
        "poa": o_pref["provider_cost"] - float(eq.provider_cost),
        "_pays": bool(res.throttling.pays),
        "_guideline": guideline(res),
    }


KEYS = (
    "eq-route",
    "eq-cascade",
    "eq-abandon",
    "eq-J",
    "eq-U",
    "eq-success",
    "pref-route",
    "pref-cascade",
    "pref-abandon",
    "pref-J",
    "pref-U",
    "pref-success",
    "gap",
    "poa",
)


def shown(pg: Any) -> dict[str, float]:
    """The numbers on the page (one round trip to the browser)."""
    texts = pg.evaluate("keys => keys.map(k => document.getElementById(k).textContent.trim())", list(KEYS))
    return {k: float(s[1:]) if k.endswith("route") else float(s) for k, s in zip(KEYS, texts, strict=True)}


def matches(pg: Any, want: dict[str, float]) -> bool:
    got = shown(pg)
    return all(close(got[k], float(v)) for k, v in want.items() if not k.startswith("_"))


def wait_numbers(pg: Any, want: dict[str, float]) -> None:
    try:
        wait_until(lambda: matches(pg, want), "the numbers of solve()")
    except AssertionError:
        got = shown(pg)
        bad = {k: (got[k], want[k]) for k in got if not close(got[k], float(want[k]))}
        raise AssertionError(f"page differs from solve(): {bad}") from None
    assert text(pg, "#guideline") == want["_guideline"]
    assert ("does not pay" not in text(pg, "#throttle")) == want["_pays"]


def type_into(pg: Any, name: str, model: int, value: str) -> None:
    box = field(pg, name, model)
    box.fill(value)


def open_default(pg: Any, server: Any, query: str = "") -> None:
    pg.goto(server.url + query)
    pg.wait_for_selector("#eq-J")


DEFAULT = {"V": 10.0, "P": 5.0, "t": [3.0, 6.0], "c": [1.0, 4.0], "p": [0.25, 0.75]}


def default_with(**kw: Any) -> dict[str, float]:
    d = {**DEFAULT, **kw}
    return expected_two(d["V"], d["P"], d["t"], d["c"], d["p"], kw.get("tie", "strong"))


# ---------------------------------------------------------------------------------------------
# tests


@pytest.fixture
def fresh_page(browser: Any, server: Any) -> Iterator[Any]:
    """A page in a new context (empty cache): every script is fetched, and recorded."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    pg = ctx.new_page()
    pg.requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: pg.requests.append(r.url))  # type: ignore[attr-defined]
    pg.set_default_timeout(TIMEOUT * 1000)
    try:
        yield pg
    finally:
        ctx.close()


def test_default_view_offline_and_equal_to_solve(fresh_page: Any, server: Any) -> None:
    page = fresh_page
    open_default(page, server)
    wait_numbers(page, default_with())
    # every request of the page went to this server on 127.0.0.1 (no CDN, no font service)
    hosts = {urlsplit(u).hostname for u in page.requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, hosts
    assert any("plotly" in u for u in page.requests)  # plotly.js came from the app itself
    # plots are drawn and labelled
    assert page.locator("#br-graph .main-svg").count() > 0
    assert "cascade probability s" in text(page, "#br-graph")
    assert "s0 = 0.2" in text(page, "#br-graph")
    assert "P: churn penalty" in text(page, "#map-graph")
    assert "this game" in text(page, "#map-graph")
    assert page.locator("#sensitivity-table tr").count() == 9  # header + 8 parameters
    # ξ1 = V p1 - t1 turns positive at V = t1 / p1 = 12 and t1 = V p1 = 2.5: the recommendation changes
    assert float(text(page, ".sens-high-task_value")) == pytest.approx(12, rel=1e-3)
    assert float(text(page, ".sens-low-latency_1")) == pytest.approx(2.5, rel=1e-3)
    shot(page, "01-default")
    # the user picks the map's axes
    page.locator("#map-y").click()
    page.locator("[role=option]").filter(has_text="t1: latency of M1").first.click()
    wait_until(lambda: "t1: latency of M1" in text(page, "#map-graph"), "the map's new y axis")
    assert "c2: cost of M2" not in text(page, "#map-graph")
    wait_until(lambda: "y=latency_1" in address(page), "the URL to follow the axis")


def test_typing_and_sliders_update_everything(page: Any, server: Any) -> None:
    open_default(page, server)
    wait_numbers(page, default_with())
    handle = page.locator(".slider-penalty-0 [role=slider]")
    handle.focus()
    handle.press("End")  # to the slider's maximum (4 x the starting value: 20)
    wait_until(lambda: field(page, "penalty", 0).input_value() == "20", "the text box to follow the slider")
    wait_numbers(page, default_with(P=20.0))
    handle = page.locator(".slider-success_prob-2 [role=slider]")
    handle.focus()
    for _ in range(5):
        handle.press("ArrowLeft")  # step 0.001
    wait_until(lambda: field(page, "success_prob", 2).input_value() == "0.745", "p2 to follow its slider")
    wait_numbers(page, default_with(P=20.0, p=[0.25, 0.745]))
    shot(page, "02-slider")
    type_into(page, "penalty", 0, "1")
    type_into(page, "latency", 2, "4.5")
    type_into(page, "cost", 1, "0.5")
    want = {"P": 1.0, "t": [3.0, 4.5], "c": [0.5, 4.0], "p": [0.25, 0.745]}
    wait_numbers(page, default_with(**want))
    # a typed value beyond the slider's range moves the slider's end
    assert page.locator(".slider-penalty-0 [role=slider]").get_attribute("aria-valuenow") == "1"
    page.locator("#tie-break input[value=weak]").check()
    wait_numbers(page, default_with(**want, tie="weak"))
    shot(page, "03-typed-values-weak")


def _cli_message(args: list[str]) -> str:
    from typer.testing import CliRunner

    from routegame.cli._app import app

    res = CliRunner().invoke(app, ["solve", *args])
    assert res.exit_code == 2, res.output
    line = res.stderr.strip() if hasattr(res, "stderr") and res.stderr else res.output.strip()
    assert line.startswith("error: ")
    return line[len("error: ") :]


BASE = [
    "--task-value",
    "10",
    "--penalty",
    "5",
    "--latency",
    "3",
    "6",
    "--cost",
    "1",
    "4",
    "--success-prob",
    "0.25",
    "0.75",
]


def _cli_args(flag: str, k: int, value: str) -> list[str]:
    args = list(BASE)
    i = args.index(flag)
    args[i + k] = value
    return args


BAD = [  # (field, model, typed, CLI flag, position of the value after the flag)
    ("penalty", 0, "abc", "--penalty", 1),
    ("task_value", 0, "nan", "--task-value", 1),
    ("success_prob", 2, "1.2", "--success-prob", 2),
    ("latency", 1, "-1", "--latency", 1),
]
GOOD = {"penalty": "5", "task_value": "10", "success_prob": "0.75", "latency": "3"}


def test_bad_values_refused_at_the_field_with_the_cli_message(page: Any, server: Any) -> None:
    open_default(page, server)
    wait_numbers(page, default_with())
    tie = "strong"
    for name, model, value, flag, k in BAD:
        want = _cli_message(_cli_args(flag, k, value))
        type_into(page, name, model, value)
        err = page.locator(f".error-{name}-{model}")
        wait_until(lambda err=err, want=want: err.inner_text().strip() == want, f"the message {want!r}")
        assert "bad" in (page.locator(f".field-{name}-{model}").get_attribute("class") or "")
        assert "refused" in text(page, "#status")
        wait_numbers(page, default_with(tie=tie))  # the results keep the last valid game
        if name == "latency":
            shot(page, "04-bad-value")
        # the rest of the page keeps working: another control still answers, fixing the field heals it
        tie = "weak" if tie == "strong" else "strong"
        page.locator(f"#tie-break input[value={tie}]").check()
        type_into(page, name, model, GOOD[name])
        wait_until(lambda err=err: err.inner_text().strip() == "", "the message to go")
        wait_numbers(page, default_with(tie=tie))


def test_url_round_trip_and_exports(page: Any, server: Any, context: Any, tmp_path: Path) -> None:
    open_default(page, server)
    type_into(page, "penalty", 0, "2.5")
    type_into(page, "cost", 2, "3")
    type_into(page, "success_prob", 1, "0.3")
    page.locator("#tie-break input[value=weak]").check()
    want = default_with(P=2.5, c=[1.0, 3.0], p=[0.3, 0.75], tie="weak")
    wait_numbers(page, want)
    wait_until(lambda: "P=2.5" in address(page) and "tie=weak" in address(page), "the URL to encode the game")
    link = address(page)
    assert text(page, "#share-url") == link
    other = context.new_page()
    try:
        other.goto(link)
        other.wait_for_selector("#eq-J")
        wait_until(lambda: field(other, "penalty", 0).input_value() == "2.5", "the fields from the link")
        assert field(other, "cost", 2).input_value() == "3"
        assert other.locator("#tie-break input[value=weak]").is_checked()
        wait_numbers(other, want)
        shot(other, "05-from-link")
    finally:
        other.close()
    # the scenario TOML loads back in the CLI and gives the same game (strong convention there)
    strong = default_with(P=2.5, c=[1.0, 3.0], p=[0.3, 0.75])
    with page.expect_download() as dl:
        page.locator("#export-toml").click()
    path = tmp_path / "explored.toml"
    dl.value.save_as(path)
    data = tomllib.loads(path.read_text())
    assert data["penalty"] == 2.5
    assert data["models"][0]["success_prob"] == 0.3
    from typer.testing import CliRunner

    from routegame.cli._app import app

    res = CliRunner().invoke(app, ["solve", "--config", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert close(out["equilibrium"]["provider_cost"], strong["eq-J"])
    assert close(out["misalignment_gap"], strong["gap"])
    assert (page.locator("#export-report").get_attribute("href") or "").startswith(
        "/export/report.html?V=10&P=2.5"
    )


def test_scenario_picker_and_k_models(page: Any, server: Any) -> None:
    from routegame.general import GeneralGame
    from routegame.scenarios import list_scenarios, load_scenario

    open_default(page, server)
    page.locator("#scenario").click()
    for s in list_scenarios():  # every built-in scenario is offered
        assert page.locator(".dash-dropdown-option, [role=option]").filter(has_text=s.name).count() >= 1
    page.locator("[role=option]").filter(has_text="aider-claude-3.7-sonnet").first.click()
    sc = load_scenario("aider-claude-3.7-sonnet").params
    wait_until(lambda: field(page, "task_value", 0).input_value() == f"{sc.task_value:g}", "the scenario's V")
    wait_numbers(
        page, expected_two(sc.task_value, sc.penalty, list(sc.latency), list(sc.cost), list(sc.success_prob))
    )
    for name, vals in (("latency", sc.latency), ("cost", sc.cost), ("success_prob", sc.success_prob)):
        for k, v in enumerate(vals, start=1):  # the scenario's numbers exactly (sliders do not round them)
            assert float(field(page, name, k).input_value()) == float(v), (name, k)
    assert "(s," in text(page, ".inputs")  # the scenario's units are shown
    # a third model: the K-model engine
    page.locator(".add-model").click()
    wait_until(lambda: field(page, "latency", 3).count() == 1, "the third model's fields")
    type_into(page, "latency", 3, "5")
    type_into(page, "cost", 3, "0.02")
    type_into(page, "success_prob", 3, "0.5")
    g3 = GeneralGame.from_lists(
        sc.task_value, sc.penalty, [*sc.latency, 5.0], [*sc.cost, 0.02], [*sc.success_prob, 0.5]
    )
    sol = g3.solve()
    wait_until(
        lambda: (
            "K-model engine" in text(page, "#status")
            and close(number(page, "#eq-J"), sol.equilibrium.provider_cost)
        ),
        "the K-model equilibrium",
    )
    assert close(number(page, "#eq-U"), sol.equilibrium.user_utility)
    assert close(number(page, "#pref-J"), sol.user_preferred.provider_cost)
    assert close(number(page, "#gap"), sol.misalignment_gap)
    assert not page.locator("#br-graph").is_visible()  # two-model sections are hidden
    shot(page, "06-three-models")
    page.locator(".remove-3").click()
    wait_until(lambda: field(page, "latency", 3).count() == 0, "the third model to go")
    wait_until(lambda: page.locator("#br-graph").is_visible(), "the two-model plots to come back")


def _other_addresses() -> list[str]:
    """IPv4 addresses of this machine's non-loopback interfaces (from the kernel's table)."""
    out = set()
    try:
        for line in Path("/proc/net/fib_trie").read_text().splitlines():
            m = re.search(r"\|--\s+(\d+\.\d+\.\d+\.\d+)", line)
            if m and not m.group(1).startswith(("127.", "0.", "255.")) and not m.group(1).endswith(".255"):
                out.add(m.group(1))
    except OSError:
        pass
    return sorted(out)


def test_server_listens_on_loopback_only(server: Any) -> None:
    host, port = server.server.socket.getsockname()[:2]
    assert host == "127.0.0.1"
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    for addr in _other_addresses():  # this machine's other addresses get no answer
        with pytest.raises((ConnectionRefusedError, TimeoutError)), socket.create_connection((addr, port), 0.5):
            pass


def test_calibrated_scenario_real_data_beside_iid(page: Any, server: Any) -> None:
    """A calibrated heterogeneous scenario: the real-data and the i.i.d. equilibrium side by side."""
    from routegame.explore._hetero import hetero_scenarios
    from routegame.explore._hetero_intervals import INTERVALS
    from routegame.hetero import Policy
    from routegame.hetero.realdata import load_hetero_scenario

    name = "lcb-deepseek-v3-vs-o3-mini-high"  # the real data want a cascade, the i.i.d. model none
    open_default(page, server)
    assert not page.locator("#hetero-section").is_visible()
    page.locator("#scenario").click()
    for n, _ in hetero_scenarios():  # every calibrated scenario is offered
        assert page.locator("[role=option]").filter(has_text=n).count() >= 1
    page.locator("[role=option]").filter(has_text=name).first.click()
    wait_until(lambda: page.locator("#het-data-J").count() == 1, "the real-data comparison", timeout=60)
    # the hetero engine's answers, computed here
    g = load_hetero_scenario(name)
    eq, pref = g.equilibrium("strong"), g.user_preferred()
    mean = [float(x) for x in g.tasks.mean()]
    want = expected_two(g.task_value, g.penalty, list(g.latency), list(g.cost), mean)
    wait_numbers(page, want)  # the fields hold the i.i.d. game; the main sections show it
    assert text(page, "#het-data-route") == f"M{eq.route}"
    assert close(number(page, "#het-data-cascade"), eq.cascade)
    assert close(number(page, "#het-data-abandon"), float(eq.abandon))  # type: ignore[arg-type]
    assert close(number(page, "#het-data-J"), eq.provider_cost)
    assert close(number(page, "#het-data-U"), eq.user_utility)
    assert close(number(page, "#het-data-success"), eq.success)
    assert close(number(page, "#het-data-gap"), pref.user_utility - eq.user_utility)
    assert text(page, "#het-iid-route") == f"M{want['eq-route']}"
    for key in ("J", "U", "success", "cascade", "abandon"):
        assert close(number(page, f"#het-iid-{key}"), float(want[f"eq-{key}"])), key
    follow = g.best_response(Policy(int(want["eq-route"]), float(want["eq-cascade"])))
    assert f"J = {follow.provider_cost:.4g} USD" in text(page, "#het-follow")
    # the intervals: the shipped bootstrap (see test_explore_model for its equality with the engine's)
    rec = INTERVALS[name]
    for side in ("data", "iid"):
        for key, q in (("J-ci", "J"), ("U-ci", "U"), ("gap-ci", "gap")):
            lo, hi = (float(x) for x in text(page, f"#het-{side}-{key}").strip("[]").split(","))
            # shown to 4 significant digits
            assert lo == float(f"{rec[side][q][0]:.4g}"), (side, key)
            assert hi == float(f"{rec[side][q][2]:.4g}"), (side, key)
    assert "i.i.d. game of a calibrated scenario" in text(page, "#status")
    page.locator("#hetero-section").scroll_into_view_if_needed()
    shot(page, "07-calibrated-real-vs-iid")
    # the link reopens the comparison
    link = address(page)
    assert f"scenario={name}" in link
    page.goto(link)
    wait_until(lambda: page.locator("#het-data-J").count() == 1, "the comparison after reload")
    assert close(number(page, "#het-data-J"), eq.provider_cost)
    # moving P: the real-data side is the task table at the new P, the i.i.d. side the fields' game
    from routegame.hetero import HeteroGame

    type_into(page, "penalty", 0, "0.5")
    wait_until(lambda: page.locator("#het-moved").count() == 1, "the note that the game moved")
    want = expected_two(g.task_value, 0.5, list(g.latency), list(g.cost), mean)
    wait_numbers(page, want)
    moved = HeteroGame(g.tasks, g.task_value, 0.5, list(g.latency), list(g.cost), user=g.user)
    meq = moved.equilibrium("strong")
    wait_until(lambda: close(number(page, "#het-data-J"), meq.provider_cost), "the real data at P = 0.5")
    assert text(page, "#het-data-route") == f"M{meq.route}"
    assert close(number(page, "#het-data-U"), meq.user_utility)
    assert close(number(page, "#het-iid-J"), float(want["eq-J"]))
    assert page.locator("#het-data-J-ci").count() == 0  # the intervals belong to the calibration only
    assert "calibrated values only" in text(page, "#hetero")
    shot(page, "08-calibrated-moved")
