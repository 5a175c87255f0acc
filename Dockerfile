# Seedance Studio production image: one image, two processes (see README, Production).
#   web:    docker run -p 8000:8000 --env-file .env IMAGE             (gunicorn, gunicorn.conf.py)
#   poller: docker run --env-file .env IMAGE python manage.py poll_generations
#   once per release: docker run --env-file .env IMAGE python manage.py migrate --noinput

# --- build: the pinned dependencies in a virtualenv, and the static files compressed --------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
# Then drop what never runs here: pip, translation sources (.po; the compiled .mo stay) and
# botocore's descriptions of AWS services other than S3 and STS.
RUN pip install --no-compile -r /tmp/requirements.lock \
    && cd /opt/venv/lib/python3*/site-packages \
    && find . -name '__pycache__' -prune -exec rm -rf {} + \
    && find . -name '*.po' -delete \
    && find botocore/data -mindepth 1 -maxdepth 1 -type d ! -name s3 ! -name sts -exec rm -rf {} + \
    && rm -rf pip pip-*
WORKDIR /app
COPY manage.py gunicorn.conf.py ./
COPY studio ./studio
COPY templates ./templates
COPY static ./static
# collectstatic needs settings that import; these throwaway values never reach a running container.
RUN STUDIO_ENV=production SECRET_KEY=build-only ALLOWED_HOSTS=build \
    CHANJING_APP_ID=build CHANJING_SECRET_KEY=build \
    python manage.py collectstatic --noinput -v 0

# --- run: the virtualenv and the application, as an unprivileged user -----------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    STUDIO_ENV=production \
    MEDIA_ROOT=/data/media \
    PORT=8000
RUN useradd --create-home --uid 1000 studio \
    && mkdir -p /data/media && chown studio /data/media
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
# The default MEDIA_ROOT (/app/media) is the volume too, so a blank MEDIA_ROOT cannot miss it.
RUN ln -s /data/media /app/media
USER studio
EXPOSE 8000
VOLUME ["/data/media"]
# Plain HTTP to /healthz on $PORT: exempt from the HTTPS redirect and the host check.
# Poller containers have no web server: run them with --no-healthcheck (compose.yaml does).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["gunicorn", "studio.wsgi:application"]
