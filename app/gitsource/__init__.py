"""Model sources: the git repository, its webhooks, and the ingest pipeline that follows it."""
