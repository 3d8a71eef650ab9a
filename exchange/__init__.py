"""Excel import and export of customers (tenant app: its jobs live in each tenant's
schema). Files are read and written in Celery workers; the API only starts jobs."""
