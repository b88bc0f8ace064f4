"""Shared fixtures. Tests that need ../shared (the real-world corpus) skip cleanly without it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def corpus_files(kind: str) -> list[Path]:
    """All files of the shared corpus of ``kind`` ('ics' or 'eml'); empty when it is absent."""
    folder = CORPUS / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present (only CI and developers have it)")
    return CORPUS
