# The production image: one image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/var/lib/qms

# WeasyPrint renders PDFs with Pango and embeds fonts subset by HarfBuzz (libharfbuzz-subset0: without it
# every PDF fails); DejaVu is the font of the pages and charts. Graphviz draws the process map.
# postgresql-client (15, as the compose file's server) is for `manage.py backup` and `restore`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-dejavu-core graphviz \
      postgresql-client \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 qms
WORKDIR /app
COPY . .
RUN pip install --upgrade pip && pip install --editable .
RUN DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost SITE_URL=http://localhost python manage.py collectstatic --noinput \
 && mkdir -p /var/lib/qms/media /var/lib/qms/archive && chown -R qms:qms /var/lib/qms

USER qms
EXPOSE 8000
CMD ["gunicorn", "qms.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120", "--max-requests", "2000", "--max-requests-jitter", "200", "--access-logfile", "-"]
