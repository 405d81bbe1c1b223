"""Sign-in hardening: lockout after repeated wrong passwords (django-axes, counted in the shared
cache), the check that the cache is shared, and the second factor (django-otp) that board members
and editors-in-chief give before any admin page opens."""
