# The application image: the release step, web, worker and beat all run from it, with the
# Procfile's commands (compose.yaml). CI does not build it (docs/operations.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/var/lib/editorial \
    STATIC_ROOT=/app/static

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected into the image (hashed names, gzip copies), served by WhiteNoise. The
# settings need a SECRET_KEY to load; this one exists only during this step.
RUN SECRET_KEY=collectstatic-only VAR_DIR=/tmp/collectstatic python manage.py collectstatic --noinput \
    && rm -rf /tmp/collectstatic \
    && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent editorial \
    && mkdir -p "$VAR_DIR" \
    && chown editorial "$VAR_DIR"

USER editorial
EXPOSE 8000
# The Procfile's web; compose.yaml gives worker, beat and the release step their own commands.
CMD ["gunicorn", "config.wsgi", "--config", "python:config.gunicorn_conf"]
