"""Writing the drafts: what a template sees, the note sentences, the languages, the rendering.

The room for any change to what a draft *says*: :mod:`~daemon.writing.context` gathers the
facts (recipient, interview, notes, fit), :mod:`~daemon.writing.prose` holds the small
language-aware helpers (names, greetings, dates), :mod:`~daemon.writing.notes` reads the user's
notes out of an event description, :mod:`~daemon.writing.phrases` finds the languages (a folder
``languages/<code>/`` each: four templates and a phrase table), :mod:`~daemon.writing.notelang`
tells the language of the user's text so none lands in a draft of another, and
:mod:`~daemon.writing.render` renders the templates of ``languages/<code>/`` (or the user's
own) in a bounded sandbox (:mod:`~daemon.writing.bounds`).

Nothing here knows about mailboxes, the database or the scheduler: a draft's text is a pure
function of its context, which is what makes "the same draft on a re-run" hold. The package
re-exports nothing: import from the module that holds the thing (``daemon.config`` uses
``prose`` while ``context`` uses ``daemon.config``).
"""
