"""The sealing key a registration request or a signed report offers is kept in the record."""

from __future__ import annotations

import keykit

from gitops_ocm.status import registrations

KEY = keykit.public(keykit.seed("a"))
OTHER = keykit.public(keykit.seed("b"))
LINE = "x25519 " + "A" * 43 + "="
NEW_LINE = "x25519 " + "B" * 43 + "="


def test_request_records_its_sealing_key_and_it_round_trips() -> None:
    """A request's sealing key is written as sealingKey and read back."""
    record = registrations.requested(None, "a", KEY, "c" * 40, "2026-01-01T00:00:00Z", LINE)
    assert record.request.sealing_key == LINE
    data = registrations.to_yaml(record)
    assert b"sealingKey: x25519 " in data
    assert registrations.from_yaml("a", data) == record


def test_report_signed_by_the_accepted_key_updates_the_sealing_key() -> None:
    """A report of the request's key replaces its sealing key; one of another key does not."""
    record = registrations.requested(None, "a", KEY, "c" * 40, "2026-01-01T00:00:00Z", LINE)
    later = registrations.reported(record, "a", KEY, "d" * 40, "2026-01-02T00:00:00Z", NEW_LINE)
    assert later.request.sealing_key == NEW_LINE
    other = registrations.reported(record, "a", OTHER, "e" * 40, "2026-01-02T00:00:00Z", NEW_LINE)
    assert other.request.sealing_key == LINE


def test_record_without_sealing_key_is_written_as_before() -> None:
    """A request offering no sealing key writes no sealingKey field."""
    record = registrations.requested(None, "a", KEY, "c" * 40, "2026-01-01T00:00:00Z")
    assert b"sealingKey" not in registrations.to_yaml(record)
