"""``ebr demo``: one whole batch driven through the public HTTP API, as several people would.

With ``--with-deviation`` the batch goes wrong on the way and is still released: an operator
enters a value out of its limits (with the comment it needs), which opens a deviation; the
supervisor investigates it, QA classifies it and accepts it with a signature, the batch is
completed, every exception of its review is marked reviewed, and a QA who performed and verified
no step releases it with a signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ebr.seed import DEMO_USERS

PERFORMER = {"operator": "olga", "supervisor": "sam", "qa": "quinn"}
# Reviews and releases: QA who performs and verifies no step (segregation of duties).
RELEASER = "rita"
# A verifier differs from the performer and holds the step's role, supervisor or qa.
VERIFIER = {"olga": "sam", "omar": "sam", "sam": "quinn", "quinn": "sam"}
STATION = "demo-terminal"
PASSWORDS = {user.user_id: user.password for user in DEMO_USERS}


class DemoError(RuntimeError):
    """The API refused something the demo expected to work."""


@dataclass
class Session:
    client: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)

    def call(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self._token(user)}", "X-EBR-Station": STATION}
        answer = self.client.request(method, path, headers=headers, **kwargs)
        if answer.status_code >= 400:
            raise DemoError(f"{method} {path} as {user}: {answer.status_code} {answer.text}")
        return answer.json()

    def _token(self, user: str) -> str:
        """Sign in on first use, so a demo needs only the demo users it acts as."""
        if user not in self.tokens:
            answer = self.client.post(
                "/api/auth/token", data={"username": user, "password": PASSWORDS[user]}
            )
            if answer.status_code != 200:
                raise DemoError(
                    f"signing in as {user} failed: {answer.text} (was the store seeded with "
                    "the demo users? `ebr up` seeds a new store; README lists them)"
                )
            self.tokens[user] = answer.json()["access_token"]
        return self.tokens[user]


def run_demo(
    base_url: str,
    recipe_code: str,
    recipe_version: int,
    console: Console,
    *,
    with_deviation: bool = False,
) -> str:
    """Start a batch and complete every step; return the batch id. ``with_deviation``: one value
    goes out of its limits on the way, and the batch is taken through its deviation, its review
    and its release."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        session = Session(client=client)
        recipe = session.call("sam", "GET", f"/api/recipes/{recipe_code}/{recipe_version}")
        batch_number = f"DEMO-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        size = recipe["recipe"]["batch_size"]
        batch = session.call(
            "sam",
            "POST",
            "/api/batches",
            json={
                "recipe_code": recipe_code,
                "recipe_version": recipe_version,
                "batch_number": batch_number,
                "planned_quantity": size,
            },
        )
        console.print(
            f"started batch [bold]{batch['batch_id']}[/] of {recipe_code} "
            f"v{recipe_version} ({recipe['name']}) as sam"
        )
        target = _out_of_limit_target(batch["steps"]) if with_deviation else None
        if with_deviation and target is None:
            raise DemoError(f"{recipe_code} has no number with limits to take out of them")
        _execute(session, batch, console, target)
        if target is not None:
            _review_and_release(session, batch["batch_id"], console)
        final = session.call("quinn", "GET", f"/api/batches/{batch['batch_id']}")
        console.print(
            f"batch [bold]{final['batch_id']}[/]: {final['status']}, "
            f"{final['steps_done']}/{final['steps_total']} steps done"
        )
        return str(final["batch_id"])


@dataclass(frozen=True)
class _Target:
    """Where the demo's value goes out of limits: a step, one of its numbers, the value."""

    step_id: str
    name: str
    value: str
    unit: str
    limits: str


def _out_of_limit_target(steps: list[dict[str, Any]]) -> _Target | None:
    """The first number with an upper limit in an operator's step, a non-critical one if any
    (a critical one would also hold the batch until the deviation is classified)."""
    found = [
        (step, spec)
        for step in steps
        if step["role"] == "operator"
        for spec in step["inputs"]
        if spec["type"] == "number" and spec.get("max") is not None
    ]
    found.sort(key=lambda pair: bool(pair[1].get("critical")))
    if not found:
        return None
    step, spec = found[0]
    high = Decimal(spec["max"])
    span = high - Decimal(spec["min"]) if spec.get("min") is not None else abs(high) or Decimal(1)
    return _Target(
        step_id=step["step_id"],
        name=spec["name"],
        value=str(high + (span or Decimal(1))),
        unit=spec["unit"],
        limits=f"{spec.get('min', '-')} to {spec['max']} {spec['unit']}",
    )


def _execute(
    session: Session, batch: dict[str, Any], console: Console, target: _Target | None = None
) -> None:
    batch_id = batch["batch_id"]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("executing", total=len(batch["steps"]))
        raised: list[str] = []  # the deviations so far, for a step that summarises them
        for step in batch["steps"]:
            performer = PERFORMER[step["role"]]
            progress.update(task, description=f"{step['step_id']:<28} {performer}")
            values = _values(step["inputs"], raised)
            body: dict[str, Any] = {"signature": _signature(performer, "performed")}
            out = target is not None and step["step_id"] == target.step_id
            if out and target is not None:
                values[target.name] = target.value
                body["comment"] = "reading taken twice; value as read"
            session.call(
                performer,
                "POST",
                f"/api/batches/{batch_id}/steps/{step['step_id']}/complete",
                json={**body, "values": values},
            )
            if out and target is not None:
                progress.console.print(
                    f"{performer} recorded {target.name} = {target.value} {target.unit} at "
                    f"{target.step_id} (limits {target.limits}), signed with a comment"
                )
                raised.append(_handle_deviation(session, batch_id, target, progress.console))
            if step["verify"]:
                verifier = VERIFIER[performer]
                progress.update(task, description=f"{step['step_id']:<28} verified by {verifier}")
                session.call(
                    verifier,
                    "POST",
                    f"/api/batches/{batch_id}/steps/{step['step_id']}/verify",
                    json={"signature": _signature(verifier, "verified")},
                )
            progress.advance(task)


def _handle_deviation(session: Session, batch_id: str, target: _Target, console: Console) -> str:
    """The deviation the value opened: investigated, classified minor, accepted (signed).
    Returns the line the batch's deviations summary lists for it."""
    path = f"/api/batches/{batch_id}/deviations"
    opened = [d for d in session.call("sam", "GET", path) if d["step_id"] == target.step_id]
    if not opened:
        raise DemoError(f"no deviation was opened for {target.name} at {target.step_id}")
    dev = opened[-1]
    console.print(f"deviation [bold]{dev['id']}[/] opened by the rules: {dev['description']}")
    session.call(
        "sam",
        "POST",
        f"{path}/{dev['id']}/investigate",
        json={
            "root_cause": "balance not tared between containers",
            "impact": "none: the material is within the batch's overall tolerance",
            "affected_steps": [target.step_id],
        },
    )
    console.print("  sam (supervisor) investigated it: root cause and impact recorded")
    session.call(
        "quinn",
        "POST",
        f"{path}/{dev['id']}/classify",
        json={
            "classification": "minor",
            "reason": "no effect on product quality",
            "signature": _signature("quinn", "classified"),
        },
    )
    console.print("  quinn (QA) classified it minor (signed)")
    decided = session.call(
        "quinn",
        "POST",
        f"{path}/{dev['id']}/disposition",
        json={
            "decision": "accept",
            "reason": "within the overall tolerance; use as is",
            "capa_ref": "CAPA-DEMO-001",
            "signature": _signature("quinn", "approved"),
        },
    )
    console.print(
        f"  quinn (QA) accepted it, signed (record {decided['record']['record_id']}); "
        f"the deviation is {decided['deviation']['stage']}"
    )
    return f"{dev['id']} (minor, accepted): {target.name} out of limits at {target.step_id}"


def _review_and_release(session: Session, batch_id: str, console: Console) -> None:
    """Review by exception (every exception marked), then the signed release."""
    review = session.call(RELEASER, "GET", f"/api/batches/{batch_id}/review")
    console.print(f"review of {batch_id}: {review['message']}")
    for item in review["exceptions"]:
        if not item["reviewed"]:
            session.call(
                RELEASER,
                "POST",
                f"/api/batches/{batch_id}/review/{quote(item['id'], safe='')}",
                json={"comment": "reviewed in the demo"},
            )
        console.print(f"  {RELEASER} (QA) reviewed {item['kind']}: {item['summary']}")
    decided = session.call(
        RELEASER,
        "POST",
        f"/api/batches/{batch_id}/release",
        json={"signature": _signature(RELEASER, "released")},
    )
    console.print(
        f"{RELEASER} (QA, no step performed or verified) released the batch, signed "
        f"(record {decided['record']['record_id']})"
    )


def _signature(user_id: str, meaning: str) -> dict[str, str]:
    """Both signing components, as at the first signature of a session (21 CFR 11.200)."""
    return {"meaning": meaning, "user_id": user_id, "password": PASSWORDS[user_id]}


def _values(inputs: list[dict[str, Any]], raised: list[str] | None = None) -> dict[str, Any]:
    """In-specification values: the middle of each number's limits, the expected answer. An
    input about deviations states the ones ``raised`` so far, so the record agrees with itself."""
    values: dict[str, Any] = {}
    for spec in inputs:
        kind, name = spec["type"], spec["name"]
        about_deviations = "deviation" in name and bool(raised)
        if kind == "number":
            values[name] = _middle(spec.get("min"), spec.get("max"))
        elif kind == "check":
            values[name] = spec.get("expected") is not False
        elif kind == "choice":
            minor = "minor only" in spec["options"] and about_deviations
            values[name] = "minor only" if minor else spec["options"][0]
        elif about_deviations and raised:
            values[name] = "; ".join(raised)
        elif spec.get("required", True):
            values[name] = "as per SOP"
    return values


def _middle(low: str | None, high: str | None) -> str:
    if low is not None and high is not None:
        return str((Decimal(low) + Decimal(high)) / 2)
    return str(low if low is not None else high if high is not None else "1")
