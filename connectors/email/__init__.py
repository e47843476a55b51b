"""E-mail connector: IMAP mailbox in (IDLE or polling), SMTP replies out, threaded."""

from .connector import EmailConnector
from .options import EmailOptions

__all__ = ["EmailConnector", "EmailOptions"]
