"""The linearity verdict the scaling tables of bench_collate.py and bench_loader.py print.

A cost is linear in the batch size B when it is a fixed cost per batch plus a flat marginal cost per
sample, ``a + b * B``. From three sizes ``lo < mid < hi`` the marginal cost per sample of the two steps
is compared: ``growth = ((t[hi] - t[mid]) / (hi - mid)) / ((t[mid] - t[lo]) / (mid - lo))``. The cost
is at most linear when ``growth <= 1.5`` (noise allowed); a marginal cost that falls with B (the
memory traffic of larger batches overlapping better, say) also passes, and is labelled so.
"""

from __future__ import annotations

#: The largest allowed rise of the marginal cost per sample from the first step to the second.
MAX_GROWTH = 1.5
#: Below this the marginal cost falls noticeably with B.
FALLS_BELOW = 0.67


def marginal_growth(total: dict[int, float]) -> float:
    """``growth`` of the docstring above for total times per batch ``{B: seconds}`` at three sizes."""
    lo, mid, hi = sorted(total)
    first = (total[mid] - total[lo]) / (mid - lo)
    return ((total[hi] - total[mid]) / (hi - mid)) / max(first, 1e-12)


def verdict(growth: float) -> tuple[bool, str]:
    """``(linear, label)``: linear when the marginal cost rises by at most ``MAX_GROWTH``."""
    if growth > MAX_GROWTH:
        return False, f"NO ({growth:.2f})"
    return True, f"yes ({growth:.2f}{', falls' if growth < FALLS_BELOW else ''})"
