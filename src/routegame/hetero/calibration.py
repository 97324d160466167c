r"""Task tables of real model pairs, with uncertainty (LiveCodeBench, Aider, RouteLLM).

**Data** (copies shipped in ``routegame/data``, see ``data/NOTICE``): LiveCodeBench code
generation, 1055 problems x 16 models, pass@1 per problem; the non-reasoning models were sampled
n = 10 times per problem (pass@1 = k/10), the reasoning models once (0 or 1). Aider polyglot
gives per-pass latency and cost (:func:`routegame.calibrate.aider_model`) and the first and
second attempt rates (the feedback schedule). RouteLLM gives joint correctness of a weak/strong
pair (one sample each).

**Estimators.**

* Standard model (k successes in n = 10): empirical Bayes. A Beta(a, b) prior is fitted to the
  1055 counts by maximising the beta-binomial marginal likelihood; the problem's posterior is
  Beta(a + k, b + n - k).
* Reasoning model (one outcome y per problem): a Beta prior **conditioned on the partner's
  result** keeps the correlation: problems are grouped by the standard model's k, the group
  mean m_g = (sum_g y + m) / (N_g + 1) (one pseudo-observation at the overall mean m), and the
  prior is Beta(kappa m_g, kappa (1 - m_g)); the posterior is Beta(kappa m_g + y,
  kappa (1 - m_g) + 1 - y). One sample per problem cannot identify the prior's strength kappa;
  its default is the beta-binomial fit of the three o3-mini effort levels (low/med/high, read as
  three draws of one model, n = 3), and its effect is reported as a sensitivity.
* Every posterior is replaced by its ``nodes``-point Gauss-Jacobi rule (exact for moments up to
  2 nodes - 1, so E[p], E[p^2] and hence blind-retry rates are exact from 2 nodes); a problem
  becomes nodes^2 weighted rows; identical rows are merged.

**Statistics of the data** (:func:`data_statistics`), with the estimator of each:

* blind retry after a failure of a 10-sample model: sum_j k_j (n - k_j) / (n (n - 1)) over
  sum_j (n - k_j) / n (pairs of distinct samples; unbiased), against the i.i.d. value, the mean;
* P(M2 solves | M1 failed) = sum_j (1 - p1_j) y2_j / sum_j (1 - p1_j);
* Aider: median over rows of pass_rate_2 / pass_rate_1, and of the retry rate
  (r2 - r1) / (100 - r1) over the first-try rate r1 / 100.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

import attrs
import numpy as np

from routegame._types import FloatArray
from routegame.errors import ParameterError
from routegame.hetero.tasks import TaskTable

__all__ = [
    "LCB_FILE",
    "PAIRS",
    "LiveCodeBench",
    "Pair",
    "data_statistics",
    "fit_beta_binomial",
    "load_livecodebench",
    "pair_table",
    "table_statistics",
]

LCB_FILE = "livecodebench_performances_generation_2025-04-22.json.gz"
ROUTELLM_FILE = "routellm_pair_outcomes.csv.gz"


@attrs.frozen
class Pair:
    """A standard/reasoning pair: LiveCodeBench names and the Aider rows for t and c."""

    key: str
    standard: str
    reasoning: str
    aider_standard: str
    aider_reasoning: str


#: The calibrated pairs of docs/real_data.md.
PAIRS: dict[str, Pair] = {
    p.key: p
    for p in (
        Pair("gpt-4o-mini/o3-mini", "GPT-4O-mini-2024-07-18", "O3-Mini-2025-01-31 (Med)",
             "gpt-4o-mini-2024-07-18", "o3-mini (medium)"),
        Pair("claude-3.5-sonnet/claude-3.7-thinking", "Claude-3.5-Sonnet-20241022",
             "Claude-3.7-Sonnet (Thinking)", "claude-3-5-sonnet-20241022",
             "claude-3-7-sonnet-20250219 (32k thinking tokens)"),
        Pair("gpt-4o/o4-mini", "GPT-4O-2024-08-06", "O4-Mini (High)", "gpt-4o-2024-08-06",
             "o4-mini (high)"),
        Pair("deepseek-v3/o3-mini-high", "DeepSeek-V3", "O3-Mini-2025-01-31 (High)",
             "DeepSeek Chat V3 (prev)", "o3-mini (high)"),
        Pair("gpt-4o-mini/gemini-2.5-flash", "GPT-4O-mini-2024-07-18",
             "Gemini-2.5-Flash-Preview", "gpt-4o-mini-2024-07-18",
             "gemini-2.5-flash-preview-04-17 (default)"),
    )
}


@attrs.frozen(eq=False)
class LiveCodeBench:
    """Per-problem pass@1 (fractions) of every model and the number of samples behind it."""

    problems: tuple[str, ...]
    models: tuple[str, ...]
    rate: FloatArray  # (problems, models) in [0, 1]
    samples: tuple[int, ...]  # 10 (non-reasoning) or 1 (reasoning)

    def column(self, model: str) -> FloatArray:
        """The rates of one model (exact display name)."""
        if model not in self.models:
            raise ParameterError("model", f"unknown LiveCodeBench model {model!r}; known: "
                                 f"{', '.join(self.models)}")
        return np.asarray(self.rate[:, self.models.index(model)], dtype=np.float64)

    def n(self, model: str) -> int:
        """Samples per problem of a model."""
        return self.samples[self.models.index(model)]


def load_livecodebench(path: str | None = None) -> LiveCodeBench:
    """Read the LiveCodeBench performances (the shipped gzip copy by default).

    Examples
    --------
    >>> lcb = load_livecodebench()
    >>> len(lcb.problems), len(lcb.models), lcb.n("GPT-4O-mini-2024-07-18"), lcb.n("O4-Mini (High)")
    (1055, 16, 10, 1)
    """
    if path is None:
        raw = resources.files("routegame.data").joinpath(LCB_FILE).read_bytes()
        text = gzip.decompress(raw).decode("utf-8")
    else:
        with open(path, "rb") as fh:
            data = fh.read()
        text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8")
    try:
        perf = json.loads(text)["performances"]
    except (ValueError, KeyError, TypeError):
        raise ParameterError("livecodebench", "not a LiveCodeBench performances file") from None
    models = sorted({p["model"] for p in perf})
    problems = sorted({p["question_id"] for p in perf})
    mi = {m: i for i, m in enumerate(models)}
    pi = {q: i for i, q in enumerate(problems)}
    rate = np.full((len(problems), len(models)), np.nan)
    for p in perf:
        rate[pi[p["question_id"]], mi[p["model"]]] = float(p["pass@1"]) / 100.0
    if np.isnan(rate).any():
        raise ParameterError("livecodebench", "some (problem, model) results are missing")
    samples = []
    for j in range(len(models)):
        vals = np.unique(rate[:, j])
        samples.append(1 if np.all(np.isin(vals, (0.0, 1.0))) else 10)
    return LiveCodeBench(tuple(problems), tuple(models), rate, tuple(samples))


def fit_beta_binomial(k: FloatArray, n: int) -> tuple[float, float]:
    """Maximum-likelihood Beta(a, b) prior of beta-binomial counts k out of n.

    Examples
    --------
    >>> a, b = fit_beta_binomial(np.array([0, 10, 0, 10, 5, 0, 10, 1]), 10)
    >>> a < 1 and b < 1        # U-shaped: problems solved always or never
    True
    """
    from scipy.optimize import minimize
    from scipy.special import betaln

    k = np.asarray(k, dtype=float)

    def nll(x: FloatArray) -> float:
        a, b = np.exp(x)
        return -float(np.sum(betaln(a + k, b + n - k) - betaln(a, b)))

    m = float(np.clip(k.mean() / n, 0.02, 0.98))
    best = None
    for kappa in (0.3, 1.0, 5.0):
        res = minimize(nll, np.log([m * kappa, (1 - m) * kappa]), method="Nelder-Mead",
                       options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    a, b = np.exp(best.x)
    return float(a), float(b)


def default_kappa(lcb: LiveCodeBench) -> float:
    """Prior strength of one-sample models: beta-binomial fit of o3-mini low/med/high (n = 3)."""
    k = np.sum([lcb.column(f"O3-Mini-2025-01-31 ({e})") for e in ("Low", "Med", "High")], axis=0)
    a, b = fit_beta_binomial(k, 3)
    return a + b


def _rule(a: float, b: float, m: int) -> tuple[FloatArray, FloatArray]:
    from scipy.special import roots_jacobi

    x, w = roots_jacobi(m, b - 1.0, a - 1.0)
    return np.clip((x + 1.0) / 2.0, 0.0, 1.0), w / w.sum()


def pair_table(
    lcb: LiveCodeBench,
    standard: str,
    reasoning: str,
    *,
    kappa: float | None = None,
    nodes: int = 3,
    rows: Sequence[int] | FloatArray | None = None,
) -> TaskTable:
    """The task table of a pair from LiveCodeBench (see the module docstring).

    ``rows`` selects (and may repeat) problems: the bootstrap passes a resample.

    Examples
    --------
    >>> lcb = load_livecodebench()
    >>> tab = pair_table(lcb, "GPT-4O-mini-2024-07-18", "O3-Mini-2025-01-31 (Med)")
    >>> np.round(tab.mean(), 3).tolist()   # data: 0.355 and 0.754 (the prior shrinks slightly)
    [0.355, 0.753]
    """
    idx = np.arange(len(lcb.problems)) if rows is None else np.asarray(rows, dtype=int)
    x1 = lcb.column(standard)[idx]
    x2 = lcb.column(reasoning)[idx]
    tables = []
    for x, partner, name in ((x1, None, standard), (x2, x1, reasoning)):
        n = lcb.n(name)
        k = np.rint(x * n)
        if n > 1:
            a0, b0 = fit_beta_binomial(k, n)
            post = np.stack([a0 + k, b0 + n - k], axis=1)
        else:
            kap = default_kappa(lcb) if kappa is None else float(kappa)
            if not kap > 0:
                raise ParameterError("kappa", f"must be > 0, got {kap!r}")
            ref = partner if partner is not None else np.zeros_like(x)
            groups = np.rint(ref * 10).astype(int)
            m_all = float(k.mean())
            mg = np.zeros(11)
            for g in range(11):
                sel = groups == g
                mg[g] = (k[sel].sum() + m_all) / (sel.sum() + 1.0)
            prior = mg[groups]
            post = np.stack([kap * prior + k, kap * (1 - prior) + (1 - k)], axis=1)
        tables.append(post)
    # product quadrature per problem, memoised on the (a, b) pairs
    cache: dict[tuple[float, float], tuple[FloatArray, FloatArray]] = {}

    def rule(ab: FloatArray) -> tuple[FloatArray, FloatArray]:
        key = (float(ab[0]), float(ab[1]))
        if key not in cache:
            cache[key] = _rule(key[0], key[1], nodes)
        return cache[key]

    keys = np.concatenate([tables[0], tables[1]], axis=1)
    uniq, inv, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    ps, ws = [], []
    for u, cnt in zip(uniq, counts, strict=True):
        x_1, w_1 = rule(u[:2])
        x_2, w_2 = rule(u[2:])
        g1, g2 = np.meshgrid(x_1, x_2, indexing="ij")
        v1, v2 = np.meshgrid(w_1, w_2, indexing="ij")
        ps.append(np.stack([g1.ravel(), g2.ravel()], axis=1))
        ws.append((v1 * v2).ravel() * cnt)
    del inv
    return TaskTable.from_rows(np.concatenate(ps), np.concatenate(ws)).compressed()


def blind_retry(k: FloatArray, n: int) -> float:
    """Unbiased P(second sample succeeds | first failed) from counts k of n >= 2 samples."""
    return float(np.sum(k * (n - k) / (n * (n - 1))) / np.sum((n - k) / n))


def table_statistics(table: TaskTable) -> dict[str, float]:
    """Model-implied statistics of a two-model table (first attempt)."""
    p = table.prob[:, :, 0]
    w = table.weight
    f1 = w @ (1 - p[:, 0])
    return {
        "mean_1": float(w @ p[:, 0]),
        "mean_2": float(w @ p[:, 1]),
        "blind_retry_1": float(w @ (p[:, 0] * (1 - p[:, 0])) / f1),
        "blind_retry_2": float(w @ (p[:, 1] * (1 - p[:, 1])) / (w @ (1 - p[:, 1]))),
        "m2_given_m1_failed": float(w @ ((1 - p[:, 0]) * p[:, 1]) / f1),
    }


def _routellm() -> dict[str, dict[str, float]]:
    raw = resources.files("routegame.data").joinpath(ROUTELLM_FILE).read_bytes()
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))
    out: dict[str, dict[str, float]] = {}
    for bench in ("gsm8k", "mmlu"):
        weak = np.array([r["mixtral_8x7b_correct"] == "True" for r in rows if r["benchmark"] == bench])
        strong = np.array([r["gpt4_1106_correct"] == "True" for r in rows if r["benchmark"] == bench])
        out[bench] = {
            "n": float(weak.size),
            "mean_weak": float(weak.mean()),
            "mean_strong": float(strong.mean()),
            "strong_given_weak_failed": float(strong[~weak].mean()),
        }
    return out


def data_statistics(lcb: LiveCodeBench | None = None) -> dict[str, Any]:
    """The data's own statistics (see the module docstring), for the docs and the checks.

    Examples
    --------
    >>> st = data_statistics()
    >>> round(st["livecodebench"]["GPT-4O-mini-2024-07-18"]["blind_retry"], 3)
    0.038
    """
    from routegame.calibrate import load_aider

    lcb = lcb or load_livecodebench()
    models: dict[str, dict[str, float]] = {}
    for m in lcb.models:
        x = lcb.column(m)
        n = lcb.n(m)
        row = {"mean": float(x.mean()), "samples": float(n),
               "solved_always": float(np.mean(x == 1.0)), "solved_never": float(np.mean(x == 0.0))}
        if n > 1:
            row["blind_retry"] = blind_retry(np.rint(x * n), n)
        models[m] = row
    o3 = np.sum([lcb.column(f"O3-Mini-2025-01-31 ({e})") for e in ("Low", "Med", "High")], axis=0)
    pairs = {}
    for key, pr in PAIRS.items():
        x1 = lcb.column(pr.standard)
        y2 = lcb.column(pr.reasoning)
        pairs[key] = {
            "mean_2": float(y2.mean()),
            "m2_given_m1_failed": float(np.sum((1 - x1) * y2) / np.sum(1 - x1)),
        }
    df = load_aider()
    r1 = df["pass_rate_1"].to_numpy(float)
    r2 = df["pass_rate_2"].to_numpy(float)
    ok = r1 > 0
    return {
        "livecodebench": models,
        "o3_mini_three_levels_as_samples": {"blind_retry": blind_retry(o3, 3),
                                            "mean": float(o3.mean() / 3)},
        "pairs": pairs,
        "aider": {
            "rows": int(r1.size),
            "median_pass_rate_2_over_1": float(np.median(r2[ok] / r1[ok])),
            "median_retry_over_first": float(np.median(((r2 - r1) / (100 - r1))[ok]
                                                       / (r1[ok] / 100))),
        },
        "routellm": _routellm(),
    }
