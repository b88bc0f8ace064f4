"""Telling the user when their input is wanted: an interview ended (notes!), drafts are waiting,
an account needs ``followupd auth``, a follow-up failed.

events.py says what is said, as values; desktop.py, push.py (Apprise) and hook.py (a command)
are the notifiers; fanout.py hands each event to all of them, with a timeout each, and logs and
swallows any failure: a notification is a courtesy, never a reason to stop drafting. watch.py
reads from the store what happened. No provider is imported here: this is the core.
"""
