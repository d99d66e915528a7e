#!/usr/bin/env sh
# Web process: migrate, make sure the signing CA exists, collect static files, serve with gunicorn.
set -eu
python manage.py migrate --noinput
python manage.py pki_init --if-missing
python manage.py collectstatic --noinput >/dev/null
exec gunicorn likeness.wsgi:application --bind "0.0.0.0:${PORT:-8000}" --workers "${WEB_WORKERS:-4}" --timeout 600
