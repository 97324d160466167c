"""Tests of the HTML report (routegame.report) and of ``routegame report``.

The numbers in the report are compared with ``TwoModelGame(params).solve()``, formatted here;
the embedded figures with the files written beside the report.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from routegame import GameParams, ParameterError, TwoModelGame  # noqa: E402
from routegame import report as rr  # noqa: E402
from routegame.scenarios import load_config, load_scenario  # noqa: E402


def _solution_json(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="routegame-solution">\n(.*?)\n</script>',
                  text, re.S)
    assert m, "no embedded solution"
    return json.loads(m.group(1).replace("<\\/", "</"))


@pytest.fixture(scope="module")
def cli():
    from typer.testing import CliRunner

    import routegame.cli.report_cmd  # noqa: F401  (registers the command)
    from routegame.cli._app import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def made(cli, tmp_path_factory) -> tuple[Path, str]:
    """One full report of the default scenario, written by the command line."""
    out = tmp_path_factory.mktemp("rep") / "report"
    r = cli("report", "--scenario", "default", "--out", str(out), "--n", "8")
    assert r.exit_code == 0, r.output
    return out, r.stdout


def test_cli_report_prints_where_it_is(made) -> None:
    out, stdout = made
    assert stdout.strip() == f"report written to {(out / 'report.html').resolve()}"
    assert (out / "report.html").is_file()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_report_numbers_equal_the_solver(made) -> None:
    out, _ = made
    text = (out / "report.html").read_text(encoding="utf-8")
    sc = load_scenario("default")
    want = TwoModelGame(sc.params).solve().to_dict()
    data = _solution_json(text)
    assert data["solution"] == want
    assert data["scenario"]["task_value"] == sc.params.task_value
    eq, wk, pr = want["equilibrium"], want["equilibrium_weak"], want["user_preferred"]
    for v in (eq["provider_cost"], eq["user_utility"], wk["provider_cost"],
              pr["user_utility"], want["misalignment_gap"], *want["net_value"]):
        assert f"{v:.6g}" in text
    for key in ("s0", "s_low", "s_high"):
        if want["thresholds"][key] is not None:
            assert f"{want['thresholds'][key]:.6g}" in text
    table = re.search(r'<table class="eq">.*?</table>', text, re.S).group(0)
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    rows = {c[0]: c[1:] for c in cells if c}
    assert rows["route i"] == [str(eq["route"]), str(wk["route"]), str(pr["route"])]
    assert rows["cascade s"][0] == f"{eq['cascade']:.6g}"
    assert rows["user's abandon probability q"][0] == f"{eq['abandon']:.6g}"
    assert html.escape(want["guideline"]) in text
    assert want["regime"] in text


def test_report_parameters_and_sources(made) -> None:
    out, _ = made
    text = (out / "report.html").read_text(encoding="utf-8")
    sc = load_scenario("default")
    for k, m in enumerate(sc.params.models, start=1):
        for field in ("latency", "cost", "success_prob"):
            row = re.search(rf"<tr><td>[^<]*</td><td>models\[{k}\]\.{field}</td><td>([^<]*)</td>"
                            rf"<td>[^<]*</td><td>([^<]*)</td></tr>", text)
            assert row, (k, field)
            assert row.group(1) == f"{getattr(m, field):.6g}"
            assert row.group(2) == html.escape(sc.sources[f"models[{k}].{field}"])
    assert html.escape(sc.sources["task_value"]) in text


def test_report_is_self_contained_and_figures_match_files(made) -> None:
    out, _ = made
    text = (out / "report.html").read_text(encoding="utf-8")
    files = sorted((out / "figures").iterdir())
    assert len(files) == 7
    embedded = re.findall(r'<figure id="([^"]+)"><img alt="[^"]*" src="data:image/png;base64,'
                          r'([A-Za-z0-9+/=]+)"', text)
    assert len(embedded) == len(files)
    for fid, b64 in embedded:
        assert base64.b64decode(b64) == (out / "figures" / f"{fid}.png").read_bytes()
    # nothing is fetched from elsewhere
    assert not re.search(r'(src|href)="(?!data:)', text)
    assert "<link" not in text
    assert "@import" not in text


def test_report_of_a_config_escapes_text(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text('description = "<b>bold</b> & co"\ntask_value = 10\npenalty = 1\n'
                 'latency = [1, 9]\ncost = [1, 4]\nsuccess_prob = [0.3, 0.8]\n'
                 '[sources]\npenalty = "my <guess>"\n', encoding="utf-8")
    sc = load_config(f)
    rep = rr.build_report(sc, figures=False)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in rep.html
    assert "<b>bold</b>" not in rep.html
    assert "my &lt;guess&gt;" in rep.html
    assert rep.figures == {}
    assert _solution_json(rep.html)["solution"] == TwoModelGame(sc.params).solve().to_dict()
    assert "value-latency" in rep.html


def test_report_flags_violated_assumptions_and_weak_infimum() -> None:
    g = GameParams.two_model(10, 20, latency=[4, 5], cost=[1, 4], success_prob=[0.3, 0.8])
    sol = TwoModelGame(g).solve().to_dict()
    rep = rr.build_report(g, figures=False)
    assert sol["equilibrium_weak"]["attained"] is False  # s* = s0: weak value is an infimum
    assert "no policy attains it" in rep.html
    swapped = GameParams.two_model(10, 20, latency=[5, 4], cost=[1, 4], success_prob=[0.3, 0.8])
    assert "standing assumptions fail here: t1 &lt; t2" in rr.build_report(
        swapped, figures=False).html


def test_throttling_verdict_against_the_paper() -> None:
    # value-value, P below min(c/p): the paper's condition holds and throttling pays
    g = GameParams.two_model(10, 1, latency=[1, 5], cost=[1, 4], success_prob=[0.3, 0.75])
    sol = TwoModelGame(g).solve().to_dict()
    assert sol["throttling"]["pays"]
    text = rr.build_report(g, figures=False).html
    gain = sol["equilibrium"]["provider_cost"] - sol["throttling"]["provider_cost"]
    assert "<b>Throttling pays.</b>" in text
    assert f"{gain:.6g}" in text
    assert "condition P ≤ min(c₁/p₁, c₂/p₂) = 3.33333 holds" in text


# ---------------------------------------------------------------------------------------------
# writing and errors


def test_write_report_refuses_and_replaces(tmp_path: Path) -> None:
    d = tmp_path / "rep"
    p = rr.write_report(d, "default", figures=False)
    assert p == d / "report.html"
    assert p.is_file()
    (d / "extra.txt").write_text("old")
    with pytest.raises(ParameterError, match=r"^--out: .* exists; pass --overwrite"):
        rr.write_report(d, "default", figures=False)
    assert (d / "extra.txt").exists()
    rr.write_report(d, "aider-claude-3.7-sonnet", overwrite=True, figures=False)
    assert (d / "extra.txt").read_text() == "old"  # issue 11: remove only what it wrote
    assert "aider-claude-3.7-sonnet" in p.read_text(encoding="utf-8")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["rep"]


def test_write_report_never_replaces_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(ParameterError, match="is not a routegame report directory"):
        rr.write_report(tmp_path, "default", overwrite=True, figures=False)
    assert (tmp_path / "mine.txt").read_text() == "precious"
    with pytest.raises(ParameterError, match=r"^--out: directory .* does not exist"):
        rr.write_report(tmp_path / "no" / "rep", "default", figures=False)


def test_write_report_failure_leaves_old_report(tmp_path: Path, monkeypatch) -> None:
    d = tmp_path / "rep"
    rr.write_report(d, "default", figures=False)
    before = (d / "report.html").read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rr, "_html", boom)
    with pytest.raises(RuntimeError):
        rr.write_report(d, "default", overwrite=True, figures=False)
    assert (d / "report.html").read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["rep"]


def test_report_input_errors() -> None:
    with pytest.raises(ParameterError, match=r"^scenario: unknown scenario 'nope'"):
        rr.build_report("nope", figures=False)
    with pytest.raises(ParameterError, match=r"^n: must be an integer in \[2, 2000\]"):
        rr.build_report("default", n=1, figures=False)
    with pytest.raises(ParameterError, match=r"^scenario: must be a scenario name"):
        rr.build_report(3.5, figures=False)


@pytest.mark.parametrize(("args", "message"), [
    (["report", "--scenario", "nope", "--out", "{tmp}/r"], "error: scenario: unknown scenario"),
    (["report", "--scenario", "default", "--config", "x.toml", "--out", "{tmp}/r"],
     "error: source: give one of --scenario and --config"),
    (["report", "--config", "{tmp}/none.toml", "--out", "{tmp}/r"], "none.toml: no such file"),
    (["report", "--out", "{tmp}/no/r"], "error: --out: directory"),
    (["report", "--n", "0", "--out", "{tmp}/r"], "error: --n: must be an integer"),
])
def test_cli_report_errors(cli, tmp_path: Path, args: list[str], message: str) -> None:
    r = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.exit_code == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_report_refuses_existing_dir(cli, made) -> None:
    out, _ = made
    r = cli("report", "--out", str(out))
    assert r.exit_code == 2
    assert r.stderr.strip() == f"error: --out: {out} exists; pass --overwrite to replace it"


def test_overwrite_keeps_files_the_report_did_not_write(tmp_path):
    # issue 11: a thesis.tex beside report.html was deleted by --overwrite
    from routegame.report import write_report

    d = tmp_path / "rep"
    write_report(d, "default", figures=False)
    (d / "thesis.tex").write_text("my thesis")
    write_report(d, "default", figures=False, overwrite=True)
    assert (d / "thesis.tex").read_text() == "my thesis"
    assert (d / "report.html").is_file()
    assert not [p for p in d.iterdir() if p.name.startswith(".")]


def test_report_of_a_k_model_scenario(tmp_path: Path) -> None:
    # issue 7: `routegame report --scenario aider-openai-3-tier` failed
    import routegame as rg
    from routegame.scenarios import load_scenario

    rep = rr.build_report("aider-openai-3-tier", figures=False)
    sc = load_scenario("aider-openai-3-tier")
    want = rg.solve(sc.params).to_json_dict()
    assert rep.solution == want
    assert _solution_json(rep.html)["solution"] == want
    assert f"{want['equilibrium']['provider_cost']:.6g}" in rep.html
    assert f"{want['misalignment_gap']:.6g}" in rep.html
    p = rr.write_report(tmp_path / "k", "aider-openai-3-tier", figures=True, n=8)
    assert p.is_file()
