"""Person checks, vehicle checks, descriptive search, and the single view of a person.

Everything here reads records through the access choke point
(:func:`leds.access.policy.read_records`), so each look-up is authorised, filtered,
redacted and audited in one place.  See docs/checks.md.
"""
