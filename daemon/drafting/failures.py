"""Why a follow-up failed, and what that failure depended on, so that it can heal.

A draft fails for one of three causes, recorded in ``followups.failure``:

- ``template``: a template does not render (:class:`~daemon.errors.TemplateError`);
- ``config``: a config value makes the draft impossible
  (:class:`~daemon.errors.ConfigValueError`, e.g. a sender address no mailbox can write);
- ``item``: the follow-up itself can never be drafted as it is (a recipient address from the
  calendar that no message can carry, a mailbox refusing that one draft):
  :class:`~daemon.errors.BadItem`.

Beside it, ``followups.failure_fingerprint`` records what the draft depended on when it
failed: a digest of the templates (:meth:`daemon.writing.render.Renderer.fingerprint`) and
one of the config values a draft reads (the candidate, ``[contacts]``, the account's sender,
salutation and language, the time zone and business days). A template or config failure is
retried once that fingerprint changes (:mod:`daemon.running.healing`), once per change: the
same failure under the same new fingerprint stays failed. An item failure waits for
``followupd retry``, as nothing the daemon watches could fix it.

Both parts are kept apart in the stored text (``templates:<hex> config:<hex>``) so that the
retry can say which one changed.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from daemon.config import Account, Config
from daemon.errors import BadItem, ConfigValueError, FollowupdError, TemplateError

if TYPE_CHECKING:
    from daemon.writing.render import Renderer


class Failure(enum.StrEnum):
    TEMPLATE = "template"
    CONFIG = "config"
    ITEM = "item"


# Causes the daemon itself sees fixed (the templates or config change) and retries.
HEALING = (Failure.TEMPLATE, Failure.CONFIG)
FAILING = (TemplateError, ConfigValueError, BadItem)  # what a draft attempt turns into `failed`


def classify(err: FollowupdError) -> Failure:
    """The cause of a failed draft attempt, from the error's class."""
    if isinstance(err, TemplateError):
        return Failure.TEMPLATE
    if isinstance(err, ConfigValueError):
        return Failure.CONFIG
    return Failure.ITEM


def config_digest(config: Config, account: Account | None) -> str:
    """A digest of the parsed config values a draft of ``account`` reads (not the file: a
    comment or a poll interval changes no draft)."""
    values = {
        "candidate": asdict(config.candidate),
        "contacts": sorted((k, asdict(v)) for k, v in config.contacts.items()),
        "timezone": config.daemon.timezone,
        "holidays": sorted(str(d) for d in config.days.holidays),
        "weekend": sorted(config.days.weekend),
        "account": None
        if account is None
        else [
            account.name,
            list(account.addresses),
            account.sender_name,
            account.salutation,
            account.language,
        ],
    }
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(config: Config, renderer: Renderer, account: Account | None) -> str:
    """What a draft of ``account`` depends on now: templates and config, each a short digest."""
    return Fingerprints(config, renderer).of(account)


def _parts(value: str | None) -> dict[str, str]:
    return dict(part.split(":", 1) for part in (value or "").split() if ":" in part)


def what_changed(before: str | None, now: str) -> str | None:
    """'the template', 'the config', 'the template and the config', or None (no change)."""
    old, new = _parts(before), _parts(now)
    changed = [
        label
        for key, label in (("templates", "the template"), ("config", "the config"))
        if old.get(key) != new.get(key)
    ]
    return " and ".join(changed) or None


class Fingerprints:
    """The fingerprint per account for one round of due work, computed once per account:
    the templates are read once, before any draft of the round renders them (a file saved
    during the round then differs from the stored fingerprint, and is retried next round)."""

    def __init__(self, config: Config, renderer: Renderer) -> None:
        self.config = config
        self._templates = renderer.fingerprint()[:16]  # now, before anything renders
        self._by_account: dict[str | None, str] = {}

    def of(self, account: Account | None) -> str:
        name = account.name if account else None
        if name not in self._by_account:
            config = config_digest(self.config, account)[:16]
            self._by_account[name] = f"templates:{self._templates} config:{config}"
        return self._by_account[name]


__all__ = [
    "FAILING", "HEALING", "Failure", "Fingerprints", "classify", "config_digest",
    "fingerprint", "what_changed",
]  # fmt: skip
