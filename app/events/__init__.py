"""Events out: an outbox written with each state change, delivered to webhooks with retries.

`outbox.py` (`emit`, reads, retention), `subscriptions.py` (ECOPLANE_NOTIFY, checked at start),
`formats.py` (cloudevents, slack, openlineage), `deliveries.py` (claim under a lease, record),
`worker.py` (`DeliveryWorker`, on every replica), `metrics.py`. See docs/events.md.
"""
