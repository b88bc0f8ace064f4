"""Planning: which calendar events are interviews, and which follow-ups each should have.

:mod:`.interviews` records events as interviews (and cancels or moves what a change affects);
:mod:`.followups` plans the thank-yous and inquiries and names their KEYs. Detection, notes and
business days are the pure helpers they use. Nothing here talks to a provider, and nothing here
drafts: :mod:`daemon.drafting.drafter` does that with what was planned.
"""
