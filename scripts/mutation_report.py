"""`make mutation`'s summary: the score of the run in mutants/ and every mutant not killed.

The score is killed / (all mutants the run tried): a mutant that survived, that no test of the
subset reaches ("no tests") or that timed out counts against it (docs/testing.md). Usage, after
``mutmut run``: ``python scripts/mutation_report.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STATS = Path("mutants/mutmut-cicd-stats.json")


def main() -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    subprocess.run([mutmut, "export-cicd-stats"], check=True, capture_output=True)  # noqa: S603
    stats = json.loads(STATS.read_text())
    tried = stats["total"] - stats["skipped"]
    print(
        f"mutants: {stats['total']}  killed: {stats['killed']}  survived: {stats['survived']}  "
        f"no tests: {stats['no_tests']}  timeout: {stats['timeout']}  suspicious: {stats['suspicious']}"
    )
    print(f"score: {stats['killed'] / tried:.1%} killed" if tried else "score: nothing was tried")
    results = subprocess.run([mutmut, "results"], check=True, capture_output=True, text=True)  # noqa: S603
    not_killed = sorted(line.strip() for line in results.stdout.splitlines() if line.strip())
    print(f"\nnot killed ({len(not_killed)}; `mutmut show NAME` gives the diff):")
    for line in not_killed:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
