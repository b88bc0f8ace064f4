"""The running daemon: what turns a config into work done, and keeps instances apart.

- :mod:`.accounts` builds each account's calendar source and mailbox through the registry;
- :mod:`.identity` says what an account *is* (its calendar and mailbox), so a rename keeps its
  history;
- :mod:`.sharing` keeps one daemon per state folder (and SQLite file) and one state per
  mailbox; :mod:`.leases` shares the accounts out among several instances on one PostgreSQL,
  renewed by :mod:`.renewal`'s thread;
- :mod:`.engine` is one poll and one round of due work, with failures kept per account;
- :mod:`.service` is the long-running loop (scheduler, signals, systemd), :mod:`.reload` what
  SIGHUP does, :mod:`.sdnotify` the systemd notification protocol.

Imports point one way: the CLI uses this package; this package uses planning, drafting, the
store and the protocols; nothing below imports it.
"""
