import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")
application = get_wsgi_application()

# What loading the app made (modules, models, URL patterns: some 150,000 objects) lives as long as
# the worker. Frozen, it is left out of the collector's full passes, which otherwise stall one
# request now and then by up to a tenth of a second.
gc.freeze()
