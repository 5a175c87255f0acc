# Seedance Studio production image.
#   web:    docker run -p 8000:8000 --env-file .env IMAGE
#   poller: docker run --env-file .env IMAGE python manage.py poll_generations
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STUDIO_ENV=production \
    MEDIA_ROOT=/data/media

RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 studio \
    && mkdir -p /data/media && chown studio /data/media

WORKDIR /app
COPY pyproject.toml README.md ./
COPY studio ./studio
RUN pip install --no-cache-dir .
COPY . .
# collectstatic needs settings that import; these throwaway values never reach a running container.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build CHANJING_APP_ID=build CHANJING_SECRET_KEY=build \
    python manage.py collectstatic --noinput

USER studio
EXPOSE 8000
VOLUME ["/data/media"]
CMD ["gunicorn", "studio.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
