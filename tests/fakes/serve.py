"""The many-user Google and Microsoft fakes as a process of their own, for bench/many.py.

    python3 -m tests.fakes.serve --dir D --users 1000 --provider mixed --events 50 --latency 0.1

builds the world in D (tests/fakes/population.py: every user's calendar and mail, their token
files and MSAL caches, ``D/config.toml`` with one account per user), prints one JSON line on
stdout when it is ready (also written to ``D/world.json``) and serves until SIGTERM or SIGINT.

Why a process of its own: the fakes' work (TLS, JSON, a thread per connection) is not
followupd's, so it must not count in followupd's CPU, nor hold the GIL followupd's threads
want; and several followupd instances (a PostgreSQL setup) can share one world.

The JSON line names the fakes' URLs, the config, and ``control``: a plain-HTTP address on
127.0.0.1 that the benchmark asks (JSON answers):

- ``GET /stats``: requests since the last reset, per fake and in all (served, the most in
  flight at once), by kind, and problems (send calls, requests the real API would reject);
- ``POST /reset``: start a new measurement;
- ``GET /drafts``: every draft: account, recipients, creation time (epoch seconds), subject,
  Message-ID and thread;
- ``POST /arrange`` ``{"first": T1, "last": T2}``: move each account's "during the run"
  interview so its thank-yous come due between T1 and T2; answers what is due when;
- ``POST /latency`` ``{"seconds": S}``: change the latency per request.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakes.population import Population


def control_server(population: Population) -> ThreadingHTTPServer:
    """The benchmark's questions to the fakes (see the module docstring)."""
    routes: dict[tuple[str, str], Callable[[dict[str, Any]], Any]] = {
        ("GET", "/stats"): lambda _body: population.stats(),
        ("POST", "/reset"): lambda _body: population.reset() or {"ok": True},
        ("GET", "/drafts"): lambda _body: population.drafts(),
        ("POST", "/arrange"): lambda body: population.arrange(body["first"], body["last"]),
        ("POST", "/latency"): lambda body: population.set_latency(body["seconds"]) or {"ok": True},
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

        def _answer(self) -> None:
            route = routes.get((self.command, self.path))
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            status, data = (200, route(body)) if route else (404, {"error": self.path})
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="control", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.fakes.serve", description=__doc__)
    parser.add_argument("--dir", type=Path, required=True, help="the world's folder")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--provider", choices=("mixed", "google", "outlook"), default="mixed")
    parser.add_argument("--events", type=int, default=50, help="events per user (at least 12)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--poll-interval", default="2m", help="[daemon].poll_interval")
    parser.add_argument("--database", help="[daemon].database (e.g. a PostgreSQL URL)")
    parser.add_argument("--lease-period", help="[daemon].lease_period (several instances)")
    parser.add_argument("--concurrency", type=int, help="[daemon].concurrency")
    parser.add_argument("--seed", type=int, default=1, help="the worlds' random seed")
    args = parser.parse_args(argv)

    folder: Path = args.dir.resolve()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    population = Population(folder, args.users, args.provider, args.events, args.seed)
    config = folder / "config.toml"
    config.write_text(
        population.config_text(
            args.poll_interval, args.database, args.lease_period, args.concurrency
        )
    )
    config.chmod(0o600)
    population.set_latency(args.latency)
    control = control_server(population)
    ready = {
        "config": str(config),
        "control": f"http://127.0.0.1:{control.server_address[1]}",
        "google": population.google.fake.base_url if population.google else None,
        "graph": population.microsoft.graph_root if population.microsoft else None,
        "authority": population.microsoft.authority_host if population.microsoft else None,
        "accounts": [[a.name, a.provider, a.address] for a in population.accounts],
    }
    (folder / "world.json").write_text(json.dumps(ready, indent=1))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(json.dumps({k: v for k, v in ready.items() if k != "accounts"}), flush=True)
    while not stop.wait(1.0):
        pass
    control.shutdown()
    population.stop()
    problems = population.problems()
    for line in problems[:50]:
        print(f"fake: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
