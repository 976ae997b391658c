"""The one error type of the trust package, with a stable T6xx code per cause.

Pure. Everything this package reads is untrusted (signatures, public keys,
allowed-signers files and commits arrive from clusters and people), so every way
such input can be wrong ends in a ``TrustError`` whose code says why
(docs/problem-codes.md, T6xx), never in another exception.
"""

from __future__ import annotations

from gitops_ocm import errors

ARMOR = "T601"  # the armored signature is malformed (markers, base64, size, lengths)
FORMAT = "T602"  # not an SSHSIG blob: wrong magic or version
NAMESPACE = "T603"  # signed under another namespace
UNSUPPORTED = "T604"  # a key type or hash algorithm this package does not support
BAD_SIGNATURE = "T605"  # the signature does not verify over the message
PUBLIC_KEY = "T606"  # a malformed public key (line or blob)
KEY_FILE_MODE = "T607"  # a private key file group or others may read
KEY_FILE = "T608"  # a private key file that is not an unencrypted Ed25519 OpenSSH key
SIGNERS = "T609"  # a malformed allowed-signers file or line
PRINCIPAL = "T610"  # a principal name that could break the allowed-signers format
COMMIT = "T611"  # a commit object whose signature header is malformed or ambiguous
SEAL_KEY = "T661"  # a malformed sealing key (line, base64, size) or an unusable X25519 key
SEAL_FORMAT = "T662"  # a malformed sealed value or SealedSecret
SEAL_OPEN = "T663"  # a sealed value that does not open (other key, other place, altered)


class TrustError(errors.InvalidInput):
    """A signature, key, allowed-signers file or commit that cannot be trusted, and why."""

    def __init__(self, code: str, message: str, where: str = "") -> None:
        self.code = code
        self.detail = message
        self.where = where
        super().__init__(f"{where}: {code} {message}" if where else f"{code} {message}")
