"""What followupd shows: rows of facts (:mod:`rows`) rendered as rich tables for a terminal
(:mod:`tables`), tab-separated records for a pipe (:mod:`plain`), or ``--json`` for scripts
(:mod:`as_json`); times in one way (:mod:`times`); what one run did (:mod:`runs`); what
``check`` found (:mod:`checks`).

Nothing here writes to the store or talks to a provider: the commands in :mod:`daemon.cli`
gather the facts and choose the rendering.
"""
