# Stage 1: the NHS.UK frontend assets, from the pinned npm package.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY scripts/copy_assets.py scripts/copy_assets.py
COPY lep/static lep/static
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 >/dev/null \
    && python3 scripts/copy_assets.py

# Stage 2: a slim Python runtime with gunicorn, running as a user without privileges.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LEP_CONFIG=production \
    FLASK_APP=wsgi:app \
    LEP_INSTANCE_PATH=/app/instance \
    PORT=8000
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY config.py wsgi.py ./
COPY migrations migrations
COPY lep lep
COPY --from=assets /build/lep/static lep/static
RUN useradd --create-home --uid 10001 lep && mkdir -p /app/instance && chown lep:lep /app/instance
USER lep
EXPOSE 8000
# Migrations first (idempotent) as the tables' owner (MIGRATION_DATABASE_URL), then the app role's
# grants (PostgreSQL: refused, and the container stops, if DATABASE_URL's role would own the
# tables; README "Database roles"), then the web server as DATABASE_URL's role.
CMD ["sh", "-c", "flask db upgrade && flask lep grant-app-role && exec gunicorn --workers ${WEB_CONCURRENCY:-2} --bind 0.0.0.0:${PORT} --access-logfile - wsgi:app"]
