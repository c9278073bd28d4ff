"""Warehouses the security sync keeps: the protocol, the factory, and Postgres behind them."""
