"""Suspected misspellings in the user's own text that goes into a draft, found offline.

Why so cautious: the text is what people write in interview notes ("Kafka consumer lag",
"k8s on-call", "OKRs for Q3", "dbt models", "https://..."), full of product names, acronyms
and jargon that no dictionary holds. A remark that cries wolf on every note is soon ignored,
so a word is only suspected when all of these hold:

- it is written in lower case (capitalised words are names and products: "Snowflake"; words
  with capitals inside are acronyms or brands: "GraphQL", "APIs"), has only letters (no
  digits, hyphens, dots, slashes: "k8s", "on-call", "v2", "ci/cd") and at least four of them;
- it is not part of a URL, an address, a handle or a tag, nor in :data:`JARGON`;
- neither the draft's language nor English knows it, nor its stem (tech notes mix languages);
- it is one edit (a letter left out, added, changed or two swapped) from a word the
  dictionary knows: "bliling" -> "billing". A word far from every known word is more likely a
  name or a term than a typo.

Nothing is ever corrected: the suspected words are shown beside the draft by ``preview`` and
``status`` (:mod:`daemon.writing.remarks`), and the user decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from daemon import lexicon

MIN_LENGTH = 4
# Longer words are no slip from a dictionary word, and each costs ~54 edits per letter to look
# up; a text's first MAX_WORDS words are checked (a note is a line or two, a description may
# be a stranger's essay).
MAX_LENGTH = 30
MAX_WORDS = 400

# Words of the trade that dictionaries lack, written in lower case in real notes.
_JARGON_WORDS = """
    api apis async backend backends backfill backlog blockchain boolean bugfix cadence changelog
    chatbot checkout cicd codebase config configs containerized cron crypto dashboard dashboards
    dataset datasets datastore dedupe deduplication deploy deploys devops devex dockerized dogfooding
    downtime failover fintech frontend frontends gitops hackathon healthcheck hotfix infra
    interop js json kanban kubectl kubernetes latencies lakehouse linter llm llms microservice
    microservices middleware mlops monorepo multitenant namespace namespaces nosql observability
    offboarding okr okrs onboarding oncall onprem opex ops pagerduty postgres postmortem
    postmortems prod proto protobuf pytorch quickstart refactor refactored refactoring repo
    repos rollout rollouts runbook runbooks saas scalability serverless sharding signup
    sprint sprints sql stakeholder stakeholders standup standups startup subteam sysadmin
    telemetry tensorflow terraform timeline toolchain toolchains ux webhook webhooks workflow
    workflows workstream workstreams yaml roadmap roadmaps takehome walkthrough whiteboard
    whiteboarding upskilling offsite offsites fullstack homepage env envs comms otel flink
    grafana kafka spark airflow dagster snowflake redis mongo mysql sqlite nginx istio helm
    argo jenkins github gitlab jira slack figma notion datadog sentry splunk looker tableau
    golang rustc npm pypi ios android webapp devrel dev devs ops sre sres infosec appsec
    secops finops dataops qa sdet prereq prereqs repro todo todos wip eng mgmt perf impl
    deps auth authn authz oauth sso saml ldap vpc cdn dns tls ssl http https grpc rpc rest
    graphql etl elt bi ml ai nlp genai rag gpu gpus cpu cpus ram ssd
"""
JARGON = frozenset(_JARGON_WORDS.split())
# Code in backticks; then whole tokens that are URLs, addresses, handles, tags or paths.
_CODE = re.compile(r"`[^`]*`")
_NOT_PROSE = ("://", "www.", "@", "/", "\\", "#", "=")
MAX_TEXT = 20_000  # characters of one text looked at
_TOKEN = re.compile(r"[^\s\"“”„()\[\]{}<>,;:!?]+")
_SUFFIXES = ("'s", "’s", "s", "es", "ed", "d", "ing", "er", "ers", "ly", "ies")


@dataclass(frozen=True)
class Suspect:
    """A word that looks misspelled, and the known word one edit away, if there is one."""

    word: str
    suggestion: str | None


def _known(word: str, language: str) -> bool:
    languages = dict.fromkeys((language, "en"))
    for lang in languages:
        if lexicon.knows(word, lang):
            return True
        for suffix in _SUFFIXES:
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) >= 3 and lexicon.knows(stem, lang):
                return True
        if word.endswith("ies") and lexicon.knows(word[:-3] + "y", lang):
            return True
    return False


def _near(word: str, language: str) -> str | None:
    """The most frequent known word one edit from ``word``, in the draft's language or
    English, else None."""
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    best: tuple[bool, bool, bool, float, str] | None = None
    for lang in dict.fromkeys((language, "en")):
        checker = lexicon.dictionary(lang)
        if checker is None:
            continue
        for candidate in checker.known(checker.edit_distance_1(word)):
            if len(candidate) < MIN_LENGTH - 1:
                continue
            # The commonest slips of the fingers first: two letters swapped ("bliling" is
            # "billing" before the more frequent "boiling"), then a letter left out
            # ("enginer" is "engineer" before "engine"), then one struck wrong.
            score = (
                candidate in swapped,
                len(candidate) > len(word),
                len(candidate) == len(word),
                lexicon.frequency(candidate, lang),
                candidate,
            )
            if best is None or score > best:
                best = score
    return best[-1] if best else None


def _words(text: str) -> list[str]:
    """The words of ``text`` worth checking: see the module docstring."""
    found = []
    prose = (
        t for t in _CODE.sub(" ", text[:MAX_TEXT]).split() if not any(m in t for m in _NOT_PROSE)
    )
    for token in (piece for t in prose for piece in _TOKEN.findall(t)):
        word = token.strip(".'’-*_~…")
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        if not MIN_LENGTH <= len(word) <= MAX_LENGTH or not word.isalpha() or not word.islower():
            continue
        found.append(word)
        if len(found) >= MAX_WORDS:
            break
    return found


@lru_cache(maxsize=1024)
def suspects(text: str, language: str = "en") -> tuple[Suspect, ...]:
    """The words of ``text`` that look misspelled in ``language`` (each once, in order).

    Cached: ``status`` asks it of the same highlights for every draft it lists."""
    if lexicon.dictionary(language) is None:
        language = "en"  # no dictionary for the draft's language: English terms still count
    out: dict[str, Suspect] = {}
    for word in dict.fromkeys(_words(text)):
        if word in JARGON or _known(word, language):
            continue
        suggestion = _near(word, language)
        if suggestion is not None:
            out[word] = Suspect(word, suggestion)
    return tuple(out.values())


__all__ = ["JARGON", "MIN_LENGTH", "Suspect", "suspects"]
