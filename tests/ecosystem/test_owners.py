"""Owner entries as identities (`app/ecosystem/owners.py`): each form, and what is refused."""

from __future__ import annotations

import pytest

from app.ecosystem.owners import Owner, OwnerKind, OwnerSyntaxError, identities, parse_owner

USER, TEAM, GROUP, EMAIL = OwnerKind.USER, OwnerKind.TEAM, OwnerKind.GROUP, OwnerKind.EMAIL


@pytest.mark.parametrize(
    ("entry", "owner"),
    [
        ("github:alice", Owner("github", USER, "alice")),
        ("github:a-l1ce", Owner("github", USER, "a-l1ce")),
        ("github:@acme/risk-engineering", Owner("github", TEAM, "acme/risk-engineering")),
        ("github:@acme/data_platform", Owner("github", TEAM, "acme/data_platform")),
        ("gitlab:jo.doe_2", Owner("gitlab", USER, "jo.doe_2")),
        ("gitlab:@acme", Owner("gitlab", GROUP, "acme")),
        ("gitlab:@acme/eu/dpo-office", Owner("gitlab", GROUP, "acme/eu/dpo-office")),
        ("gitea:wei.ling", Owner("gitea", USER, "wei.ling")),
        ("gitea:@acme/ops", Owner("gitea", TEAM, "acme/ops")),
        (
            "email:jonas.weber+model@acme.example",
            Owner("email", EMAIL, "jonas.weber+model@acme.example"),
        ),
        ("email:a@mail.acme.co.uk", Owner("email", EMAIL, "a@mail.acme.co.uk")),
    ],
)
def test_each_identity_form_parses_into_a_typed_owner(entry: str, owner: Owner) -> None:
    assert parse_owner(entry) == owner
    assert str(owner) == entry  # written back as in the model


@pytest.mark.parametrize(
    "entry",
    ["risk-engineering", "maria.lopez", "Risk team (ask #risk)", "slack:#risk", "", "a@b.example"],
)
def test_free_text_is_not_an_identity(entry: str) -> None:
    assert parse_owner(entry) is None


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("github:", "'' is not a valid github user"),
        ("github:-alice", "not a valid github user"),
        ("github:alice-", "not a valid github user"),
        ("github:al--ice", "not a valid github user"),
        ("github:al.ice", "not a valid github user"),  # GitHub names have no dots
        ("github:@acme", "or @<org>/<team>"),  # an organization is not a team
        ("github:@acme/risk/sub", "not a valid github"),  # GitHub teams do not nest
        ("github:alice bob", "not a valid github"),
        ("github:alice\n/ @mallory", "not a valid github"),  # no line can be smuggled in
        ("gitlab:@", "not a valid gitlab"),
        ("gitlab:@acme//eu", "not a valid gitlab"),
        ("gitlab:@acme/eu/", "not a valid gitlab"),
        ("gitlab:jo..doe", "not a valid gitlab"),
        ("gitea:@acme", "not a valid gitea"),
        ("email:jonas", "not a valid email address"),
        ("email:jonas@acme", "not a valid email address"),  # no dot in the domain
        ("email:a@b@acme.example", "not a valid email address"),
        ("email:a b@acme.example", "not a valid email address"),
        ("email:a#b@acme.example", "not a valid email address"),  # '#' starts a comment
        ("email:.a@acme.example", "not a valid email address"),
        ("email:a@-acme.example", "not a valid email address"),
        ("GitHub:alice", "the prefix 'GitHub' must be written 'github'"),
        ("github:" + "a" * 300, "at most 255 characters"),
    ],
)
def test_a_malformed_identity_is_refused_with_the_reason(entry: str, says: str) -> None:
    with pytest.raises(OwnerSyntaxError) as raised:
        parse_owner(entry)
    assert says in str(raised.value)


def test_gitlab_groups_nest_twenty_levels_at_most() -> None:
    assert parse_owner("gitlab:@" + "/".join(["g"] * 20)) is not None
    with pytest.raises(OwnerSyntaxError):
        parse_owner("gitlab:@" + "/".join(["g"] * 21))


def test_an_approver_matches_an_owner_ignoring_case() -> None:
    owner, approver = parse_owner("github:Alice"), parse_owner("github:alice")
    assert owner is not None and approver is not None
    assert owner.matches(approver)
    assert not owner.matches(Owner("gitlab", USER, "alice"))  # another forge's alice
    assert not owner.matches(Owner("github", TEAM, "alice/x"))


def test_identities_keep_order_drop_free_text_bad_entries_and_repeats() -> None:
    entries = ["ops team", "github:bob", "github:-bad", "email:a@b.example", "github:BOB"]
    assert [str(o) for o in identities(entries)] == ["github:bob", "email:a@b.example"]
