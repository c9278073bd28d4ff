"""Events: OpenLineage run events checked against the spec."""
