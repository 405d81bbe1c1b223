"""Health checks, structured logs and metrics: what an operator and a load balancer see.

``/health/live`` and ``/health/ready`` (views, checks), the request id (middleware), Prometheus
metrics at ``/metrics`` (metrics), and the record of each task's last run that the readiness
check and the metrics read (runs, tasks: the beat heartbeat). Installed as its own app
(``observability``) so that its table has its own migrations.
"""
