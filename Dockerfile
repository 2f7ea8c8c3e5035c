# syntax=docker/dockerfile:1
# LetsHangOut: one image for the web service, the one-off migrate task and the
# scheduled settle task (they differ only in the command). See docs/deploy.md.
#
# The build stage installs the pinned requirements into a virtual environment and
# runs the build steps (collectstatic, compilemessages); the runtime stage copies
# the results, without compilers, gettext or pip caches.
# To pin the base image by digest: --build-arg PYTHON_IMAGE=python:3.13-slim@sha256:...
ARG PYTHON_IMAGE=python:3.13-slim

# --- build -----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# gettext: msgfmt for compilemessages. Only in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
# Requirements first, so code changes do not reinstall them.
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

WORKDIR /app
COPY . .

# Build steps, with production settings and throwaway values that exist only
# during the build: nothing here talks to a database or DynamoDB.
#  - compilemessages: .mo files next to the .po files, when there are any.
#  - compilejsi18n (django-statici18n): the JavaScript catalogs (static/jsi18n/), made
#    from the .mo files, so after compilemessages and before collectstatic.
#  - collectstatic: hashed, compressed (gzip + brotli) files in staticfiles/,
#    served by whitenoise with far-future cache headers.
#  - compileall: bytecode now, since the root filesystem is read-only at run time.
RUN if find . -path ./staticfiles -prune -o -type d -name locale -print | grep -q .; then \
      DJANGO_ENV=production SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=localhost \
      EMAIL_HOST=localhost SITE_URL=https://localhost python manage.py compilemessages --ignore=staticfiles; \
    else echo "No locale directories: nothing to compile."; fi \
 && DJANGO_ENV=production \
    SECRET_KEY=build-only-not-a-secret \
    ALLOWED_HOSTS=localhost \
    EMAIL_HOST=localhost \
    SITE_URL=https://localhost \
    python manage.py compilejsi18n \
 && DJANGO_ENV=production \
    SECRET_KEY=build-only-not-a-secret \
    ALLOWED_HOSTS=localhost \
    EMAIL_HOST=localhost \
    SITE_URL=https://localhost \
    python manage.py collectstatic --noinput --verbosity 1 \
 && python -m compileall -q -j 0 /app

# --- runtime -----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="LetsHangOut" \
      org.opencontainers.image.description="Find a time and a place to meet, together."

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=letshangout.settings \
    DJANGO_ENV=production \
    PORT=8000 \
    TMPDIR=/tmp \
    HOME=/tmp

# A fixed, numeric, unprivileged user: the code is owned by root and read-only
# to it, and nothing is written at run time outside /tmp.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /tmp \
      --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app

USER 10001:10001
EXPOSE 8000

# Liveness only: /healthz answers before host checks and the HTTPS redirect and
# touches neither DynamoDB nor the database. python:3.13-slim has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

# gunicorn handles SIGTERM as a graceful stop (graceful_timeout in gunicorn.conf.py).
STOPSIGNAL SIGTERM
CMD ["gunicorn", "-c", "gunicorn.conf.py", "letshangout.wsgi:application"]
