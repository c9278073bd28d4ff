"""Data ingestion: a datastore's declared source fills its raw tables in the warehouse, in batches."""
