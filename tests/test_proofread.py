"""Proofreading the user's own text (issue 10, "What to build" 7): precision first.

Notes as people really write them after an interview (product names, acronyms, versions,
hyphenated terms, URLs, German and English mixed) must raise no remark at all; real slips of
the fingers must be found, with the word one edit away. Nothing is ever corrected.
"""

from __future__ import annotations

import time

import pytest

from daemon.writing.proofread import Suspect, suspects

# Every note of the rubric's scenario table, and more in the same spirit: no false alarms.
CLEAN_NOTES = [
    "the billing migration",
    "she is rebuilding the data platform on Snowflake",
    "Great chat about on-call, very friendly.",
    "next step: take-home",
    "we talked about their incident tooling",
    "decision: end of month",
    "the ETL rewrite in Rust",
    "asked me why I moved from fintech to ML?",
    "Loved the demo of their new design system!",
    "follow-up: send portfolio",
    "on-call rotation",
    "Kafka consumer lag",
    "the team's roadmap for 2027",
    "we went through the whole vault ledger design, how they reconcile balances overnight, why "
    "they moved off the mainframe, what went wrong in the first migration attempt",
    "the pager load after the outage",
    "the test flakiness dashboard",
    "the Azure landing zones",
    "the TPS report pipeline",
    "their fax-to-email gateway",
    "gamma-ray data",
    "dbt models",
    "the warehouse costs",
    "the compression benchmark",
    "k8s migration, gRPC between services, p99 latency",
    "OKRs for Q3 and the infra budget",
    "they use terraform + atlantis for infra",
    "discussed observability: otel collectors, grafana dashboards",
    "her team owns the ingestion pipeline (flink jobs)",
    "async standups across timezones",
    "migrating from mysql to postgres",
    "the monolith decomposition",
    "idempotency keys for retries",
    "backpressure in the consumers",
    "autoscaling the workers",
    "tooling for feature flags",
    "their RFC process",
    "cross-functional work with PMs",
    "synchronous vs asynchronous comms",
    "the devrel team",
    "the accessibility audit",
    "the chargeback flow",
    "multi-region failover",
    "the SLOs and error budgets",
    "a greenfield service",
    "see https://eng.example.com/blog/ledger-v2 for the design doc",
    "ping jane.doe@acme.example about the offsite",
    "#followup her question on CI/CD",
    "`kubectl rollout` demo",
    "the iOS app's release train",
    "v2 of the API, REST to GraphQL",
    "Q&A with the CTO",
    "React Native vs Flutter debate",
    "PostgreSQL 16 upgrade, pgbouncer pooling",
    "the Jira workflow for incidents",
    "ML platform roadmap",
    "the replicant onboarding flow",
    "budget planning for the team",
    "security reviews",
    "the on-call handbook",
    "the arc reactor telemetry",
    "the payments API redesign",
    "the hardware security modules",
    "the forecasting models",
    "the team's move to Kubernetes",
    "the Azure landing zones and FinOps",
    "eight years of building payment systems",
    "leading incident reviews",
    "a decade of Go services",
    "I have led the same migration to Kafka twice",
]


@pytest.mark.parametrize("note", CLEAN_NOTES)
def test_real_notes_raise_no_remark(note: str) -> None:
    assert suspects(note) == ()


def test_the_table_is_realistic_and_large() -> None:
    assert len(CLEAN_NOTES) >= 60


@pytest.mark.parametrize(
    ("note", "word", "suggestion"),
    [
        ("the bliling migration", "bliling", "billing"),
        ("talked about thier roadmap", "thier", "their"),
        ("the paymnet service", "paymnet", "payment"),
        ("how they recieve events", "recieve", "receive"),
        ("great convesration about hiring", "convesration", "conversation"),
        ("the seperate staging envs", "seperate", "separate"),
        ("the team's sharding stratgy", "stratgy", "strategy"),
        ("a staff enginer on the platform", "enginer", "engineer"),
        ("the dashbaord for alerts", "dashbaord", "dashboard"),
    ],
)
def test_slips_of_the_fingers_are_found(note: str, word: str, suggestion: str) -> None:
    assert Suspect(word, suggestion) in suspects(note)


def test_german_text_in_a_german_draft() -> None:
    assert suspects("Migration der Abrechnung auf Kafka, sehr freundlich", "de") == ()
    assert [s.word for s in suspects("wir haben über die Zahlungen gesprochn", "de")] == [
        "gesprochn"
    ]


def test_a_language_without_a_dictionary_falls_back_to_english() -> None:
    assert [s.word for s in suspects("the bliling migration", "xx")] == ["bliling"]


def test_each_word_once() -> None:
    assert len(suspects("bliling, more bliling")) == 1


def test_hostile_text_is_checked_in_bounded_time() -> None:
    """A stranger's description can be long; the check stays quick and still finds a slip."""
    start = time.monotonic()
    found = suspects("x" * 100_000 + " " + "aaaaab " * 20_000 + "the bliling migration")
    assert time.monotonic() - start < 5
    assert found == () or all(s.word != "x" * 100_000 for s in found)
    assert [s.word for s in suspects("bliling " + "y" * 5000)] == ["bliling"]
