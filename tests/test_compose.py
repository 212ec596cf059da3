"""docker-compose.yml agrees with what ebr reads: settings, addresses, search attributes, order.

No Docker engine runs in CI, so the compose file is parsed and checked here, not started. Each
check returns the problems it found; every check is also run on a deliberately broken copy of the
parsed file to show that it can fail.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from ebr import search_attributes
from ebr.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"

API, WORKER, MIGRATE = "ebr-api", "ebr-worker", "ebr-migrate"
RUNTIME = (API, WORKER)
TEMPORAL_FRONTEND_PORT = 7233
POSTGRES_PORT = 5432

Compose = dict[str, Any]
Service = dict[str, Any]
Check = Callable[[Compose], list[str]]

_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)
_REQUIRED_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]*\}")
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PWD")


# --- reading the file ----------------------------------------------------------------------------


def load_compose() -> Compose:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def expand(value: str) -> str:
    """Interpolate like compose: ``${X:-d}`` gives ``d``; a variable without default gives ``X``."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op = match.group("op") or ""
        if op.endswith("-"):
            return match.group("arg") or ""
        return str(name)

    return _VARIABLE.sub(substitute, value)


def services(compose: Compose) -> dict[str, Service]:
    found = compose.get("services")
    assert isinstance(found, dict), "no services"
    return found


def raw_env(service: Service) -> dict[str, str]:
    """The service's environment as written (before interpolation), list or mapping form."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (str(item).partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def env(service: Service) -> dict[str, str]:
    return {key: expand(value) for key, value in raw_env(service).items()}


def ebr_services(compose: Compose) -> dict[str, Service]:
    """Services that run the ebr image: built from the Dockerfile or named ``ebr:...``."""
    return {
        name: svc
        for name, svc in services(compose).items()
        if "build" in svc or str(svc.get("image", "")).partition(":")[0] == "ebr"
    }


def settings_env_names() -> set[str]:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return {prefix + name.upper() for name in Settings.model_fields}


def setting(service: Service, field: str) -> str:
    """The value the service gives a setting, or the Settings default when it sets none."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    value = env(service).get(prefix + field.upper())
    return str(Settings.model_fields[field].default) if value is None else value


def command_text(service: Service) -> str:
    parts: list[str] = []
    for key in ("entrypoint", "command"):
        value = service.get(key)
        if isinstance(value, list):
            parts.extend(str(item) for item in value)
        elif value is not None:
            parts.append(str(value))
    return "\n".join(parts)


def volume_mounts(service: Service) -> list[tuple[str, str]]:
    """(source, target) of each mount; source is empty for an anonymous volume."""
    mounts: list[tuple[str, str]] = []
    for item in service.get("volumes") or []:
        if isinstance(item, dict):
            mounts.append((str(item.get("source", "")), str(item.get("target", ""))))
        else:
            parts = str(item).split(":")
            mounts.append(("", parts[0]) if len(parts) == 1 else (parts[0], parts[1]))
    return mounts


def depends_on(service: Service) -> dict[str, str]:
    """Dependency name -> condition (``service_started`` for the short list form)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {str(name): "service_started" for name in deps}
    return {
        str(name): str((cond or {}).get("condition", "service_started"))
        for name, cond in deps.items()
    }


def port_mappings(service: Service) -> list[tuple[int | None, int]]:
    """(published, target) for each port entry, short or long syntax."""
    mappings: list[tuple[int | None, int]] = []
    for item in service.get("ports") or []:
        if isinstance(item, dict):
            published = item.get("published")
            mappings.append((None if published is None else int(published), int(item["target"])))
            continue
        parts = str(item).partition("/")[0].rsplit(":", 2)
        target = int(parts[-1])
        mappings.append((int(parts[-2]) if len(parts) >= 2 else None, target))
    return mappings


def temporal_service(compose: Compose) -> tuple[str, Service] | None:
    for name, svc in services(compose).items():
        image = str(svc.get("image", ""))
        if image.startswith(("temporalio/auto-setup:", "temporalio/server:")):
            return name, svc
    return None


def search_attribute_registrar(compose: Compose) -> tuple[str, Service] | None:
    for name, svc in services(compose).items():
        if "SEARCH_ATTRIBUTES" in raw_env(svc):
            return name, svc
    return None


# --- checks --------------------------------------------------------------------------------------


def check_ebr_env_is_settings(compose: Compose) -> list[str]:
    """Every EBR_* variable on an ebr service is a Settings field, and its value validates."""
    known = settings_env_names()
    problems: list[str] = []
    for name, svc in ebr_services(compose).items():
        values = {key: value for key, value in env(svc).items() if key.startswith("EBR_")}
        problems += [f"{name}: {key} is not a Settings field" for key in values if key not in known]
        fields = {key[4:].lower(): value for key, value in values.items() if key in known}
        try:
            Settings.model_validate(fields)
        except ValueError as exc:
            problems.append(f"{name}: settings do not validate: {exc}")
    return problems


def check_runtime_env(compose: Compose) -> list[str]:
    """API, worker and migrations exist; api and worker share database URL and Temporal address."""
    svcs = services(compose)
    missing = [name for name in (API, WORKER, MIGRATE) if name not in svcs]
    if missing:
        return [f"missing services: {missing}"]
    problems: list[str] = []
    for key in ("EBR_DATABASE_URL", "EBR_TEMPORAL_ADDRESS"):
        values = {name: env(svcs[name]).get(key) for name in RUNTIME}
        problems += [f"{name}: {key} is not set" for name, value in values.items() if not value]
        if len(set(values.values())) > 1:
            problems.append(f"{key} differs between services: {values}")
    if env(svcs[MIGRATE]).get("EBR_DATABASE_URL") != env(svcs[API]).get("EBR_DATABASE_URL"):
        problems.append("ebr-migrate upgrades a different database than the API uses")
    return problems


def check_database_url(compose: Compose) -> list[str]:
    """The database URL names an existing PostgreSQL service, its port, database, user, password."""
    svcs = services(compose)
    problems: list[str] = []
    for name, svc in ebr_services(compose).items():
        raw = raw_env(svc).get("EBR_DATABASE_URL")
        if raw is None:
            continue
        url = make_url(expand(raw))
        if not url.drivername.startswith("postgresql"):
            problems.append(f"{name}: database URL is not PostgreSQL: {url.drivername}")
        db = svcs.get(url.host or "")
        if db is None:
            problems.append(f"{name}: database host {url.host!r} is not a service")
            continue
        db_env = env(db)
        expected = {
            "port": (url.port or POSTGRES_PORT, int(db_env.get("PGPORT", POSTGRES_PORT))),
            "database": (url.database, db_env.get("POSTGRES_DB", db_env.get("POSTGRES_USER"))),
            "user": (url.username, db_env.get("POSTGRES_USER", "postgres")),
            "password": (url.password, db_env.get("POSTGRES_PASSWORD")),
        }
        problems += [
            f"{name}: database URL {what} {got!r} but {url.host} has {want!r}"
            for what, (got, want) in expected.items()
            if got != want
        ]
    return problems


def check_temporal_address(compose: Compose) -> list[str]:
    """Everything that talks to Temporal points at the Temporal service's frontend port."""
    found = temporal_service(compose)
    if found is None:
        return ["no Temporal server service (temporalio/auto-setup or temporalio/server)"]
    temporal_name, temporal = found
    port = int(env(temporal).get("FRONTEND_GRPC_PORT", TEMPORAL_FRONTEND_PORT))
    expected = f"{temporal_name}:{port}"
    problems: list[str] = []
    for name, svc in services(compose).items():
        for key in ("EBR_TEMPORAL_ADDRESS", "TEMPORAL_ADDRESS"):
            value = env(svc).get(key)
            if value is not None and value != expected:
                problems.append(f"{name}: {key}={value}, expected {expected}")
    return problems


def check_search_attributes(compose: Compose) -> list[str]:
    """A one-shot registers exactly ebr.search_attributes.ALL in the namespace ebr uses."""
    found = search_attribute_registrar(compose)
    if found is None:
        return ["no service registers search attributes (SEARCH_ATTRIBUTES)"]
    name, svc = found
    pairs = (item.partition("=") for item in env(svc)["SEARCH_ATTRIBUTES"].split())
    registered = {attr: kind for attr, _, kind in pairs}
    problems: list[str] = []
    if registered != search_attributes.ALL:
        problems.append(f"{name} registers {registered}, workflows use {search_attributes.ALL}")
    namespaces = {setting(s, "temporal_namespace") for s in ebr_services(compose).values()}
    if namespaces != {env(svc).get("NAMESPACE")}:
        problems.append(f"{name} registers in {env(svc).get('NAMESPACE')}, ebr uses {namespaces}")
    text = command_text(svc)
    if "search-attribute create" not in text or "SEARCH_ATTRIBUTES" not in text:
        problems.append(f"{name}: command does not create the SEARCH_ATTRIBUTES")
    return problems


def check_api_port(compose: Compose) -> list[str]:
    """The API listens on all interfaces, on the port it publishes."""
    api = services(compose)[API]
    port = int(setting(api, "api_port"))
    problems: list[str] = []
    if setting(api, "api_host") != "0.0.0.0":
        problems.append("ebr-api must set EBR_API_HOST=0.0.0.0 to be reachable from outside")
    if (port, port) not in port_mappings(api):
        problems.append(f"ebr-api listens on {port} but publishes {port_mappings(api)}")
    return problems


def check_images_pinned(compose: Compose) -> list[str]:
    """Every published image has an explicit tag or digest, never ``latest``."""
    problems: list[str] = []
    for name, svc in services(compose).items():
        if "build" in svc:
            continue
        image = expand(str(svc.get("image", "")))
        repo, _, tag = image.rpartition("/")[2].partition(":")
        if not image:
            problems.append(f"{name}: no image")
        elif "@sha256:" not in image and (not tag or tag == "latest"):
            problems.append(f"{name}: image {image!r} is not pinned to a tag")
    return problems


def check_worker_replicas(compose: Compose) -> list[str]:
    worker = services(compose)[WORKER]
    replicas = (worker.get("deploy") or {}).get("replicas", 1)
    problems = [] if int(replicas) >= 2 else [f"ebr-worker has {replicas} replica(s), want >= 2"]
    if "container_name" in worker:
        problems.append("ebr-worker sets container_name, which forbids more than one replica")
    return problems


def check_start_order(compose: Compose) -> list[str]:
    """API and worker start after migrations, a healthy Temporal and the search attributes."""
    svcs = services(compose)
    temporal = temporal_service(compose)
    registrar = search_attribute_registrar(compose)
    wanted = {MIGRATE: "service_completed_successfully"}
    if temporal is not None:
        wanted[temporal[0]] = "service_healthy"
    if registrar is not None:
        wanted[registrar[0]] = "service_completed_successfully"
    problems: list[str] = []
    for name in RUNTIME:
        deps = depends_on(svcs[name])
        problems += [
            f"{name} does not wait for {dep} ({cond})"
            for dep, cond in wanted.items()
            if deps.get(dep) != cond
        ]
    for name, svc in svcs.items():
        for dep, cond in depends_on(svc).items():
            check = (svcs.get(dep) or {}).get("healthcheck") or {}
            if cond == "service_healthy" and (not check.get("test") or check.get("disable")):
                problems.append(f"{name} waits for {dep} to be healthy but it has no healthcheck")
    return problems


def check_references(compose: Compose) -> list[str]:
    """Dependencies, named volumes, bind-mounted files and Temporal's config file all exist."""
    svcs = services(compose)
    declared = set((compose.get("volumes") or {}).keys())
    problems: list[str] = []
    for name, svc in svcs.items():
        problems += [
            f"{name} depends on unknown {dep}" for dep in depends_on(svc) if dep not in svcs
        ]
        for source, _target in volume_mounts(svc):
            if source.startswith((".", "/", "~")):
                if source.startswith(".") and not (ROOT / source).exists():
                    problems.append(f"{name} mounts missing file {source}")
            elif source and source not in declared:
                problems.append(f"{name} uses undeclared volume {source}")
        config = env(svc).get("DYNAMIC_CONFIG_FILE_PATH")
        targets = {target for _source, target in volume_mounts(svc)}
        if config and f"/etc/temporal/{config}" not in targets:
            problems.append(f"{name}: DYNAMIC_CONFIG_FILE_PATH {config} is not mounted")
    return problems


def check_data_dir_persisted(compose: Compose) -> list[str]:
    """EBR_DATA_DIR (where keys live) is a mounted volume on every ebr service, and the SAME
    volume on all of them: the site CA in it certifies the keys the API opens and the workers
    check, so two data directories would mean two CAs and every signature refused."""
    problems: list[str] = []
    sources: dict[str, str] = {}
    for name, svc in ebr_services(compose).items():
        data_dir = env(svc).get("EBR_DATA_DIR")
        if not data_dir:
            problems.append(f"{name}: EBR_DATA_DIR is not set")
        elif data_dir not in {target for _source, target in volume_mounts(svc)}:
            problems.append(f"{name}: EBR_DATA_DIR {data_dir} is not on a volume")
        else:
            sources[name] = next(src for src, dst in volume_mounts(svc) if dst == data_dir)
    if len(set(sources.values())) > 1:
        problems.append(f"ebr services keep EBR_DATA_DIR on different volumes: {sources}")
    return problems


def check_no_default_secrets(compose: Compose) -> list[str]:
    """Secrets and passwords come from the environment, required, with no default written here."""
    problems: list[str] = []
    for name, svc in services(compose).items():
        for key, value in raw_env(svc).items():
            if _SECRET_NAME.search(key) and not _REQUIRED_VARIABLE.fullmatch(value):
                problems.append(f"{name}: {key} must be ${{VAR:?message}}, not {value!r}")
        url = raw_env(svc).get("EBR_DATABASE_URL")
        password = re.search(r"://[^:/@]+:(.*)@", url or "")
        if url is not None and not (password and _REQUIRED_VARIABLE.fullmatch(password.group(1))):
            problems.append(f"{name}: EBR_DATABASE_URL must take its password from ${{VAR:?...}}")
    if "EBR_JWT_SECRET" not in raw_env(services(compose).get(API, {})):
        problems.append("ebr-api does not get EBR_JWT_SECRET")
    return problems


CHECKS: list[Check] = [
    check_ebr_env_is_settings,
    check_runtime_env,
    check_database_url,
    check_temporal_address,
    check_search_attributes,
    check_api_port,
    check_images_pinned,
    check_worker_replicas,
    check_start_order,
    check_references,
    check_data_dir_persisted,
    check_no_default_secrets,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_compose_file(check: Check) -> None:
    assert check(load_compose()) == []


# --- each check can fail -------------------------------------------------------------------------


def _set_env(service: str, key: str, value: str | None) -> Callable[[Compose], None]:
    def mutate(compose: Compose) -> None:
        environment = services(compose)[service]["environment"]
        if value is None:
            del environment[key]
        else:
            environment[key] = value

    return mutate


def _set(service: str, path: tuple[str, ...], value: Any) -> Callable[[Compose], None]:
    def mutate(compose: Compose) -> None:
        node = services(compose)[service]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _drop_dependency(service: str, dependency: str) -> Callable[[Compose], None]:
    def mutate(compose: Compose) -> None:
        services(compose)[service]["depends_on"] = {
            dep: cond
            for dep, cond in services(compose)[service]["depends_on"].items()
            if dep != dependency
        }

    return mutate


BROKEN: list[tuple[Check, Callable[[Compose], None], str]] = [
    (check_ebr_env_is_settings, _set_env(WORKER, "EBR_DATABSE_URL", "x"), "misspelt setting"),
    (check_ebr_env_is_settings, _set_env(API, "EBR_API_PORT", "eighty"), "setting bad type"),
    (check_runtime_env, _set_env(WORKER, "EBR_TEMPORAL_ADDRESS", None), "worker no temporal"),
    (check_database_url, _set("postgresql", ("environment", "POSTGRES_DB"), "records"), "db name"),
    (check_database_url, _set("postgresql", ("environment", "POSTGRES_USER"), "pg"), "db user"),
    (check_temporal_address, _set_env(WORKER, "EBR_TEMPORAL_ADDRESS", "temporal:7234"), "port"),
    (check_temporal_address, _set_env(API, "EBR_TEMPORAL_ADDRESS", "localhost:7233"), "host"),
    (
        check_search_attributes,
        _set("temporal-admin-tools", ("environment", "SEARCH_ATTRIBUTES"), "EbrBatchStatus=Text"),
        "search attributes",
    ),
    (check_api_port, _set_env(API, "EBR_API_PORT", "9000"), "api port"),
    (check_api_port, _set_env(API, "EBR_API_HOST", None), "api host"),
    (check_images_pinned, _set("temporal-ui", ("image",), "temporalio/ui:latest"), "latest"),
    (check_images_pinned, _set("postgresql", ("image",), "postgres"), "no tag"),
    (check_worker_replicas, _set(WORKER, ("deploy", "replicas"), 1), "one worker"),
    (check_start_order, _drop_dependency(WORKER, MIGRATE), "worker before migrate"),
    (check_start_order, _set("temporal", ("healthcheck",), {"disable": True}), "no healthcheck"),
    (check_references, _set(WORKER, ("volumes",), ["ebr-dta:/var/lib/ebr"]), "volume typo"),
    (check_references, _set(API, ("depends_on",), {"temporall": {}}), "unknown service"),
    (check_data_dir_persisted, _set_env(WORKER, "EBR_DATA_DIR", "/srv/ebr"), "data dir"),
    (
        check_data_dir_persisted,
        _set(WORKER, ("volumes",), ["ebr-worker-data:/var/lib/ebr"]),
        "worker has its own data dir (a second CA)",
    ),
    (check_no_default_secrets, _set_env(API, "EBR_JWT_SECRET", "${S:-changeme}"), "default"),
]


@pytest.mark.parametrize(
    ("check", "mutate"),
    [(check, mutate) for check, mutate, _ in BROKEN],
    ids=[f"{check.__name__}-{label}" for check, _, label in BROKEN],
)
def test_check_catches_broken_compose(check: Check, mutate: Callable[[Compose], None]) -> None:
    compose = copy.deepcopy(load_compose())
    assert check(compose) == []
    mutate(compose)
    assert check(compose) != []


def test_every_check_has_a_broken_case() -> None:
    assert {check for check, _, _ in BROKEN} == set(CHECKS)


def test_expand_follows_compose_interpolation() -> None:
    assert expand("${A:-x}/${B-y}/${C:?set C}/$D/$$E") == "x/y/C/D/$E"
