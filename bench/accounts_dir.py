"""What watching ``[daemon].accounts_dir`` costs: the look before every poll cycle, and the
read after a change, for a folder of N account files.

    python3 bench/accounts_dir.py            # 1,000 files
    python3 bench/accounts_dir.py --files 5000

Prints the wall time of :func:`daemon.accountsdir.signature` (one stat per file: what an
unchanged folder costs each cycle) and of :func:`daemon.accountsdir.read` (every file parsed
and validated: what a change costs), best of 5.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon import accountsdir  # noqa: E402


def best(fn, rounds: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in range(args.files):
            (folder / f"user-{n:05}.toml").write_text(
                f'addresses = ["u{n}@example.org"]\n'
                f'calendar = {{ provider = "google" }}\nmailbox = {{ provider = "google" }}\n'
                f'[google]\nclient_secrets = "/etc/followupd/client.json"\n'
            )
        found = accountsdir.read(folder)
        assert len(found.accounts) == args.files, found.skipped[:1]
        look = best(lambda: accountsdir.signature(folder))
        read = best(lambda: accountsdir.read(folder), 3)
        print(f"{args.files} account files")
        print(f"  unchanged folder, looked at before each poll: {look * 1000:8.1f} ms")
        print(f"  a change, every file read and validated:      {read * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
