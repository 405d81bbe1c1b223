"""Settings of the server ``bench_api`` starts: the site's, with the benchmark's URLconf and
throttles out of the way (a load generator on one address is not a crowd of clients)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "1000000/second", "user": "1000000/second", "auth": "1000000/second"},
}
