"""Statistics shared by bench/report.py and bench/mariadb_report.py (make bench).

Noise on the benchmark machine is large (±10–25% per run), so a target is judged
by an interval, not by one median: see target_verdict and RULE_TEXT.
"""
import math
import statistics

# A deviation of A/A' (the same configuration measured twice in a round) larger
# than these is counted per workload in the report.
NOISE_STEPS = (0.02, 0.05, 0.10)

# 1.4826 x median absolute deviation estimates a standard deviation robustly;
# the standard error of a median of n samples is about 1.2533 sigma / sqrt(n);
# 2 standard errors make an interval of about 95%.
MAD_TO_SIGMA = 1.4826
MEDIAN_SE = 1.2533
Z = 2.0

RULE_TEXT = (
    "A ratio target is judged on the per-round paired ratios (X/A of the same round; "
    "for \"ahead of pgaudit\", X/D). Their spread σ is the larger of two robust estimates: "
    "the A/A′ noise of that workload (1.4826 × median |A2/A − 1| over all its rounds and "
    "client counts: how far the same configuration strays from itself) and the ratios' own "
    "(1.4826 × their median absolute deviation). The median of n rounds is then known to about "
    "± h, h = 2 × 1.2533 × σ / √n (two standard errors of a median: ~95%). "
    "**yes** = median − h ≥ target; **no** = median + h < target; otherwise **inconclusive** "
    "(the noise is too large for that many rounds; \"rounds for yes\" is how many rounds the same "
    "median and σ would need). Fewer than 3 rounds is always inconclusive. "
    "The daemon's CPU per statement (at most 1 µs) is judged by the same interval on its own spread. "
    "Counts and maxima (drops, RSS, ledger checks) are judged as measured.")


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def sigma_from_deviations(devs):
    """Robust standard deviation from absolute deviations (None if there are none)."""
    devs = [abs(d) for d in devs]
    return MAD_TO_SIGMA * statistics.median(devs) if devs else None


def noise_sigma(aa_ratios):
    """sigma of one paired ratio, from A/A' ratios (their true value is 1)."""
    return sigma_from_deviations([r - 1 for r in aa_ratios])


def noise_counts(aa_ratios):
    """How many A/A' ratios stray more than each of NOISE_STEPS from 1."""
    return [sum(1 for r in aa_ratios if abs(r - 1) > s) for s in NOISE_STEPS]


def fmt_noise_counts(aa_ratios):
    n = len(aa_ratios)
    if not n:
        return ["n/a"] * len(NOISE_STEPS)
    return [f"{k} of {n} ({k / n * 100:.0f}%)" for k in noise_counts(aa_ratios)]


def target_verdict(ratios, target, aa_sigma, at_least=True):
    """(verdict, detail) for "median ratio >= target" (at_least) or "<= target".

    verdict is "yes", "no", "inconclusive" or "n/a"; detail shows the median,
    the interval and, when inconclusive, the rounds a yes would need.
    """
    n = len(ratios)
    if not n:
        return "n/a", "no successful paired runs"
    m = statistics.median(ratios)
    own = sigma_from_deviations([r - m for r in ratios]) if n > 1 else None
    sigmas = [s for s in (aa_sigma, own) if s is not None]
    sigma = max(sigmas) if sigmas else 0.0
    h = Z * MEDIAN_SE * sigma / math.sqrt(n)
    detail = f"median {m:.3f} ± {h:.3f} (n={n}, σ={sigma:.3f})"
    lo, hi = m - h, m + h
    if not at_least:
        lo, hi, m, target = -hi, -lo, -m, -target
    if n < 3:
        return "inconclusive", detail + "; fewer than 3 rounds"
    if lo >= target:
        return "yes", detail
    if hi < target:
        return "no", detail
    if m > target and sigma > 0:
        need = math.ceil((Z * MEDIAN_SE * sigma / (m - target)) ** 2)
        detail += f"; rounds for yes: {need}"
    return "inconclusive", detail


def fmt_verdict(v):
    return {"yes": "yes", "no": "**no**", "inconclusive": "inconclusive"}.get(v, v)


def paired_ratios(by_round_num, by_round_den):
    """Ratios num/den over the rounds both have (dicts round -> value)."""
    return [by_round_num[r] / by_round_den[r] for r in by_round_num
            if r in by_round_den and by_round_den[r] and by_round_num[r] is not None]
