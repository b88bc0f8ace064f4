"""Durable state: what we know about interviews and what we did about them.

The truth lives here, not in the scheduler: APScheduler only wakes the daemon up, and every job
can be rebuilt from these tables at start. ``models`` holds the tables, ``database`` opens and
migrates a database, ``repository`` holds the queries the engine needs.
"""
