# Same steps as `make run`: install, migrate, serve. (No Docker engine runs on the build machine; these steps
# are exercised by `make run` and CI, not by `docker build`.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    JIEFEN_VAR_DIR=/var/lib/jiefen
WORKDIR /srv/jiefen

COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install -e . && useradd --system --home /var/lib/jiefen --create-home jiefen

USER jiefen
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz').status == 200 else 1)"

# Production: set JIEFEN_ENV=production, JIEFEN_DATABASE_URL (PostgreSQL), JIEFEN_ENCRYPTION_KEY and
# JIEFEN_BLIND_INDEX_KEY. Migrations are idempotent, so every replica may run them at start.
# Behind a TLS proxy, also set JIEFEN_FORWARDED_ALLOW_IPS to the proxy's address.
CMD ["sh", "-c", "jiefen db upgrade && exec jiefen serve --host 0.0.0.0 --port 8000"]
