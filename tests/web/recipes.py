"""Recipe texts of the recipe page tests, and versions made ready over the JSON API, so a browser
test starts at the page it is about. Each test uses a recipe code of its own: the example recipes
are left as the other page tests expect them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.async_api import Locator, Page

from ebr.demo_recipes import approve_recipe
from ebr.store.db import session_scope
from ebr.store.recipe_versions import recipe_versions
from tests.web.pages import password_of
from tests.web.site import Site

SPEED_STEP = """\
          - id: mix
            name: Mix
            kind: record
            instructions: {mix}
            inputs:
              - name: speed
                label: Mixer speed
                type: choice
                options: [low, high]
"""


def new_code() -> str:
    """A recipe code no other test uses."""
    return f"WEB-{uuid.uuid4().hex[:8].upper()}"


def blend(code: str, version: int = 1, *, mix: str = "Mix for 10 minutes.", extra: str = "") -> str:
    """A two-step blend with one critical number (``extra``: more steps after the mix)."""
    return f"""\
code: {code}
version: {version}
name: Page test blend
product:
  code: WEB-BLEND
  name: Blend for the page tests
batch_size:
  value: "20"
  unit: kg
procedure:
  - id: making
    name: Making
    operations:
      - id: blend
        name: Blending
        steps:
          - id: charge
            name: Charge the blender
            kind: record
            instructions: Charge 20 kg of powder.
            inputs:
              - name: mass
                label: Mass charged
                type: number
                unit: kg
                min: "19.9"
                max: "20.1"
                critical: true
{SPEED_STEP.format(mix=mix)}{extra}"""


def sample_step(role: str = "operator") -> str:
    """A third step, a check, performed by ``role``."""
    return f"""\
          - id: sample
            name: Take a sample
            kind: check
            role: {role}
            instructions: Take a 50 g sample for the laboratory.
            inputs:
              - name: taken
                label: Sample taken
                type: check
"""


def too_slow_step() -> str:
    """A step to follow the mix within 20 minutes that lasts at least 30: its dry run finds it
    late already."""
    return """\
          - id: rest
            name: Let it rest
            kind: instruction
            instructions: Let the blend rest.
            min_duration_minutes: 30
            complete_within: {after: mix, minutes: 20}
"""


async def effective(site: Site, source: str) -> None:
    """The recipe ``source`` drafted, submitted, reviewed and approved by the demo users (ada,
    sam, quinn) over the API: effective now."""
    async with httpx.AsyncClient(base_url=site.base_url, timeout=120) as http:
        assert await approve_recipe(http, source)


async def submitted(
    site: Site, source: str, author: str = "ada", password: str | None = None
) -> dict[str, Any]:
    """The recipe ``source`` saved as a draft and submitted (the author's signature) over the
    API: in review. Returns the version as the API shows it."""
    password = password or password_of(author)
    async with httpx.AsyncClient(base_url=site.base_url, timeout=120) as http:
        token = await http.post("/api/auth/token", data={"username": author, "password": password})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        saved = await http.post(
            "/api/recipes",
            content=source.encode(),
            headers={**headers, "Content-Type": "application/yaml"},
        )
        assert saved.status_code == 201, saved.text
        version = saved.json()
        signature = {"meaning": "authored", "user_id": author, "password": password}
        sent = await http.post(
            f"/api/recipes/{version['code']}/{version['version']}/submit",
            json={"signature": signature},
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
        result: dict[str, Any] = sent.json()["version"]
        return result


def line_of(source: str, text: str) -> int:
    """The line (from 1) of the first line of ``source`` holding ``text``."""
    return next(n for n, line in enumerate(source.splitlines(), 1) if text in line)


def version_row(page: Page, code: str, version: int) -> Locator:
    """A version's row in the recipe library."""
    return page.locator(f"#v-{code}-{version}")


def versions_of(site: Site, code: str) -> list[int]:
    """The version numbers of ``code`` the store holds."""
    with session_scope(site.engine) as session:
        return [v.version for v in recipe_versions(session=session, code=code)]
