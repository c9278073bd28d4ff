"""Defines neither run(connection, context) nor main()."""

GREETING = "hello"
