"""Swagger UI's Authorize button works: in headless Chromium, /docs is given an admin token
through the Authorize dialog, and "Try it out" → "Execute" of an admin operation answers 200
(without the token it answers 401: reads are closed here). The page after it is kept in
test-artifacts/docs-authorized.png."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import TokenEntry
from tests.api.devtools import opened
from tests.api.server import running_service

ROOT = Path(__file__).resolve().parents[2]
SECRET = "swagger-admin-token"

# each step waits (bounded) for what it clicks: Swagger UI renders asynchronously
STEPS = """
(async () => {
  const until = async (find, what) => {
    for (let i = 0; i < 400; i++) {
      const found = find();
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("Swagger UI shows no " + what);
  };
  const type = (input, value) => {  // as a person types: React hears the input event
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const cell = ".live-responses-table .response .response-col_status";
  const execute = async (block) => {
    const clear = block.querySelector("button.btn-clear");  // the answer before, if any
    if (clear) {
      clear.click();
      await until(() => !block.querySelector(cell), "cleared answer");
    }
    (await until(() => block.querySelector("button.execute"), "Execute button")).click();
    const status = await until(() => block.querySelector(cell), "response status");
    return status.textContent.trim();
  };
  const block = await until(() => document.querySelector("#operations-tokens-tokens"), "operation");
  block.querySelector(".opblock-summary-control").click();
  (await until(() => block.querySelector("button.try-out__btn"), "Try it out")).click();
  const anonymous = await execute(block);
  (await until(() => document.querySelector(".auth-wrapper button.authorize"), "Authorize")).click();
  const input = await until(() => document.querySelector(".modal-ux input"), "token field");
  type(input, TOKEN);
  (await until(() => document.querySelector(".modal-ux button.modal-btn.authorize"), "Authorize in the dialog")).click();
  (await until(() => document.querySelector(".modal-ux button.btn-done"), "Close")).click();
  const authorized = await execute(block);
  const curl = block.querySelector(".curl-command").textContent;
  const body = block.querySelector(".live-responses-table .response-col_description pre").textContent;
  return {anonymous, authorized, curl, body};
})()
"""


def test_authorize_then_execute_an_admin_operation(database_url: str, tmp_path: Path) -> None:
    entry = TokenEntry.of("swagger", SECRET, ["admin"]).model_dump()
    env = {
        "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "false",
        "ECOPLANE_DATA_DIR": str(tmp_path / "data"), "ECOPLANE_TOKENS": json.dumps([entry]),
        "ECOPLANE_SCHEDULER": "false",
    }  # fmt: skip
    with (
        running_service(env, tmp_path / "serve.log") as base,
        opened(f"{base}/docs", tmp_path / "profile") as page,
    ):
        found = page.evaluate(STEPS.replace("TOKEN", json.dumps(SECRET)))
        page.screenshot(ROOT / "test-artifacts" / "docs-authorized.png")
    assert found["anonymous"] == "401"  # the admin operation needs the token
    assert found["authorized"] == "200", found
    assert f"Authorization: Bearer {SECRET}" in found["curl"]
    assert json.loads(found["body"]) == {"items": [], "nextCursor": None}


# the same on any Postgres server: make test-pg leaves it to make test
pytestmark = pytest.mark.server_neutral
