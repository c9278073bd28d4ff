"""The data ingestion worker: one batch of a datastore (`python -m workers.ingest DATASTORE`)."""
