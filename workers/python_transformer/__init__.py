"""The python transformer harness: `python -m workers.python_transformer MODULE`.

Authors import `TransformerContext` from here; `__main__` imports MODULE and runs its
`run(connection, context)` in one transaction, or its `main()`.
"""

from workers.python_transformer.context import TransformerContext

__all__ = ["TransformerContext"]
