"""Test settings: the real settings with a throw-away secret, fast password hashing and the
broker's files (when the default filesystem broker is used) in a temporary folder."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-never-used-outside-the-test-suite")
# Readable log lines: the worker tests read the key=value lines the tasks log from the workers'
# output (tests/editorial/workers.py). Set in the environment so that those workers inherit it;
# the JSON lines have their own tests (tests/observability/test_logs.py).
os.environ.setdefault("LOG_FORMAT", "console")
if "VAR_DIR" not in os.environ:
    # Set in the environment, so that worker processes the tests start share the folder.
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="editorial-test-")
    atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Pages name static files as they are in the source: the suite runs no collectstatic (the
# production storage, hashed and compressed, is tested under gunicorn in tests/ops/).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise warns of a missing folder

# The suite makes many requests from one client; throttling has its own tests.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute", "auth": "100000/minute"},
}
