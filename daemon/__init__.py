"""followupd: drafts interview thank-you notes and status inquiries. It never sends mail.

The core package. It knows nothing about any provider: calendar sources and mailboxes are found
by name through :mod:`daemon.registry` and spoken to only through :mod:`daemon.protocols`.
"""

__version__ = "0.1.0"
