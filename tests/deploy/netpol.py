"""Evaluates NetworkPolicies the way Kubernetes does, for the peers deploy/ names.

A pod selected by no policy of a direction is open in that direction; once selected, only
the union of the selecting policies' rules lets traffic through.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from tests.deploy.hardening import NAMESPACE
from tests.deploy.kustomize import Obj


@dataclass(frozen=True)
class Peer:
    """One end of a connection: a pod (with its namespace's labels) or an address outside."""

    pod_labels: dict[str, str] | None = None
    namespace: str = NAMESPACE
    ip: str | None = None
    namespace_labels: dict[str, str] = field(default_factory=dict)

    def namespace_matches(self, selector: dict[str, Any]) -> bool:
        labels = {"kubernetes.io/metadata.name": self.namespace, **self.namespace_labels}
        return _matches(selector, labels)


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if set(selector) - {"matchLabels"}:
        raise NotImplementedError(f"selector {selector}")
    wanted = selector.get("matchLabels", {})
    return all(labels.get(key) == value for key, value in wanted.items())


def _peer_matches(rule_peer: dict[str, Any], peer: Peer) -> bool:
    if "ipBlock" in rule_peer:
        if peer.ip is None:
            return False
        address = ipaddress.ip_address(peer.ip)
        block = rule_peer["ipBlock"]
        excluded = any(address in ipaddress.ip_network(e) for e in block.get("except", []))
        return address in ipaddress.ip_network(block["cidr"]) and not excluded
    if peer.pod_labels is None:
        return False
    if "namespaceSelector" in rule_peer:
        in_namespace = peer.namespace_matches(rule_peer["namespaceSelector"])
    else:
        in_namespace = peer.namespace == NAMESPACE
    return in_namespace and _matches(rule_peer.get("podSelector", {}), peer.pod_labels)


def _port_matches(ports: list[dict[str, Any]], port: int, protocol: str) -> bool:
    return not ports or any(
        p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in ports
    )


def _allows(
    objects: list[Obj], pod: dict[str, str], direction: str, peer: Peer, port: int, protocol: str
) -> bool:
    kind, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    selecting = [
        o["spec"]
        for o in objects
        if o["kind"] == "NetworkPolicy"
        and direction in o["spec"].get("policyTypes", [])
        and _matches(o["spec"]["podSelector"], pod)
    ]
    if not selecting:
        return True
    return any(
        (not rule.get(peers_key) or any(_peer_matches(p, peer) for p in rule[peers_key]))
        and _port_matches(rule.get("ports", []), port, protocol)
        for spec in selecting
        for rule in spec.get(kind, [])
    )


def may_connect(
    objects: list[Obj], source: dict[str, str], target: Peer, port: int, protocol: str = "TCP"
) -> bool:
    """Whether a pod of this namespace with labels `source` may open a connection to `target`
    (its egress, and the target's ingress when the target is a pod of this namespace)."""
    if not _allows(objects, source, "Egress", target, port, protocol):
        return False
    if target.pod_labels is None or target.namespace != NAMESPACE:
        return True
    return _allows(objects, target.pod_labels, "Ingress", Peer(pod_labels=source), port, protocol)


def may_accept(objects: list[Obj], target: dict[str, str], source: Peer, port: int) -> bool:
    """Whether a pod of this namespace with labels `target` accepts a connection from outside."""
    return _allows(objects, target, "Ingress", source, port, "TCP")
