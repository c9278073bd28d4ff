"""Change checks between two model versions: kinds, paths, severities and who is reached."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.ecosystem.changes import RULES, Change, ChangeKind, Impact
from app.ecosystem.diff import ORDER, diff_models
from tests.ecosystem.diffbase import Doc, base, column, copied, dataset, load, sink, workspace
from tests.ecosystem.diffbase import transformer as transformer_doc

CUSTOMERS = "Datastore/Customers/datasets/customers"
Edit = Callable[[dict[str, Doc]], None]


def changes_after(edit: Edit, strict: bool = True) -> list[Change]:
    """The diff from the base model to the base model changed by edit."""
    old = load(base())
    documents = copied(base())
    edit(documents)
    return diff_models(old, load(documents, strict=strict))


def only(changes: list[Change], rule: str, path: str) -> Change:
    """The single change with this rule and path."""
    found = [c for c in changes if c.rule == rule and c.path == path]
    assert len(found) == 1, [c.as_line() for c in changes]
    return found[0]


def set_type(name: str, type_: str, table: str = "customers", store: str = "customers") -> Edit:
    def edit(documents: dict[str, Doc]) -> None:
        column(documents, store, table, name)["type"] = type_

    return edit


def remove_column(documents: dict[str, Doc], store: str, table: str, name: str) -> None:
    columns = dataset(documents, store, table)["columns"]
    columns[:] = [c for c in columns if c["name"] != name]


def remove_dataset(documents: dict[str, Doc], store: str, name: str) -> None:
    datasets = documents[store]["spec"]["datasets"]
    datasets[:] = [d for d in datasets if d["name"] != name]


# --- breaking changes -------------------------------------------------------------------------


def test_removing_a_sunk_datastore_is_breaking_for_every_sinking_workspace() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        del documents["customers"]

    changes = changes_after(edit, strict=False)
    change = only(changes, "datastore-removed", "Datastore/Customers")
    assert change.kind is ChangeKind.REMOVED
    assert change.severity is Impact.BREAKING
    assert change.affected == ("Marketing", "Orders", "Reporting")
    assert change.indirectly_affected == ("Downstream",)


def test_removing_a_sunk_dataset_is_breaking() -> None:
    changes = changes_after(lambda d: remove_dataset(d, "customers", "customers"), strict=False)
    change = only(changes, "dataset-removed", CUSTOMERS)
    assert change.kind is ChangeKind.REMOVED
    assert change.severity is Impact.BREAKING
    assert change.affected == ("Marketing", "Reporting")
    assert change.indirectly_affected == ("Downstream",)


def test_removing_a_sunk_column_is_breaking() -> None:
    changes = changes_after(
        lambda d: remove_column(d, "customers", "customers", "email"), strict=False
    )
    change = only(changes, "column-removed", f"{CUSTOMERS}/columns/email")
    assert change.kind is ChangeKind.REMOVED
    assert change.severity is Impact.BREAKING
    assert change.affected == ("Marketing", "Reporting")
    assert change.indirectly_affected == ("Downstream",)
    assert len(changes) == 1


def test_a_change_without_transformers_reaches_nobody_indirectly() -> None:
    changes = changes_after(lambda d: remove_column(d, "customers", "orders", "total"))
    change = only(changes, "column-removed", "Datastore/Customers/datasets/orders/columns/total")
    assert change.severity is Impact.BREAKING
    assert change.affected == ("Orders",)
    assert change.indirectly_affected == ()


@pytest.mark.parametrize(
    ("name", "old_type", "new_type", "affected"),
    [
        ("email", "varchar(20)", "varchar(10)", ("Marketing", "Reporting")),
        ("name", "varchar(10)", "varchar(5)", ("Reporting",)),
        ("score", "bigint", "integer", ("Reporting",)),
        ("age", "integer", "text", ("Reporting",)),
        ("age", "integer", "smallint", ("Reporting",)),
        ("created", "timestamp", "timestamptz", ("Reporting",)),
        ("amount", "decimal(10,2)", "decimal(10,3)", ("Reporting",)),
        ("note", "varchar(40)", "char(40)", ("Reporting",)),
        ("extra", "struct<a: integer>", "struct<b: integer>", ("Reporting",)),
        ("extra", "struct<a: integer>", "struct<a: smallint>", ("Reporting",)),
    ],
)
def test_narrowing_a_sunk_column_type_is_breaking(
    name: str, old_type: str, new_type: str, affected: tuple[str, ...]
) -> None:
    assert column(base(), "customers", "customers", name)["type"] == old_type
    changes = changes_after(set_type(name, new_type))
    change = only(changes, "column-type-narrowed", f"{CUSTOMERS}/columns/{name}")
    assert change.kind is ChangeKind.CHANGED
    assert change.severity is Impact.BREAKING
    assert change.affected == affected
    assert change.indirectly_affected == ("Downstream",)
    assert old_type in change.message
    assert new_type in change.message


def test_changing_a_sunk_primary_key_is_breaking() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        column(documents, "customers", "customers", "country")["primaryKey"] = True

    changes = changes_after(edit)
    change = only(changes, "primary-key-changed", CUSTOMERS)
    assert change.kind is ChangeKind.CHANGED
    assert change.severity is Impact.BREAKING
    assert change.affected == ("Marketing", "Reporting")
    assert change.indirectly_affected == ("Downstream",)
    assert "(id) → (id, country)" in change.message
    assert len(changes) == 1


def test_moving_the_primary_key_to_another_column_is_breaking() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        column(documents, "customers", "customers", "id")["primaryKey"] = False
        column(documents, "customers", "customers", "country")["primaryKey"] = True

    change = only(changes_after(edit), "primary-key-changed", CUSTOMERS)
    assert change.severity is Impact.BREAKING
    assert "(id) → (country)" in change.message


def test_making_a_sunk_not_null_column_nullable_is_breaking() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        column(documents, "customers", "customers", "country")["nullable"] = True

    changes = changes_after(edit)
    change = only(changes, "column-made-nullable", f"{CUSTOMERS}/columns/country")
    assert change.kind is ChangeKind.CHANGED
    assert change.severity is Impact.BREAKING
    assert change.affected == ("Reporting",)  # Marketing sinks only id and email
    assert change.indirectly_affected == ("Downstream",)


def test_indirect_reach_follows_every_transformer_hop() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        remove_column(documents, "customers", "customers", "email")

    documents = copied(base())
    further = [
        {
            "name": "further",
            "classification": ["pub"],
            "columns": [{"name": "id", "type": "bigint", "primaryKey": True}],
        }
    ]
    documents["downstream"] = workspace(
        "Downstream", [sink("Masked", "masked")], transformer_doc("Refine", "Further", further)
    )
    documents["far"] = workspace("Far", [sink("Further", "further")])
    old = load(documents)
    new_documents = copied(documents)
    edit(new_documents)
    change = only(
        diff_models(old, load(new_documents, strict=False)),
        "column-removed",
        f"{CUSTOMERS}/columns/email",
    )
    assert change.affected == ("Marketing", "Reporting")
    assert change.indirectly_affected == ("Downstream", "Far")


# --- safe changes -----------------------------------------------------------------------------


def test_adding_a_datastore_is_safe() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        extra = copied({"x": documents["unused"]})["x"]
        extra["metadata"]["name"] = "Extra"
        documents["extra"] = extra

    changes = changes_after(edit)
    change = only(changes, "added", "Datastore/Extra")
    assert change.kind is ChangeKind.ADDED
    assert change.severity is Impact.SAFE
    assert len(changes) == 1


def test_adding_a_dataset_is_safe() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        documents["customers"]["spec"]["datasets"].append(
            {
                "name": "extra",
                "classification": ["pub"],
                "columns": [{"name": "id", "type": "bigint", "primaryKey": True}],
            }
        )

    changes = changes_after(edit)
    change = only(changes, "added", "Datastore/Customers/datasets/extra")
    assert (change.kind, change.severity) == (ChangeKind.ADDED, Impact.SAFE)
    assert len(changes) == 1


def test_adding_a_column_to_a_sunk_dataset_is_safe() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        dataset(documents, "customers", "customers")["columns"].append(
            {"name": "phone", "type": "varchar(20)"}
        )

    changes = changes_after(edit)
    change = only(changes, "added", f"{CUSTOMERS}/columns/phone")
    assert (change.kind, change.severity) == (ChangeKind.ADDED, Impact.SAFE)
    assert len(changes) == 1


@pytest.mark.parametrize(
    ("name", "old_type", "new_type"),
    [
        ("name", "varchar(10)", "varchar(20)"),
        ("age", "integer", "bigint"),
        ("amount", "decimal(10,2)", "decimal(12,2)"),
        ("note", "varchar(40)", "text"),
        ("country", "char(2)", "varchar(2)"),
        ("extra", "struct<a: integer>", "struct<a: integer, b: text>"),
        ("extra", "struct<a: integer>", "struct<a: bigint>"),
    ],
)
def test_widening_a_sunk_column_type_is_safe(name: str, old_type: str, new_type: str) -> None:
    assert column(base(), "customers", "customers", name)["type"] == old_type
    changes = changes_after(set_type(name, new_type))
    change = only(changes, "column-type-widened", f"{CUSTOMERS}/columns/{name}")
    assert change.kind is ChangeKind.CHANGED
    assert change.severity is Impact.SAFE
    assert len(changes) == 1


def test_respelling_a_type_is_no_change() -> None:
    assert changes_after(set_type("email", "VARCHAR( 20 )")) == []


@pytest.mark.parametrize(
    ("edit", "rule", "path"),
    [
        (
            lambda d: d["customers"]["metadata"].__setitem__("description", "all customers"),
            "description-changed",
            "Datastore/Customers",
        ),
        (
            lambda d: d["customers"]["metadata"].__setitem__("labels", {"domain": "sales"}),
            "labels-changed",
            "Datastore/Customers",
        ),
        (
            lambda d: dataset(d, "customers", "customers").__setitem__("description", "people"),
            "description-changed",
            CUSTOMERS,
        ),
        (
            lambda d: column(d, "customers", "customers", "email").__setitem__(
                "description", "mail"
            ),
            "description-changed",
            f"{CUSTOMERS}/columns/email",
        ),
    ],
)
def test_descriptions_and_labels_are_safe(edit: Edit, rule: str, path: str) -> None:
    changes = changes_after(edit)
    change = only(changes, rule, path)
    assert (change.kind, change.severity) == (ChangeKind.CHANGED, Impact.SAFE)
    assert len(changes) == 1


# --- who is reached -----------------------------------------------------------------------------


def test_removing_an_unsunk_datastore_is_a_warning() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        del documents["unused"]

    change = only(changes_after(edit), "datastore-removed", "Datastore/Unused")
    assert change.severity is Impact.WARNING
    assert change.affected == ()
    assert change.indirectly_affected == ()


def test_removing_an_unsunk_dataset_is_a_warning() -> None:
    changes = changes_after(lambda d: remove_dataset(d, "unused", "stuff"))
    change = only(changes, "dataset-removed", "Datastore/Unused/datasets/stuff")
    assert (change.severity, change.affected) == (Impact.WARNING, ())


def test_removing_an_unsunk_column_is_a_warning() -> None:
    changes = changes_after(lambda d: remove_column(d, "unused", "things", "note"))
    change = only(changes, "column-removed", "Datastore/Unused/datasets/things/columns/note")
    assert (change.severity, change.affected) == (Impact.WARNING, ())


def test_narrowing_an_unsunk_column_is_a_warning() -> None:
    changes = changes_after(set_type("note", "varchar(5)", table="things", store="unused"))
    change = only(changes, "column-type-narrowed", "Datastore/Unused/datasets/things/columns/note")
    assert (change.severity, change.affected) == (Impact.WARNING, ())


def test_making_an_unsunk_column_nullable_is_safe() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        column(documents, "unused", "things", "size")["nullable"] = True

    change = only(
        changes_after(edit), "column-made-nullable", "Datastore/Unused/datasets/things/columns/size"
    )
    assert (change.severity, change.affected) == (Impact.SAFE, ())


def test_a_column_outside_a_sinks_subset_does_not_reach_that_workspace() -> None:
    changes = changes_after(lambda d: remove_column(d, "customers", "customers", "name"))
    change = only(changes, "column-removed", f"{CUSTOMERS}/columns/name")
    assert "Marketing" not in change.affected  # Marketing sinks only id and email
    assert change.affected == ("Reporting",)


def test_a_column_outside_every_sinks_subset_is_not_breaking() -> None:
    documents = copied(base())
    documents["reporting"]["spec"]["datasetGroups"][0]["sinks"] = [
        sink("Customers", "customers", ["id", "age"])
    ]
    new_documents = copied(documents)
    remove_column(new_documents, "customers", "customers", "name")
    changes = diff_models(load(documents), load(new_documents))
    change = only(changes, "column-removed", f"{CUSTOMERS}/columns/name")
    assert change.severity is Impact.WARNING
    assert change.affected == ()
    assert change.indirectly_affected == ()


def test_subsets_of_several_sinks_of_one_workspace_are_merged() -> None:
    documents = copied(base())
    groups = documents["marketing"]["spec"]["datasetGroups"]
    groups.append(
        {
            "name": "more",
            "platform": {"name": "YellowLive"},
            "sinks": [sink("Customers", "customers", ["name"])],
        }
    )
    new_documents = copied(documents)
    remove_column(new_documents, "customers", "customers", "name")
    change = only(
        diff_models(load(documents), load(new_documents, strict=False)),
        "column-removed",
        f"{CUSTOMERS}/columns/name",
    )
    assert change.affected == ("Marketing", "Reporting")


def test_a_workspace_dropping_its_sink_in_the_same_version_is_not_affected() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        remove_column(documents, "customers", "customers", "email")
        documents["reporting"]["spec"]["datasetGroups"][0]["sinks"] = [sink("Customers", "orders")]

    changes = changes_after(edit, strict=False)
    change = only(changes, "column-removed", f"{CUSTOMERS}/columns/email")
    assert change.severity is Impact.BREAKING  # Marketing still sinks email
    assert change.affected == ("Marketing",)
    assert change.indirectly_affected == ()  # Reporting's transformer no longer reads it


def test_a_workspace_narrowing_its_sink_past_the_removed_column_is_not_affected() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        remove_column(documents, "customers", "customers", "email")
        documents["marketing"]["spec"]["datasetGroups"][0]["sinks"] = [
            sink("Customers", "customers", ["id"])  # it read id and email: adapted
        ]

    change = only(changes_after(edit, strict=False), "column-removed", f"{CUSTOMERS}/columns/email")
    assert change.affected == ("Reporting",)  # Reporting still reads every column


def test_a_sink_widened_to_every_column_is_affected_only_by_what_it_read_before() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        remove_column(documents, "customers", "customers", "name")
        documents["marketing"]["spec"]["datasetGroups"][0]["sinks"] = [
            sink("Customers", "customers")  # it read id and email, never name
        ]

    change = only(changes_after(edit, strict=False), "column-removed", f"{CUSTOMERS}/columns/name")
    assert change.affected == ("Reporting",)


def test_a_removal_whose_only_reader_leaves_is_a_warning() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        remove_dataset(documents, "customers", "orders")
        del documents["orders"]

    changes = changes_after(edit)
    change = only(changes, "dataset-removed", "Datastore/Customers/datasets/orders")
    assert (change.severity, change.affected) == (Impact.WARNING, ())
    removed = only(changes, "workspace-removed", "Workspace/Orders")
    assert removed.kind is ChangeKind.REMOVED


# --- the list as a whole ----------------------------------------------------------------------


def test_an_unchanged_model_has_no_changes() -> None:
    model = load(base())
    assert diff_models(model, model) == []
    assert diff_models(load(base()), load(base())) == []


def test_breaking_changes_sort_first() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        documents["customers"]["metadata"]["description"] = "changed"  # safe
        del documents["unused"]  # warning
        column(documents, "customers", "orders", "total")["type"] = "decimal(5,2)"  # breaking
        column(documents, "customers", "customers", "age")["type"] = "smallint"  # breaking
        column(documents, "customers", "customers", "name")["type"] = "text"  # safe

    changes = changes_after(edit)
    severities = [c.severity for c in changes]
    assert severities == [
        Impact.BREAKING,
        Impact.BREAKING,
        Impact.WARNING,
        Impact.SAFE,
        Impact.SAFE,
    ]
    assert [ORDER[s] for s in severities] == sorted(ORDER[s] for s in severities)
    breaking_paths = [c.path for c in changes if c.severity is Impact.BREAKING]
    assert breaking_paths == sorted(breaking_paths)


def test_every_emitted_rule_is_in_the_rules_table() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        del documents["unused"]
        remove_column(documents, "customers", "customers", "email")
        column(documents, "customers", "customers", "country")["nullable"] = True

    for change in changes_after(edit, strict=False):
        assert change.rule in RULES
        sunk, unsunk = RULES[change.rule]
        assert change.severity is (sunk if change.affected else unsunk)


def test_change_as_dict_has_the_json_shape() -> None:
    change = only(
        changes_after(lambda d: remove_column(d, "customers", "customers", "email"), strict=False),
        "column-removed",
        f"{CUSTOMERS}/columns/email",
    )
    shape = change.as_dict()
    assert set(shape) == {
        "kind",
        "path",
        "rule",
        "severity",
        "message",
        "affectedWorkspaces",
        "indirectlyAffectedWorkspaces",
    }
    assert shape["kind"] == "removed"
    assert shape["severity"] == "breaking"
    assert shape["rule"] == "column-removed"
    assert shape["path"] == f"{CUSTOMERS}/columns/email"
    assert shape["affectedWorkspaces"] == ["Marketing", "Reporting"]
    assert shape["indirectlyAffectedWorkspaces"] == ["Downstream"]
    assert "email" in shape["message"]
    line = change.as_line()
    assert line.startswith("breaking removed ")
    assert "Marketing, Reporting" in line
    assert "Downstream" in line


def test_a_new_source_table_is_an_ingestion_change_of_the_dataset() -> None:
    def edit(documents: dict[str, Doc]) -> None:
        dataset(documents, "customers", "customers")["sourceTable"] = "crm_customers"

    change = only(changes_after(edit), "ingestion-changed", f"{CUSTOMERS}/sourceTable")
    assert change.kind is ChangeKind.CHANGED and change.severity is Impact.SAFE
