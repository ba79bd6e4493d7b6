"""Run the benchmarks: `python -m benchmarks --scale quick|full [--cases a,b]`.

Each case runs in its own interpreter so its peak memory is its own. Results are printed as
one table and written as JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

CASES = ["import", "open", "reliability", "attendance", "network", "network_memory", "merge",
         "export", "scanner", "widget", "app", "demo", "test"]
ROOT = Path(__file__).resolve().parent


def _run_case(case: str, scale: str) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-c",
         f"from benchmarks.case_{case} import run; run({scale!r})"],
        cwd=ROOT.parent, capture_output=True, text=True)
    rows = [json.loads(line[7:]) for line in proc.stdout.splitlines()
            if line.startswith("RESULT ")]
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        rows.append({"case": case, "size": "", "error": tail})
    return rows


def _fmt(v, unit="s") -> str:
    if v is None:
        return "–"
    return f"{v:.1f} MiB" if unit == "MiB" else (f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--scale", choices=["quick", "full"], default="quick")
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args(argv)
    rows = []
    for case in args.cases.split(","):
        print(f"running {case} …", file=sys.stderr, flush=True)
        rows += _run_case(case, args.scale)
    header = f"{'case':28} {'size':34} {'ours':>11} {'baseline':>11} {'ratio':>7}  " \
             f"{'target':22} {'peak RSS':>10}  baseline"
    print(header)
    print("-" * len(header))
    for r in rows:
        if "error" in r:
            print(f"{r['case']:28} ERROR: {r['error']}")
            continue
        if r.get("skipped"):
            print(f"{r['case']:28} {r['size']:34} skipped: {r['skipped']}")
            continue
        unit = r.get("unit", "s")
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") is not None else "–"
        print(f"{r['case']:28} {r['size']:34} {_fmt(r['ours_s'], unit):>11} "
              f"{_fmt(r.get('baseline_s'), unit):>11} {ratio:>7}  {r.get('target', ''):22} "
              f"{r['peak_rss_mb']:>7.0f} MiB  {r['baseline']}")
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out / f"{args.scale}-{stamp}.json"
    path.write_text(json.dumps(rows, indent=2))
    print(f"\nresults: {path}")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
