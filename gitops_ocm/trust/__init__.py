"""Keys and SSH signatures that stock ``git verify-commit`` checks (docs/security.md).

``failure`` the typed error with its T6xx code; ``wire`` OpenSSH's binary encoding;
``keys`` public keys and fingerprints; ``sshsig`` signing and verifying SSHSIG
signatures; ``signers`` git's allowed-signers file; ``commits`` the signature header of
a commit object; ``seal`` sealed values and sealing keys (X25519, AES-GCM);
``sealedsecret`` the SealedSecret kind; ``keyfile`` (the only module doing I/O) the
private key files.
"""
