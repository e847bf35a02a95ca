"""Alerts: be told within a second when something you care about changes (docs/alerts.md).

Subscriptions (a person, a vehicle, a rule, a saved search, or look-ups of a watched
person) are matched against each ingest batch by :mod:`.projector`, inside the ingest
transaction, through an index of keys; alerts land in the in-app inbox in that same
transaction and in the outbox for the external channels (webhooks, e-mail), which the
delivery workers (:mod:`.worker`) consume, in-process or through Redis Streams.

Other domains tell users things with :func:`leds.alerts.service.notify`.
"""
