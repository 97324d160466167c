"""The report of a heterogeneous scenario: data beside i.i.d., intervals, figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from routegame.cli._app import app
from routegame.hetero.scenarios import load_hetero
from routegame.present.real_data import build_real_data_report
from routegame.report import build_report

NAME = "lcb-gpt-4o-mini-vs-o3-mini"


def _solution(html_text: str) -> dict:
    m = re.search(r'id="routegame-solution">\n(.*)\n</script>', html_text, re.S)
    assert m is not None
    return json.loads(m.group(1).replace("<\\/", "</"))


def test_real_data_report_sections_numbers_and_figures() -> None:
    sc = load_hetero(NAME)
    rep = build_real_data_report(sc, n=11, replicates=3)
    h = rep.html
    for text in ("Real data vs the i.i.d. game", "Uncertainty (bootstrap)", "Following the i.i.d.",
                 "gpt-4o-mini/o3-mini", "Figures"):
        assert text in h, text
    assert set(rep.figures) == {"real_data_cost_curve.png", "real_data_policy_map.png",
                                "real_data_tasks.png"}
    assert all(png.startswith(b"\x89PNG") for png in rep.figures.values())
    data = _solution(h)
    want = sc.game.solve("strong")
    assert data["solution"]["equilibrium"]["provider_cost"] == pytest.approx(
        want.equilibrium.provider_cost, rel=1e-13)
    b = data["bootstrap"]
    assert b["replicates"] == 3
    for key in ("J", "U", "iid_J", "iid_U"):
        lo, mid, hi = b[key]
        assert lo <= mid <= hi
    assert abs(sum(b["policy_frequency"].values()) - 1) < 1e-12


def test_report_hook_and_command(tmp_path: Path) -> None:
    rep = build_report(NAME, figures=False)  # build_report knows heterogeneous scenarios
    assert "Real data vs the i.i.d. game" in rep.html
    assert rep.figures == {}
    out = tmp_path / "rep"
    r = CliRunner().invoke(app, ["report", "--scenario", NAME, "--out", str(out), "--n", "8"])
    assert r.exit_code == 0, r.stderr
    html_text = (out / "report.html").read_text(encoding="utf-8")
    assert "(real data)" in html_text
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "real_data_cost_curve.png", "real_data_policy_map.png", "real_data_tasks.png"]
    # a game flag cannot change a task table in a report: one line naming the flag, exit 2
    r = CliRunner().invoke(app, ["report", "--scenario", NAME, "--penalty", "3", "--out",
                                 str(tmp_path / "rep2")])
    assert r.exit_code == 2
    assert r.stderr.startswith("error: --penalty: cannot override a heterogeneous scenario")
    assert not (tmp_path / "rep2").exists()
