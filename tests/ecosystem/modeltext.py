"""A minimal valid model as YAML text, for tests that break one thing at a time.

`BASE` maps file paths (relative to the model root) to their text. It has no problems at all:
one zone `USA` with teams `FrontOffice` (producer) and `Analytics` (consumer), the production
datastore `Customers`, and the production workspace `CustomerAnalytics` sinking it with the
transformer `MaskCustomers` writing `MaskedCustomers`. The zone denies `pc3` to its workspaces
and allows storage on `AWS:us-east-1`. The ecosystem declares the data platforms `YellowLive`
(live-only, minutes) and `YellowHistory` (forensic, hours).

`files(...)` returns BASE with files added, replaced or (given None) removed.
"""

from __future__ import annotations

from textwrap import dedent

ECOSYSTEM = """\
apiVersion: ecoplane.io/v1
kind: Ecosystem
metadata:
  name: Acme
spec:
  classifications: [pub, internal, pc1, pc3]
  vendors:
    - name: AWS
      cloud: aws
      locations:
        - name: us-east-1
          locations:
            - name: use1-az1
  platforms:
    - name: Yellow
      dataPlatforms:
        - {name: YellowLive, retention: live-only, latency: minutes}
        - {name: YellowHistory, retention: forensic, latency: hours}
  zones:
    - name: USA
      owners: ["github:@acme/usa-governance"]
"""

ZONE = """\
apiVersion: ecoplane.io/v1
kind: GovernanceZone
metadata:
  name: USA
spec:
  teams:
    - {name: FrontOffice, owners: ["github:alice"]}
    - {name: Analytics, owners: ["github:bob"]}
  policies:
    consumers: {denyClassifications: [pc3]}
    storage: {vendors: [AWS], locations: ["AWS:us-east-1"]}
"""

TEAMS = """\
apiVersion: ecoplane.io/v1
kind: Team
metadata: {name: FrontOffice, zone: USA}
spec: {}
---
apiVersion: ecoplane.io/v1
kind: Team
metadata: {name: Analytics, zone: USA}
spec: {}
"""

CUSTOMERS = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata:
  name: Customers
  zone: USA
  team: FrontOffice
spec:
  productionStatus: production
  ingestion:
    kind: sql-snapshot
    source: {host: crm.internal, port: 5432, database: crm}
    credential: crm_reader
    trigger: {cron: "*/5 * * * *"}
  datasets:
    - name: customers
      classification: [pc1]
      columns:
        - {name: id, type: bigint, primaryKey: true, nullable: false}
        - {name: email, type: varchar(255)}
        - {name: country, type: char(2)}
        - {name: balance, type: "decimal(18,4)"}
"""

ANALYTICS = """\
apiVersion: ecoplane.io/v1
kind: Workspace
metadata:
  name: CustomerAnalytics
  zone: USA
  team: Analytics
spec:
  productionStatus: production
  priority: high
  datasetGroups:
    - name: main
      platform: {name: YellowLive, status: provisioned}
      sinks:
        - {datastore: Customers, dataset: customers}
  transformer:
    name: MaskCustomers
    trigger: {cron: "0 * * * *"}
    code:
      container: {image: "ghcr.io/acme/mask:1.2", command: [python, -m, mask]}
    output:
      name: MaskedCustomers
      productionStatus: production
      datasets:
        - name: customers_masked
          classification: [pc1]
          columns:
            - {name: id, type: bigint, primaryKey: true}
            - {name: email_hash, type: char(64)}
"""

BASE: dict[str, str] = {
    "ecosystem.yaml": ECOSYSTEM,
    "zones/usa/zone.yaml": ZONE,
    "zones/usa/teams.yaml": TEAMS,
    "zones/usa/customers.yaml": CUSTOMERS,
    "zones/usa/analytics.yaml": ANALYTICS,
}


def files(extra: dict[str, str | None] | None = None) -> dict[str, str | bytes]:
    """BASE with the given files added or replaced (text is dedented) or, for None, removed."""
    result: dict[str, str | bytes] = dict(BASE)
    for path, text in (extra or {}).items():
        if text is None:
            result.pop(path, None)
        else:
            result[path] = dedent(text)
    return result
