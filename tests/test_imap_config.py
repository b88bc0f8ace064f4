"""The ``imap`` provider's options: rules across them that a schema cannot say (no server
needed, so these run on every clone)."""

from __future__ import annotations

from pathlib import Path


def _config_problems(tmp_path: Path, mailbox: str) -> list[str]:
    from daemon import config
    from daemon.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text(
        '[candidate]\nname = "Alex"\n\n[[accounts]]\nname = "home"\n'
        'addresses = ["alex@example.org"]\ncalendar = { provider = "ics", path = "cal" }\n'
        f"mailbox = {{ {mailbox} }}\n"
    )
    try:
        config.load(path)
    except ConfigError as err:
        return list(err.problems)
    return []


def test_config_needs_exactly_one_password_source(tmp_path):
    base = 'provider = "imap", host = "imap.example.org"'
    assert _config_problems(tmp_path, base + ', keyring = "imap"') == []
    assert _config_problems(tmp_path, base) == [
        "config.toml: [[accounts]] 'home'.mailbox: expected one of password_command, keyring "
        "or password, found none"
    ]
    two = _config_problems(tmp_path, base + ', keyring = "imap", password = "x"')
    assert two == [
        "config.toml: [[accounts]] 'home'.mailbox: expected one password source, found "
        "keyring and password"
    ]


def test_config_refuses_plain_text_to_a_remote_server(tmp_path):
    base = 'provider = "imap", password = "x", tls = "none", host = '
    assert _config_problems(tmp_path, base + '"127.0.0.1"') == []
    found = _config_problems(tmp_path, base + '"imap.example.org"')
    assert len(found) == 1 and "'none' sends the password in clear" in found[0]
    assert "'imap.example.org'" in found[0]


def test_a_mailbox_is_named_by_its_server_port_when_not_the_usual_one():
    # Two servers on one host are two mailboxes: their locks (daemon/running/sharing.py) and
    # histories must not be one. The usual port keeps the short name.
    from connectors.imap import PROVIDER

    def name(**options):
        return PROVIDER.resource("mailbox", {"host": "Mail.Example.org", **options}, {}, ("a@b",))

    assert name().identity == "imap:a@b@mail.example.org"
    assert name(port=993).identity == "imap:a@b@mail.example.org"
    assert name(tls="starttls", port=143).identity == "imap:a@b@mail.example.org"
    assert name(port=10993).identity == "imap:a@b@mail.example.org:10993"
    assert name(tls="starttls", port=993).identity == "imap:a@b@mail.example.org:993"
