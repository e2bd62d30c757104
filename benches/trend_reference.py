#!/usr/bin/env python3
"""The Python side of benches/trend.rs: the same 288-point series (same SplitMix64
generator), analysed with pymannkendall's Hamed–Rao test and scipy's theilslopes — what a
team would otherwise run — timed on one core, to compare with `cargo bench --bench trend`.

    python3 -m venv /tmp/tw-ref && /tmp/tw-ref/bin/pip install -r tests/fixtures/analysis/requirements.txt
    /tmp/tw-ref/bin/python benches/trend_reference.py --series 500

Prints seconds per series and the figure scaled to the bench's 10,000 series.
"""

import argparse
import math
import time

import numpy as np
import pymannkendall as mk
from scipy import stats

SERIES = 10_000
POINTS = 288
BUCKET_SECONDS = 300.0
MASK = (1 << 64) - 1


class SplitMix:
    def __init__(self, seed):
        self.state = seed

    def next_unit(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return ((z ^ (z >> 31)) >> 11) / float(1 << 53)


def fleet(every_series_trends, count):
    random = SplitMix(20_261_125)
    out = []
    for k in range(SERIES):
        leaking = every_series_trends or k % 10 == 0
        phase = random.next_unit()
        series = []
        for i in range(POINTS):
            day = i / POINTS
            cycle = 2.5e8 * math.sin(2 * math.pi * (day + phase))
            noise = 5e7 * (random.next_unit() - 0.5)
            leak = 7e8 * day if leaking else 0.0
            series.append(1.6e9 + cycle + noise - leak)
        if k < count:
            out.append(np.array(series))
        else:
            break
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=500)
    args = parser.parse_args()
    x = (np.arange(POINTS) + 0.5 - POINTS) * BUCKET_SECONDS
    for every_series_trends in (False, True):
        data = fleet(every_series_trends, args.series)
        start = time.process_time()
        firing = 0
        for y in data:
            test = mk.hamed_rao_modification_test(y, alpha=0.05)
            if test.p < 0.05 and test.z < 0:
                fit = stats.theilslopes(y, x, 0.95)
                firing += fit.slope < 0
        elapsed = time.process_time() - start
        per_series = elapsed / len(data)
        print(
            f"every_series_trends={every_series_trends}: {per_series * 1e3:.2f} ms per series, "
            f"{per_series * SERIES:.1f} s for {SERIES} series ({firing} of {len(data)} falling)"
        )


if __name__ == "__main__":
    main()
