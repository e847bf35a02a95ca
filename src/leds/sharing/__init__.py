"""Sharing data lawfully: data sharing agreements as JSON documents checked against a published
schema (:mod:`.agreement`), a register with states and approval by a named role (:mod:`.service`),
and purpose-limited exports under an agreement with a disclosure check and a signed manifest
(:mod:`.export`).  See docs/sharing.md."""
