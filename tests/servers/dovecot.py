"""A real Dovecot IMAP server for the tests, started on a free loopback port.

Debian's ``dovecot-imapd`` (``.ci/run`` installs it); tests using it skip cleanly when the
``dovecot`` binary is absent (a user's clone). Everything lives in a temporary directory: the
config, the passwd file (one test user with a password), the Maildirs, the runtime ``base_dir``
and the log. TLS uses a certificate from a ``trustme`` CA, so the connector's CA-bundle option is
what makes the connection work: an implicit-TLS port (the 993 kind) and a plain port offering
STARTTLS. Dovecot's ``rawlog`` writes every command the client sent after login to a file per
session, which is how the tests count the commands of an idle poll: the server's own record,
not a wrapper of our code.

As root, Dovecot refuses to give mail to UID 0, so the mail belongs to the unprivileged
``dovenull``-like system user ``nobody`` (the mail directory is a fresh directory in /tmp it can
reach, chowned to it); as an ordinary user, every Dovecot process runs as that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

USER = "alex@example.org"
PASSWORD = "app-password-123"
HOST = "127.0.0.1"


def binary() -> str | None:
    """The dovecot executable, or None (Debian keeps it in /usr/sbin, off a user's PATH)."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Dovecot:
    """One running server: where to connect and how, and where its files are."""

    root: Path
    mail: Path
    ca_file: Path
    imaps_port: int
    imap_port: int
    log: Path
    rawlog: Path
    process: subprocess.Popen[bytes] | None = None
    user: str = USER
    password: str = PASSWORD
    owner: tuple[int, int] = field(default=(os.getuid(), os.getgid()))

    def kick(self) -> None:
        """Drop every connection of the test user, as a server does at its autologout or a
        restart (``doveadm kick``)."""
        doveadm = shutil.which("doveadm") or shutil.which("doveadm", path="/usr/bin:/usr/sbin")
        assert doveadm, "doveadm comes with dovecot-core"
        subprocess.run(
            [doveadm, "-c", str(self.root / "dovecot.conf"), "kick", self.user],
            check=True,
            capture_output=True,
        )

    def logins(self, expected: int, timeout: float = 5.0) -> list[str]:
        """The log's login lines of the test user, once there are ``expected`` of them (or
        the timeout passed): Dovecot's log process writes them a moment after the login."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [
                line
                for line in self.log_text().splitlines()
                if f"Login: user=<{self.user}>" in line
            ]
            if len(lines) >= expected or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def commands(self) -> list[str]:
        """Every command clients sent after login, in order, read from the rawlogs (the
        ``.in`` files: what the server received), without tags, timestamps or literals."""
        found: list[tuple[float, str]] = []
        for path in self.rawlog.glob("*.in"):
            literal = 0
            for raw in path.read_bytes().split(b"\r\n"):
                stamp, _, line = raw.partition(b" ")
                if literal > 0:  # the bytes of an APPEND's message, line by line
                    literal -= len(line) + 2
                    continue
                tag, _, command = line.decode("utf-8", "replace").partition(" ")
                if not command:
                    continue
                found.append((float(stamp), command))
                size = _LITERAL.search(command)
                literal = int(size.group(1)) if size else 0
        return [command for _, command in sorted(found)]


_LITERAL = re.compile(r"\{(\d+)\+?\}$")


# The mailboxes every test account has, with their SPECIAL-USE flag (RFC 6154).
SPECIAL = {"Drafts": "\\Drafts", "Sent": "\\Sent", "Trash": "\\Trash", "Junk": "\\Junk"}
# iCloud's names, announced without SPECIAL-USE: the connector must find them by name.
ICLOUD = {"Drafts": None, "Sent Messages": None, "Deleted Messages": None, "Junk": None}


def _config(
    root: Path,
    mail: Path,
    imaps: int,
    imap: int,
    mailboxes: dict[str, str | None],
    owner: tuple[int, int],
) -> str:
    run_user = pwd.getpwuid(os.getuid()).pw_name
    as_root = os.getuid() == 0
    users = (
        "" if as_root else f"default_internal_user = {run_user}\ndefault_login_user = {run_user}\n"
    )
    boxes = "\n".join(
        f'  mailbox "{name}" {{\n    auto = subscribe\n'
        + (f"    special_use = {flag}\n" if flag else "")
        + "  }"
        for name, flag in mailboxes.items()
    )
    return f"""# written by tests/servers/dovecot.py
base_dir = {root}/run
state_dir = {root}/state
instance_name = followupd-test-{imap}
{users}protocols = imap
listen = {HOST}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{mail}/%n
mail_uid = {owner[0]}
mail_gid = {owner[1]}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={owner[0]} gid={owner[1]} home={mail}/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
{boxes}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {imap}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {imaps}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
protocol imap {{
  rawlog_dir = {mail}/rawlog
  imap_capability = +CONDSTORE
}}
"""


@contextmanager
def dovecot(mailboxes: dict[str, str | None] | None = None, user: str = USER) -> Iterator[Dovecot]:
    """Start Dovecot in the foreground (``dovecot -F``) and stop it afterwards; ``mailboxes``
    (name -> SPECIAL-USE flag or None) are created for the user at first login. ``user``: the
    login; followupd locks a mailbox by user and host across instances, so tests whose daemons
    run side by side give each server its own."""
    import trustme

    exe = binary()
    if exe is None:
        raise RuntimeError("dovecot is not installed")
    root = Path(tempfile.mkdtemp(prefix="followupd-dovecot-"))
    # The mail user must reach its Maildir: a world-traversable directory of its own.
    mail = Path(tempfile.mkdtemp(prefix="followupd-imapmail-"))
    owner = (os.getuid(), os.getgid())
    if os.getuid() == 0:
        nobody = pwd.getpwnam("nobody")
        owner = (nobody.pw_uid, nobody.pw_gid)
        # Dovecot's auth process (user "dovecot") reads the passwd file from here.
        os.chmod(root, 0o711)
        os.chmod(mail, 0o711)
    (mail / "rawlog").mkdir()
    if os.getuid() == 0:
        for path in (mail, mail / "rawlog"):
            os.chown(path, *owner)
    ca = trustme.CA()
    cert = ca.issue_cert(HOST, "localhost")
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    for blob in cert.cert_chain_pems[1:]:
        blob.write_to_path(str(root / "cert.pem"), append=True)
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    (root / "passwd").write_text(f"{user}:{{PLAIN}}{PASSWORD}::::::\n")
    (root / "passwd").chmod(0o644)  # a throwaway test password
    imaps, imap = free_port(), free_port()
    conf = root / "dovecot.conf"
    conf.write_text(
        _config(root, mail, imaps, imap, SPECIAL if mailboxes is None else mailboxes, owner)
    )
    server = Dovecot(
        root=root,
        mail=mail,
        ca_file=root / "ca.pem",
        imaps_port=imaps,
        imap_port=imap,
        log=root / "dovecot.log",
        rawlog=mail / "rawlog",
        owner=owner,
        user=user,
    )
    server.process = subprocess.Popen(
        [exe, "-F", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "stderr.log", "wb"),  # noqa: SIM115 - closed with the process
        start_new_session=True,  # its own process group: the master and every child
    )
    try:
        _wait(server)
        yield server
    finally:
        # SIGKILL to the whole group: a clean SIGTERM shutdown takes Dovecot a second, and
        # nothing of a throwaway server needs saving.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(mail, ignore_errors=True)


def _wait(server: Dovecot, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            err = (server.root / "stderr.log").read_text(errors="replace")
            raise RuntimeError(f"dovecot exited: {err}\n{server.log_text()}")
        try:
            with socket.create_connection((HOST, server.imap_port), timeout=1) as s:
                if s.recv(200).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not start within {timeout} s\n{server.log_text()}")
