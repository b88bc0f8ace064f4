"""Memory of Google's HTTPS connection objects: one TLS context each, or one per CA bundle.

    python3 bench/tls.py
    python3 bench/tls.py --threads 16 --bundle /etc/ssl/certs/ca-certificates.crt

followupd keeps Google connections per worker thread and host (the sign-in service, Calendar,
Gmail): up to ``[daemon].concurrency`` x 3 connection objects. httplib2 loads the whole CA
bundle into a new TLS context for each; :class:`connectors.google.http.SharedContextHTTPS`
keeps one per bundle. Each variant runs in a child process of its own and prints the RSS that
its connection objects added (no connection is opened: the context is built with the object).
The many-accounts benchmark cannot show this: its fakes' CA bundle holds one certificate, a
real one (the system's, or certifi's) about 140.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ("oauth2.googleapis.com", "www.googleapis.com", "gmail.googleapis.com")


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(kind: str, threads: int, bundle: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    import httplib2

    from connectors.google.http import SharedContextHTTPS

    cls = SharedContextHTTPS if kind == "shared" else httplib2.HTTPSConnectionWithTimeout
    before = _rss_mb()
    kept = [cls(host, ca_certs=bundle) for _ in range(threads) for host in HOSTS]
    gc.collect()
    print(f"{len(kept)} {_rss_mb() - before:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=64, help="[daemon].concurrency")
    parser.add_argument("--bundle", help="a CA bundle (default: httplib2's, the system's)")
    parser.add_argument("--measure", choices=("httplib2", "shared"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.threads, args.bundle)
        return
    import httplib2

    print(
        f"CA bundle: {args.bundle or httplib2.CA_CERTS}; {args.threads} threads x {len(HOSTS)} hosts"
    )
    for kind, label in (
        ("httplib2", "a context per connection (httplib2)"),
        ("shared", "one context per bundle (SharedContextHTTPS)"),
    ):
        command = [sys.executable, __file__, "--measure", kind, "--threads", str(args.threads)]
        if args.bundle:
            command += ["--bundle", args.bundle]
        count, added = subprocess.run(
            command, check=True, capture_output=True, text=True
        ).stdout.split()
        print(f"  {label:45} {count:>4} connections: +{float(added):6.1f} MB RSS")


if __name__ == "__main__":
    main()
