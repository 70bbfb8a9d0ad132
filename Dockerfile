# Production image: gunicorn serving Quizsite, static files by whitenoise.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.lock .
# PyICU (username look-alike checks) builds against the system's ICU.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential pkg-config libicu-dev \
    && pip install --require-hashes -r requirements.lock \
    && apt-get purge -y --auto-remove build-essential pkg-config \
    && rm -rf /var/lib/apt/lists/*

COPY . .
RUN DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 --home /app quizsite \
    && chown -R quizsite /app
USER quizsite

EXPOSE 8000
CMD ["gunicorn", "quizsite.wsgi:application", "--config", "quizsite/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--no-control-socket", "--access-logfile", "-"]
