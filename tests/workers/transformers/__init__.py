"""Transformer modules the harness tests run as real child processes."""
