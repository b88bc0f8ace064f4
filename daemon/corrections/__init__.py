"""What the user says about an interview, applied: notes and corrections (:mod:`.notes`),
skipping and unskipping (:mod:`.skips`).

The command line and the note form (``followupd note ID`` in ``$EDITOR``) both come here, so
a correction means the same whichever way it was made. Nothing here talks to a mailbox.
"""
