"""The security sync job: `python -m workers.security_sync --check|--plan|--apply [--force]`."""
