#!/usr/bin/env python3
"""The faiss baseline of KnnBenchmark: IndexFlatL2 (exact, squared L2) on the same shapes and the
same kind of data (uniform random in [0, 1), seeded), timed the same way (median and spread of
repeated searches after a warm-up). Needs Debian's python3-faiss and python3-numpy; the build never
runs it.

    /usr/bin/python3 patchcore-bench/scripts/faiss_knn.py --bank-rows 65536 --dim 1024 --k 1 5
"""
import argparse
import statistics
import time

import faiss
import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bank-rows", type=int, default=65536)
    p.add_argument("--dim", type=int, default=1024)
    p.add_argument("--queries", type=int, default=784)
    p.add_argument("--k", type=int, nargs="+", default=[1, 5])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=7)
    a = p.parse_args()
    faiss.omp_set_num_threads(a.threads)
    rnd = np.random.default_rng(42)
    bank = rnd.random((a.bank_rows, a.dim), dtype=np.float32)
    queries = rnd.random((a.queries, a.dim), dtype=np.float32)
    index = faiss.IndexFlatL2(a.dim)
    index.add(bank)
    for k in a.k:
        index.search(queries, k)  # warm-up
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            index.search(queries, k)
            times.append(time.perf_counter() - t0)
        print("faiss IndexFlatL2 %d threads, bank %dx%d, %d queries, k=%d: median %.1f ms, min %.1f, max %.1f (%d runs)"
              % (a.threads, a.bank_rows, a.dim, a.queries, k, 1000 * statistics.median(times), 1000 * min(times),
                 1000 * max(times), a.repeats))


if __name__ == "__main__":
    main()
