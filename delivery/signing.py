"""DKIM: every message of a send signed with dkimpy (rsa-sha256, relaxed/relaxed).

The signature is computed over the final bytes (after personalisation, folding and
encoding) and prepended; nothing touches the message after that. The signed headers include
List-Unsubscribe and List-Unsubscribe-Post, as RFC 8058 requires for one-click unsubscribe.
Headers in the list that a message lacks are signed as absent, so nobody can add them later.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dkim
from dkim import dknewkey

from .errors import SettingsError, UsageError
from .settings import DkimSettings

SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)


@dataclass(frozen=True)
class Signer:
    domain: bytes
    selector: bytes
    key: bytes

    @classmethod
    def from_settings(cls, settings: DkimSettings) -> Signer:
        if settings.key_path is None:
            raise SettingsError(
                'NEWSLETTER["dkim"] is set but MASTHEAD_DKIM_KEY is not: export the path of '
                "the private key (`publish.py dkim keygen` makes one)"
            )
        try:
            key = settings.key_path.read_bytes()
        except OSError as error:
            raise SettingsError(
                f"MASTHEAD_DKIM_KEY {settings.key_path} cannot be read: {error.strerror}"
            ) from error
        signer = cls(settings.domain.encode(), settings.selector.encode(), key)
        signer.sign(b"From: check@example.org\r\n\r\n")  # a bad key fails here, not per message
        return signer

    def sign(self, message: bytes) -> bytes:
        """`message` with a DKIM-Signature header in front."""
        try:
            signature = dkim.sign(
                message,
                self.selector,
                self.domain,
                self.key,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=list(SIGNED_HEADERS),
                linesep=b"\r\n",
            )
        except dkim.KeyFormatError as error:
            raise SettingsError(
                f"MASTHEAD_DKIM_KEY is not a PEM RSA private key: {error}"
            ) from error
        return signature + message


@dataclass(frozen=True)
class DnsRecord:
    """The TXT record that publishes a DKIM public key."""

    name: str  # <selector>._domainkey.<domain>
    text: str  # v=DKIM1; k=rsa; h=sha256; p=...

    def __str__(self) -> str:
        # One TXT string holds at most 255 characters; resolvers join the strings of a record.
        chunks = (self.text[i : i + 255] for i in range(0, len(self.text), 255))
        return f"{self.name}. IN TXT " + " ".join(f'"{chunk}"' for chunk in chunks)


def keygen(path: Path, domain: str, selector: str) -> DnsRecord:
    """Write a new 2048-bit RSA key (0600) to `path`; return the DNS TXT record to publish."""
    if path.exists():
        raise UsageError(f"{path} already exists: choose another path (a key is never replaced)")
    path.parent.mkdir(parents=True, exist_ok=True)
    old_umask = os.umask(0o077)
    try:
        dknewkey.GenRSAKeys(str(path), verbose=False)
        with tempfile.TemporaryDirectory() as scratch:
            dns_file = Path(scratch) / "record"
            dknewkey.ExtractRSADnsPublicKey(str(path), str(dns_file), verbose=False)
            record = dns_file.read_text(encoding="ascii").strip()
    except (OSError, subprocess.CalledProcessError) as error:
        path.unlink(missing_ok=True)
        raise UsageError(f"cannot generate a key with openssl: {error}") from error
    finally:
        os.umask(old_umask)
    path.chmod(0o600)
    return DnsRecord(f"{selector}._domainkey.{domain}", record)
