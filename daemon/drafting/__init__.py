"""Drafting: a due follow-up becomes exactly one draft in the user's mailbox.

- :mod:`.drafter`: the :class:`~.drafter.Drafter` (intent, find, create; a redraft's retiring of
  the draft it replaces; a failure recorded with its cause);
- :mod:`.facts`: what the store knows about a follow-up, as the template context;
- :mod:`.rules`: why a due follow-up is not drafted any more (too late, cancelled, a twin);
- :mod:`.failures`: why a draft failed and what it depended on, so that it heals;
- :mod:`.edits`: whether the mailbox's copy of a draft is still the one followupd wrote.

What a draft *says* is the writing room's (:mod:`daemon.writing`); this room knows the store and
the mailbox protocol, never a provider.
"""
