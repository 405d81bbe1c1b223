"""Sign-in hardening: lockout after repeated wrong passwords (django-axes, counted in the shared
cache), and the check that the cache is shared."""
