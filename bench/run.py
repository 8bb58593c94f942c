"""Run the benchmarks: ``python -m bench.run [NAME ...] [-- options of one benchmark]`` (``make bench``).

Each benchmark is a module ``bench/<name>.py`` with ``main(argv) -> exit code``; add yours to BENCHMARKS.
Without a name, every benchmark runs with its defaults. With one name, the remaining arguments go to it:
``python -m bench.run intake --workers 1 --duration 5``.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS: dict[str, str] = {
    "intake": "bench.intake",
    "sla": "bench.sla",
    "feed": "bench.feed",
    "demo": "bench.demo",
    "workspace": "bench.workspace",  # issue #14
    "pages": "bench.pages",
    "reporting": "bench.reporting",
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS))
        return 0
    if not argv:
        names, rest = list(BENCHMARKS), []
    else:
        names = [a for a in argv if a in BENCHMARKS]
        if not names:
            print(f"unknown benchmark {argv[0]!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
            return 2
        rest = [a for a in argv if a not in BENCHMARKS] if len(names) == 1 else []
    status = 0
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        status = max(status, int(module.main(rest)))
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
