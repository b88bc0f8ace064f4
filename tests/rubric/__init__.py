"""The measuring instrument of issue 10: RUBRIC.md as code, a scenario table, and a runner.

``checks`` judges one rendered draft; ``scenarios`` lists the situations; ``runner`` runs them
through the real CLI against an ics calendar and a Maildir and reports per rubric item.
"""
