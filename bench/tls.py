"""Memory of TLS contexts: one per connection (or account), or one per CA bundle (daemon/tls.py).

    python3 bench/tls.py
    python3 bench/tls.py --threads 16 --accounts 200 --bundle /etc/ssl/certs/ca-certificates.crt

A context holds its own copy of every CA certificate loaded into it. What followupd keeps:

- Google: connections per worker thread and host (the sign-in service, Calendar, Gmail), up to
  ``[daemon].concurrency`` x 3 connection objects; httplib2 builds a context for each;
- Graph (requests/urllib3): up to ``concurrency`` pooled connections to Graph, urllib3 building
  a context for each new one when it is given none;
- IMAP: a connection per account, each with the context the connector built for it.

Each variant runs in a child process of its own and prints the RSS its objects added (no
connection is opened: a context is what is measured). The many-accounts benchmark cannot show
this: its fakes' CA bundle holds one certificate, a real one about 140.
"""

from __future__ import annotations

import argparse
import gc
import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import _proc_rss_mb  # bench/bench.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ("oauth2.googleapis.com", "www.googleapis.com", "gmail.googleapis.com")


def _objects(variant: str, threads: int, accounts: int, bundle: str | None) -> list[Any]:
    import httplib2
    from urllib3.util.ssl_ import create_urllib3_context

    from connectors.google.http import SharedContextHTTPS
    from daemon import tls

    def urllib3_own() -> ssl.SSLContext:  # what urllib3 does per connection without a context
        context = create_urllib3_context()
        if bundle:
            context.load_verify_locations(cafile=bundle)
        else:
            context.load_default_certs()
        return context

    google = [(t, h) for t in range(threads) for h in HOSTS]
    make = {
        "google-own": lambda: [
            httplib2.HTTPSConnectionWithTimeout(h, ca_certs=bundle) for _, h in google
        ],
        "google-shared": lambda: [SharedContextHTTPS(h, ca_certs=bundle) for _, h in google],
        "graph-own": lambda: [urllib3_own() for _ in range(threads)],
        "graph-shared": lambda: [tls.urllib3_context(bundle) for _ in range(threads)],
        "imap-own": lambda: [ssl.create_default_context(cafile=bundle) for _ in range(accounts)],
        "imap-shared": lambda: [
            tls.shared("default", bundle, lambda: ssl.create_default_context(cafile=bundle))
            for _ in range(accounts)
        ],
    }
    return make[variant]()


VARIANTS = {
    "google": "Google, {threads} threads x 3 hosts",
    "graph": "Graph, {threads} pooled connections",
    "imap": "IMAP, {accounts} accounts",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=64, help="[daemon].concurrency")
    parser.add_argument("--accounts", type=int, default=1000, help="IMAP accounts")
    parser.add_argument("--bundle", help="a CA bundle file (default: the system's)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        sys.path.insert(0, str(ROOT))
        import connectors.google.http  # noqa: F401  (imports are not what is measured)
        import daemon.tls  # noqa: F401

        before = _proc_rss_mb(os.getpid())
        kept = _objects(args.measure, args.threads, args.accounts, args.bundle)
        gc.collect()
        print(f"{len(kept)} {_proc_rss_mb(os.getpid()) - before:.1f}")
        return
    print(f"CA bundle: {args.bundle or ssl.get_default_verify_paths().openssl_cafile}")
    print(f"{'':38} {'a context each':>16} {'one per bundle':>16}")
    for name, label in VARIANTS.items():
        figures = []
        for how in ("own", "shared"):
            command = [sys.executable, __file__, "--measure", f"{name}-{how}"]
            command += ["--threads", str(args.threads), "--accounts", str(args.accounts)]
            if args.bundle:
                command += ["--bundle", args.bundle]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            figures.append(f"+{float(out.split()[1]):.1f} MB")
        row = label.format(threads=args.threads, accounts=args.accounts)
        print(f"{row:38} {figures[0]:>16} {figures[1]:>16}")


if __name__ == "__main__":
    main()
