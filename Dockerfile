# Production image: gunicorn serving Quizsite, static files by whitenoise.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock

COPY . .
RUN DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 --home /app quizsite \
    && chown -R quizsite /app
USER quizsite

EXPOSE 8000
CMD ["gunicorn", "quizsite.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--no-control-socket", "--access-logfile", "-"]
