"""The keeper of a Job's log tail: `python -m workers.log_tail LINES [--mask NAMES] -- COMMAND`."""
