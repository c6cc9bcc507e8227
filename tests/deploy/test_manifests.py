"""The Kubernetes manifests (deploy/k8s) and compose.yaml: rendered as Kustomize would and
validated offline against the Kubernetes schemas, with the properties operators rely on."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from govgraph.settings import settings_from_mapping

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
KUBERNETES = "1.33.0"
OVERLAYS = ["production", "demo"]

Resource = dict[str, Any]


def _key(resource: Resource) -> tuple[str, str]:
    return resource["kind"], resource["metadata"]["name"]


def _merge(base: Any, patch: Any) -> Any:
    """A strategic merge patch as Kustomize applies it to these files: maps merge key by
    key; lists of named items (containers, volumes, env) merge by name; other lists replace."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    named = (
        all(isinstance(i, dict) and "name" in i for i in [*base, *patch])
        if (isinstance(base, list) and isinstance(patch, list))
        else False
    )
    if named:
        out_list = [copy.deepcopy(i) for i in base]
        for item in patch:
            at = next((n for n, b in enumerate(out_list) if b["name"] == item["name"]), None)
            if at is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[at] = _merge(out_list[at], item)
        return out_list
    return copy.deepcopy(patch)


def _documents(path: Path) -> list[Resource]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def render(folder: Path) -> list[Resource]:
    """The resources of the kustomization in ``folder`` (resources, patches, images,
    namespace, labels), as ``kustomize build`` gives them for these files."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    known = {"apiVersion", "kind", "resources", "patches", "images", "namespace", "labels"}
    assert set(kustomization) <= known, set(kustomization) - known
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        target = (folder / entry).resolve()
        resources += render(target) if target.is_dir() else _documents(target)
    by_key = {_key(r): n for n, r in enumerate(resources)}
    assert len(by_key) == len(resources), "a resource is declared twice"
    for patch in kustomization.get("patches", []):
        for document in _documents(folder / patch["path"]):
            at = by_key[_key(document)]
            resources[at] = _merge(resources[at], document)
    for image in kustomization.get("images", []):
        for resource in resources:
            for container in _containers(resource):
                if container["image"] == image["name"]:
                    container["image"] = f"{image['newName']}:{image['newTag']}"
    for label in kustomization.get("labels", []):
        for resource in resources:
            resource["metadata"].setdefault("labels", {}).update(label["pairs"])
    if "namespace" in kustomization:
        for resource in resources:
            resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def _containers(resource: Resource) -> list[dict[str, Any]]:
    spec = resource.get("spec", {}).get("template", {}).get("spec", {})
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def _named(resources: list[Resource], kind: str, name: str) -> Resource:
    return next(r for r in resources if _key(r) == (kind, name))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_resource_validates_against_the_kubernetes_schemas(overlay: str) -> None:
    """Each resource of the overlay, as Kustomize renders it, is valid (strict: no unknown
    fields) for Kubernetes 1.33, offline."""
    resources = render(K8S / "overlays" / overlay)
    assert len(resources) >= 10
    for resource in resources:
        kubernetes_validate.validate(resource, KUBERNETES, strict=True)


def test_a_broken_manifest_is_refused() -> None:
    """The validator refuses a misspelt field and a wrong type (the check can fail)."""
    gateway = _named(render(K8S / "overlays" / "production"), "Deployment", "govgraph-gateway")
    misspelt = copy.deepcopy(gateway)
    misspelt["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, KUBERNETES, strict=True)
    wrong = copy.deepcopy(gateway)
    wrong["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_probed_sized_non_root_and_read_only(overlay: str) -> None:
    """Every container runs as non-root with a read-only root filesystem and resource
    requests; the gateway and worker are probed on /readyz (ready) and /healthz (live)."""
    resources = render(K8S / "overlays" / overlay)
    for resource in resources:
        if resource["kind"] != "Deployment":
            continue
        pod = resource["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in _containers(resource):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    for name in ("govgraph-gateway", "govgraph-worker"):
        [container] = _named(resources, "Deployment", name)["spec"]["template"]["spec"][
            "containers"
        ]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_production_scales_keeps_a_quorum_and_pins_its_image() -> None:
    """The HPA scales the gateway Deployment, the PDBs and NetworkPolicies select its pods,
    the overlay's sizes and image replace the base's, and only the worker delivers."""
    resources = render(K8S / "overlays" / "production")
    gateway = _named(resources, "Deployment", "govgraph-gateway")
    pods = gateway["spec"]["template"]["metadata"]["labels"]
    hpa = _named(resources, "HorizontalPodAutoscaler", "govgraph-gateway")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "govgraph-gateway",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (6, 60)
    pdb = _named(resources, "PodDisruptionBudget", "govgraph-gateway")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pods.items()
    assert pdb["spec"]["minAvailable"] == "80%"
    policies = [r for r in resources if r["kind"] == "NetworkPolicy"]
    assert any(p["spec"]["podSelector"]["matchLabels"].items() <= pods.items() for p in policies)
    [container] = gateway["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.gov/govgraph:1.0.0"
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "768Mi"}
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert all(r["metadata"]["namespace"] == "govgraph" for r in resources)
    env = {e["name"]: e for e in container["env"]}
    assert env["GOVGRAPH__OUTBOX__RUN_WORKER"]["value"] == "false"
    worker = _named(resources, "Deployment", "govgraph-worker")
    [worker_container] = worker["spec"]["template"]["spec"]["containers"]
    worker_env = {e["name"]: e for e in worker_container["env"]}
    assert worker_env["GOVGRAPH__OUTBOX__RUN_WORKER"]["value"] == "true"


def test_secrets_come_from_secret_objects_and_the_config_loads() -> None:
    """Store URLs and department credentials come from Secrets (none is in the ConfigMap or
    the production overlay); the demo overlay provides each Secret and key referenced; the
    ConfigMap's govgraph.toml is a valid gateway configuration."""
    production = render(K8S / "overlays" / "production")
    assert not [r for r in production if r["kind"] == "Secret"]
    demo = render(K8S / "overlays" / "demo")
    provided = {
        (r["metadata"]["name"], key)
        for r in demo
        if r["kind"] == "Secret"
        for key in r["stringData"]
    }
    referenced: set[tuple[str, str]] = set()
    for resource in production:
        for container in _containers(resource):
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref is not None:
                    referenced.add((ref["name"], ref["key"]))
                else:
                    assert "URL" not in var["name"] and "PASSWORD" not in var["name"]
        for volume in (
            resource.get("spec", {}).get("template", {}).get("spec", {}).get("volumes", [])
        ):
            if "secret" in volume:
                referenced.add((volume["secret"]["secretName"], "tax.password"))
    assert referenced == {
        ("govgraph-stores", "index-url"),
        ("govgraph-stores", "rate-limit-storage"),
        ("govgraph-department-credentials", "tax.password"),
    }
    assert referenced <= provided
    from fixtures.tax.writer import service_password

    demo_tax = _named(demo, "Deployment", "tax-service")
    [generate] = demo_tax["spec"]["template"]["spec"]["initContainers"]
    seed = int(generate["args"][generate["args"].index("--seed") + 1])
    credentials = _named(demo, "Secret", "govgraph-department-credentials")
    assert credentials["stringData"]["tax.password"] == service_password(seed)
    compose_password = (REPO / "deploy" / "compose" / "tax.password").read_text().strip()
    assert compose_password == service_password(seed)
    config = _named(production, "ConfigMap", "govgraph-config")["data"]["govgraph.toml"]
    parsed = tomllib.loads(config)
    assert "index_url" not in parsed["gateway"] and "rate_limit_storage" not in parsed["gateway"]
    assert "password" not in parsed["sources"]["tax"]["options"]
    settings = settings_from_mapping(parsed, check_sources=False)
    assert settings.gateway.profile == "production"
    if settings.tracing.exporter == "otlp":
        dockerfile = (REPO / "Dockerfile").read_text()
        assert "opentelemetry-exporter-otlp-proto-http" in dockerfile
    assert settings.sources["tax"].kind == "soap"


def test_compose_runs_the_same_topology_from_existing_files() -> None:
    """compose.yaml parses; it has three gateways, a worker, PostgreSQL, Redis and an OTel
    collector; every file it mounts exists; every image is built here or pinned by tag."""
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert {"gateway-1", "gateway-2", "gateway-3", "worker", "postgres", "redis"} <= set(services)
    assert "otel-collector" in services
    for name, service in services.items():
        image = service.get("image", "")
        assert service.get("build") == "." or ":" in image, name
        if "build" in service:
            assert (REPO / service["build"] / "Dockerfile").exists()
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), (name, source)
            else:
                assert source in compose["volumes"], (name, source)
        for needed in service.get("depends_on", {}):
            assert needed in services, (name, needed)
    for secret in compose["secrets"].values():
        assert (REPO / secret["file"]).exists()
    gateway_toml = tomllib.loads((REPO / "deploy" / "compose" / "govgraph.toml").read_text())
    assert settings_from_mapping(gateway_toml, check_sources=False).gateway.port == 8000
    for name in ("gateway-1", "gateway-2", "gateway-3"):
        env = services[name]["environment"]
        assert env["GOVGRAPH__GATEWAY__INDEX_URL"].startswith("postgresql+asyncpg://")
        assert env["GOVGRAPH__GATEWAY__RATE_LIMIT_STORAGE"] == "redis://redis:6379"
    collector = yaml.safe_load((REPO / "deploy" / "compose" / "otel-collector.yaml").read_text())
    assert "otlp" in collector["service"]["pipelines"]["traces"]["receivers"]
