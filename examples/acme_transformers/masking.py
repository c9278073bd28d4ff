"""mask_customers: customers with their email, phone and tax id replaced by sha256 hashes.

Hashes are hex sha256 of the UTF-8 value (emails lower-cased and trimmed first), so the same
person hashes alike in every run and every dataset: surveillance can link accounts that share
a tax id or email without ever seeing one. The output is replaced on every run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:  # the harness's context; not imported at run time
    from psycopg import Connection

    from workers.python_transformer import TransformerContext

HASH = "encode(sha256(convert_to({}, 'UTF8')), 'hex')"


def run(connection: Connection[Any], context: TransformerContext) -> None:
    """Replace customers_masked with the hashed customers of the workspace."""
    target = context.output("customers_masked")
    customers = context.input("Customers", "customers")
    hashed = {
        name: sql.SQL(HASH).format(expression)
        for name, expression in (
            ("email", sql.SQL("lower(btrim(email))")),
            ("phone", sql.Identifier("phone")),
            ("tax_id", sql.Identifier("tax_id")),
        )
    }
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DELETE FROM {}").format(target))
        cursor.execute(
            sql.SQL(
                "INSERT INTO {target} (customer_id, email_sha256, phone_sha256, tax_id_sha256,"
                " residence_country, customer_segment, is_active, masked_at)"
                " SELECT customer_id, {email}, {phone}, {tax_id}, residence_country,"
                " customer_segment, is_active, now() FROM {customers}"
            ).format(target=target, customers=customers, **hashed)
        )
