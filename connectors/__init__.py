"""Providers: one module or package per provider, each exporting ``PROVIDER``.

Providers implement :mod:`daemon.protocols` and never touch the database; the core never
imports them directly (see :mod:`daemon.registry`).
"""
