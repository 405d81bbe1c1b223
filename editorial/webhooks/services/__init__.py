"""The webhooks' writes, one module per concern:

- ``events``: recording an event (and its deliveries, and the outbox message that schedules them)
  in the transaction of the change that causes it;
- ``delivery``: claiming due deliveries, sending them signed, the retry schedule;
- ``transport``: the HTTP call itself (timeouts, no redirects, no private addresses);
- ``endpoints``: creating and changing endpoints, rotating their secret, redelivering;
- ``alerts``: the chiefs' email about an endpoint whose deliveries failed, once a day.
"""
