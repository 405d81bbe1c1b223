"""Health checks and structured logs: what an operator and a load balancer see.

``/health/live`` and ``/health/ready`` (views, checks), the request id (middleware), and the
record of each task's last run that the readiness check reads (runs, tasks: the beat heartbeat).
Installed as its own app (``observability``) so that its table has its own migrations.
"""
