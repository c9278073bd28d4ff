"""The Python renderer does what kustomize does for the features deploy/ uses, and refuses
the rest; where a kubectl with kustomize v4+ is installed, both render the same objects."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, OVERLAYS
from tests.deploy.kustomize import Obj, UnsupportedError, render

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  template:
    spec:
      containers:
        - name: web
          image: example.org/web:1.0
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
        - name: side
          image: example.org/side:2.0
"""


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    return directory


def _container(objects: list[Obj], index: int = 0) -> Obj:
    container: Obj = objects[0]["spec"]["template"]["spec"]["containers"][index]
    return container


@pytest.mark.parametrize("field", ["namespace", "namePrefix", "configMapGenerator", "replacements"])
def test_an_unimplemented_field_is_refused(tmp_path: Path, field: str) -> None:
    _write(
        tmp_path, {"kustomization.yaml": f"resources: [d.yaml]\n{field}: x\n", "d.yaml": DEPLOYMENT}
    )
    with pytest.raises(UnsupportedError, match=field):
        render(tmp_path)


def test_a_patch_merges_lists_by_their_keys(tmp_path: Path) -> None:
    patch = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  template:
    spec:
      containers:
        - name: web
          env: [{name: B, value: "3"}, {name: C, value: "4"}]
"""
    _write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [d.yaml]\npatches: [{path: p.yaml}]\n",
            "d.yaml": DEPLOYMENT,
            "p.yaml": patch,
        },
    )
    objects = render(tmp_path)
    assert _container(objects)["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
        {"name": "C", "value": "4"},
    ]
    assert _container(objects, 1) == {"name": "side", "image": "example.org/side:2.0"}


def test_a_delete_patch_removes_the_object_and_a_miss_is_an_error(tmp_path: Path) -> None:
    delete = "$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ns}\n"
    _write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [d.yaml]\npatches: [{path: p.yaml}]\n",
            "d.yaml": DEPLOYMENT,
            "p.yaml": delete,
        },
    )
    assert render(tmp_path) == []
    (tmp_path / "p.yaml").write_text(delete.replace("name: web", "name: nope"))
    with pytest.raises(ValueError, match="matches 0 objects"):
        render(tmp_path)


def test_images_and_labels_of_a_base_apply_below_its_overlay(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [d.yaml]\nlabels: [{pairs: {team: data}}]\n",
            "base/d.yaml": DEPLOYMENT,
            "kustomization.yaml": (
                "resources: [base]\nimages:\n"
                "  - {name: example.org/web, newName: registry.example:5000/web, newTag: '2.1'}\n"
                "  - {name: example.org/side, digest: 'sha256:" + "b" * 64 + "'}\n"
            ),
        },
    )
    objects = render(tmp_path)
    assert objects[0]["metadata"]["labels"] == {"team": "data"}
    assert _container(objects)["image"] == "registry.example:5000/web:2.1"
    assert _container(objects, 1)["image"] == "example.org/side@sha256:" + "b" * 64
    assert "labels" not in objects[0]["spec"]["template"].get("metadata", {})


def _kustomize_version(kubectl: str) -> tuple[int, ...]:
    output = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True).stdout
    found = re.search(r"Kustomize Version: v(\d+)\.(\d+)", output)
    return tuple(int(n) for n in found.groups()) if found else ()


KUBECTL = shutil.which("kubectl")
# Debian's kubectl (1.20, kustomize v2) predates `labels` and `patches`: the comparison needs
# v4 or newer, and is only defined where such a kubectl is installed (the renderer alone is
# what make test relies on; it was compared with kubectl v1.32's kustomize v5.5 when written).
if KUBECTL and _kustomize_version(KUBECTL) >= (4,):

    @pytest.mark.parametrize("overlay", OVERLAYS)
    def test_the_renderer_agrees_with_kubectl_kustomize(
        rendered: dict[str, list[Obj]], overlay: str
    ) -> None:
        assert KUBECTL
        printed = subprocess.run(
            [KUBECTL, "kustomize", str(DEPLOY / "overlays" / overlay)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        theirs = list(yaml.safe_load_all(printed))

        def key(obj: Obj) -> tuple[str, str]:
            return obj["kind"], obj["metadata"]["name"]

        assert sorted(rendered[overlay], key=key) == sorted(theirs, key=key)
