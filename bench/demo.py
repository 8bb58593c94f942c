"""The first `make run`: how long `jiefen seed demo --history` takes on SQLite (issue #11: under a minute).

Each run migrates a new SQLite file in a temporary JIEFEN_VAR_DIR and seeds the demo accounts and the
history there, as `make run` does on a fresh clone; the history's own time is the figure the seed prints.

    python -m bench.run demo [--runs 3] [--cases 3000]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

JIEFEN = str(Path(sys.executable).with_name("jiefen"))
HISTORY_LINE = re.compile(r"demo history: (\d+) cases in ([\d.]+) s")


def one_run(cases: int) -> tuple[float, float]:
    """(seconds of the history, seconds of the whole seed command)."""
    with tempfile.TemporaryDirectory(prefix="jiefen-demo-") as var:
        env = {**os.environ, "JIEFEN_VAR_DIR": var, "JIEFEN_DATABASE_URL": f"sqlite+aiosqlite:///{var}/j.db"}
        subprocess.run([JIEFEN, "db", "upgrade"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        seeded = subprocess.run(
            [JIEFEN, "seed", "demo", "--history", "--cases", str(cases)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        whole = time.perf_counter() - started
    found = HISTORY_LINE.search(seeded.stdout)
    if found is None:
        raise RuntimeError(f"no history line in: {seeded.stdout}")
    return float(found.group(2)), whole


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.run demo")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", type=int, default=2500)
    args = parser.parse_args(argv)
    runs = [one_run(args.cases) for _ in range(args.runs)]
    history = [h for h, _ in runs]
    whole = [w for _, w in runs]
    print(f"| measure ({args.cases} cases, {args.runs} runs) | min | median | max |")
    print("| --- | --- | --- | --- |")
    for name, values in (("history (s)", history), ("whole `seed demo --history` (s)", whole)):
        print(f"| {name} | {min(values):.1f} | {statistics.median(values):.1f} | {max(values):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
