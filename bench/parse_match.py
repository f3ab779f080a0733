"""Benchmark: parse a 100k-entry multi-provider M3U and cluster it into channels.

Prints one JSON line: parse and match throughput, match time, pairwise precision/recall/F1
against the generator's truth, and peak RSS. Asserts nothing (see DESIGN.md section 7).

    .venv/bin/python bench/parse_match.py [n_entries]
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from playlist_gen import generate

from strmline.formats.m3u import parse_lines
from strmline.matching import MatchItem, cluster


def _pairs(sizes: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def pairwise_scores(predicted: dict[str, int], truth: dict[str, str]) -> tuple[float, float, float]:
    """Pair-counting precision/recall over all entry pairs, from cluster sizes (not O(n^2))."""
    pred_sizes: Counter[object] = Counter(predicted.values())
    true_sizes: Counter[object] = Counter(truth[url] for url in predicted)
    both: Counter[object] = Counter((predicted[url], truth[url]) for url in predicted)
    tp = _pairs(both)
    pred_pairs = _pairs(pred_sizes)
    true_pairs = _pairs(true_sizes)
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    lines, truth = generate(n)

    # Streamed like the sync pipeline: entries become match items as they are parsed, and the
    # raw lines are dropped before matching.
    t0 = time.perf_counter()
    items = [MatchItem(e.url, e.name, e.attrs.get("tvg-id") or None) for e in parse_lines(lines)]
    parse_s = time.perf_counter() - t0
    del lines

    t0 = time.perf_counter()
    result = cluster(items)
    match_s = time.perf_counter() - t0

    predicted = {str(c.item_id): c.cluster for c in result}
    precision, recall, f1 = pairwise_scores(predicted, truth)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "bench": "parse_match",
                "entries": len(items),
                "channels": len(set(predicted.values())),
                "true_channels": len(set(truth.values())),
                "parse_entries_per_s": round(len(items) / parse_s),
                "match_entries_per_s": round(len(items) / match_s),
                "match_seconds": round(match_s, 3),
                "precision": round(precision, 5),
                "recall": round(recall, 5),
                "f1": round(f1, 5),
                "peak_rss_mb": round(peak_kb / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
