"""A user's thank-you template that breaks for one interviewer only (issue 11, point 6).

It names the people the user met by the local part of the recipient's address, from a map the
user keeps by hand; an interviewer missing from it fails at render time (the renderer's
undefined values are strict), while everyone else's thank-you renders. The samples ``check``
renders (jane.smith@ and recruiting@acme.example) are in the map, so ``check`` passes and
``run`` starts: the failure is one follow-up's, which is what "failures that heal" is about.
"""

from __future__ import annotations

import json

TEMPLATE = """\
Subject: Thank you{% if role %} – {{ role }}{% endif %}

{{ recipient.salutation }},

{% set met = MET %}
thank you for the conversation; I enjoyed meeting {{ met[recipient.email.split("@")[0]] }}.

{{ closing }},
{{ candidate.name }}
"""
SAMPLES = {"jane.smith": "your team", "recruiting": "your team"}  # check's sample recipients


def one_interviewer_template(met: dict[str, str]) -> str:
    """The template, knowing whom the user met by the local part of their address."""
    return TEMPLATE.replace("MET", json.dumps({**SAMPLES, **met}, ensure_ascii=False))
