"""Registries the clusters can pull from: prod's ECR repository (the node roles may read it), staging's DigitalOcean
Container Registry with a read-only pull secret the program creates, dev exempt (``kind load``); the policy that
refuses a workload image from anywhere else; and a cloud stack before its first deploy (no image yet)."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from infra import images, versions
from infra.components.pull_secret import SECRET_NAME
from infra.config import StackConfigError, parse

from .conftest import (
    MOCK_ACCOUNT,
    MOCK_DOCKER_CONFIG,
    PROMOTED_DIGEST,
    REPOSITORY,
    Deployment,
    all_containers,
    deploy,
    is_secret,
    plain,
    pod_specs,
    stack_config,
    workload_image,
)
from .test_config import raw, with_value, without
from .test_ordering import effective_dependencies
from .test_policies import stack_resources, stack_violations

ECR = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
DOCR = "digitalocean:index/containerRegistry:ContainerRegistry"
DOCR_CREDENTIALS = "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials"
SECRET = "kubernetes:core/v1:Secret"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE = "aws:iam/role:Role"
ECR_READ = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
POLICY = "workload-image-from-stack-registry"
FOREIGN = "ghcr.io/acme/genepool/workload@" + PROMOTED_DIGEST


def workload_pods(deployment: Deployment, image: str) -> list[tuple[str, dict]]:
    """(owner, pod spec) of every pod template with a container running ``image``."""
    return [
        (owner, spec)
        for owner, spec, _ in pod_specs(deployment)
        if any(c["image"] == image for c in spec.get("initContainers", []) + spec["containers"])
    ]


def with_image(deployment: Deployment, owner: str, image: str) -> list:
    """The deployment's registrations, as stack policies see them, with ``owner``'s first container on ``image``."""
    resources = stack_resources(deployment.resources)
    for resource in resources:
        if resource.name == owner:
            props = copy.deepcopy(resource.props)
            props["spec"]["template"]["spec"]["containers"][0]["image"] = image
            resource.props = props
    return resources


# --- prod: ECR


def test_prod_creates_an_immutable_scanned_ecr_repository_in_its_region(prod):
    repository = plain(prod.named(ECR, "workload").inputs)
    assert repository["name"] == "genepool-prod/workload"
    assert repository["region"] == stack_config("prod")["genepool:cluster"]["region"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["forceDelete"] is False


def test_prods_lifecycle_policy_keeps_the_configured_number_of_newest_images(prod):
    policy = json.loads(plain(prod.named(LIFECYCLE, "workload-lifecycle").inputs)["policy"])
    (rule,) = policy["rules"]
    assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 200}
    assert rule["action"] == {"type": "expire"}


def test_prod_exports_the_repository_url_it_pulls_from(prod):
    url = f"{MOCK_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/genepool-prod/workload"
    assert prod.outputs["image_repository"] == url
    assert workload_image("prod") == f"{url}@{PROMOTED_DIGEST}"


def test_every_prod_pod_running_the_workload_image_pulls_from_ecr_which_every_node_role_may_read(prod):
    pods = workload_pods(prod, workload_image("prod"))
    assert {owner for owner, _ in pods} >= {"workload-api", "ray-cluster/head", "ray-cluster/workers"}
    node_roles = [r.inputs["name"] for r in prod.of_type(ROLE) if "ec2.amazonaws.com" in r.inputs["assumeRolePolicy"]]
    assert len(node_roles) == 2
    for role in node_roles:
        assert any(a.inputs["policyArn"] == ECR_READ and a.inputs["role"] == role for a in prod.of_type(ATTACHMENT)), (
            role
        )
    assert all("imagePullSecrets" not in spec for _, spec in pods)


def test_every_prod_container_outside_the_pinned_upstream_images_runs_the_promoted_digest(prod):
    for owner, _, container, _ in all_containers(prod):
        assert container["image"] in versions_images() or container["image"] == workload_image("prod"), owner


def versions_images() -> set[str]:
    return {value for name, value in vars(versions).items() if name.endswith("_IMAGE")}


# --- staging: DigitalOcean Container Registry and its pull secret


def test_staging_creates_its_named_registry_in_the_clusters_region(staging):
    registry = plain(staging.named(DOCR, "registry").inputs)
    assert registry == {"name": "acme-genepool", "subscriptionTierSlug": "basic", "region": "fra1"}
    assert staging.outputs["image_repository"] == "registry.digitalocean.com/acme-genepool/workload"


def test_stagings_pull_credential_is_read_only(staging):
    credentials = plain(staging.named(DOCR_CREDENTIALS, "pull-credentials").inputs)
    assert credentials["write"] is False
    assert credentials["registryName"] == "acme-genepool"


def test_the_pull_secret_holds_the_read_only_credential_as_a_secret(staging):
    secret = staging.named(SECRET, "registry-pull-secret")
    assert secret.inputs["type"] == "kubernetes.io/dockerconfigjson"
    assert plain(secret.inputs["metadata"])["name"] == SECRET_NAME
    data = secret.inputs["stringData"]
    assert is_secret(data) or is_secret(data[".dockerconfigjson"])
    assert plain(data)[".dockerconfigjson"] == MOCK_DOCKER_CONFIG


def test_every_staging_pod_running_the_workload_image_carries_the_programs_pull_secret(staging):
    pods = workload_pods(staging, workload_image("staging"))
    assert {owner for owner, _ in pods} >= {"workload-api", "ray-cluster/head", "ray-cluster/workers"}
    assert len(pods) == 3 + 2 * len(stack_config("staging")["genepool:marketData"]["symbols"])
    for owner, spec in pods:
        assert spec["imagePullSecrets"] == [{"name": SECRET_NAME}], owner


def test_the_pull_credential_appears_in_no_plain_input(staging):
    for r in staging.resources:
        if (r.type, r.name) == (SECRET, "registry-pull-secret"):
            continue
        assert "dGVzdC1yZWdpc3RyeS10b2tlbg" not in json.dumps(plain(r.inputs)), r.name


# --- the policy


@pytest.mark.parametrize("stack_name", ["staging", "prod"])
def test_the_registry_policy_passes_on_the_shipped_cloud_stacks(stack_name, staging, prod):
    deployment = {"staging": staging, "prod": prod}[stack_name]
    assert stack_violations(POLICY, stack_resources(deployment.resources)) == []


@pytest.mark.parametrize("stack_name", ["staging", "prod"])
def test_the_registry_policy_fails_on_a_foreign_workload_image(stack_name, staging, prod):
    deployment = {"staging": staging, "prod": prod}[stack_name]
    found = stack_violations(POLICY, with_image(deployment, "workload-api", FOREIGN))
    assert len(found) == 1
    assert found[0].startswith(f"workload-api: Deployment container 'api': image '{FOREIGN}' is not from the stack's")


def test_the_registry_policy_fails_on_another_accounts_ecr_once_the_repository_url_is_known(prod):
    resources = with_image(
        prod, "workload-api", f"210987654321.dkr.ecr.eu-west-1.amazonaws.com/genepool-prod/workload@{PROMOTED_DIGEST}"
    )
    for resource in resources:
        if resource.resource_type == ECR:
            resource.props = {**resource.props, "repositoryUrl": prod.outputs["image_repository"]}
    (found,) = stack_violations(POLICY, resources)
    assert "210987654321" in found and prod.outputs["image_repository"] in found


def test_the_registry_policy_fails_on_another_region_before_the_url_is_known(prod):
    image = f"{MOCK_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/genepool-prod/workload@{PROMOTED_DIGEST}"
    assert len(stack_violations(POLICY, with_image(prod, "workload-api", image))) == 1


def test_the_registry_policy_fails_on_a_cloud_stack_without_a_registry(staging):
    resources = [r for r in stack_resources(staging.resources) if r.resource_type != DOCR]
    assert stack_violations(POLICY, resources) == [
        "a cloud stack must create its own image registry (ECR repository or DigitalOcean registry)"
    ]


def test_dev_is_exempt_from_the_registry_policy(dev):
    assert stack_violations(POLICY, with_image(dev, "workload-api", FOREIGN)) == []


# --- the image config


def test_a_bare_digest_resolves_to_the_stacks_registry_and_a_full_reference_stays_as_it_is():
    repository = "registry.digitalocean.com/acme-genepool/workload"
    assert images.in_registry(PROMOTED_DIGEST, repository) == f"{repository}@{PROMOTED_DIGEST}"
    assert images.in_registry(FOREIGN, repository) == FOREIGN


def test_a_bare_digest_is_refused_on_a_local_stack():
    with pytest.raises(
        StackConfigError, match="genepool:image: a bare digest names an image of a cloud stack's registry"
    ):
        parse(with_value("dev", "image", PROMOTED_DIGEST))


def test_the_registry_name_is_required_on_digitalocean():
    with pytest.raises(StackConfigError, match="genepool:registry.name: is required"):
        parse(without("staging", "registry.name"))


def test_a_registry_does_not_apply_to_a_local_stack():
    with pytest.raises(StackConfigError, match="genepool:registry: does not apply to cloud 'local'"):
        parse(with_value("dev", "registry.keepImages", 50))


def test_a_registry_name_does_not_apply_to_aws():
    with pytest.raises(StackConfigError, match="genepool:registry.name: unknown field"):
        parse(with_value("prod", "registry.name", "acme"))


@pytest.mark.parametrize("stack_name", ["staging", "prod"])
def test_the_shipped_cloud_stack_files_name_no_image_before_their_first_deploy(stack_name):
    shipped = yaml.safe_load((REPOSITORY / f"Pulumi.{stack_name}.yaml").read_text())["config"]
    assert "genepool:image" not in shipped
    config = raw(stack_name)
    del config["image"]
    assert parse(config).image is None


@pytest.fixture(scope="module")
def staging_before_first_deploy() -> Deployment:
    config = stack_config("staging")
    del config["genepool:image"]
    return deploy("staging", config)


def test_before_its_first_deploy_a_cloud_stack_creates_its_registry_but_no_ray_cluster_or_workload(
    staging_before_first_deploy,
):
    deployment = staging_before_first_deploy
    assert deployment.of_type(DOCR)
    assert not [owner for owner, _, _ in pod_specs(deployment) if not owner.startswith("managed-exporters")]
    assert not workload_resources(deployment)
    assert deployment.outputs["image_repository"] == "registry.digitalocean.com/acme-genepool/workload"


def workload_resources(deployment) -> list:
    """The Ray cluster, CronJobs and Deployments that run the workload image (the managed servers' exporters run
    their own images and watch servers that exist before the first deploy)."""
    return [
        r
        for r in deployment.resources
        if r.type.endswith((":RayCluster", ":CronJob", ":Deployment")) and not r.name.startswith("managed-exporters")
    ]


def test_the_ray_cluster_and_the_workload_wait_for_the_pull_secret(staging):
    secret = staging.named(SECRET, "registry-pull-secret")
    for type_, name in (
        ("kubernetes:ray.io/v1:RayCluster", "ray-cluster"),
        ("kubernetes:apps/v1:Deployment", "workload-api"),
    ):
        assert secret.urn in effective_dependencies(staging, staging.named(type_, name)), name


def test_before_its_first_deploy_prod_creates_its_ecr_repository_and_runners_but_no_workload():
    config = stack_config("prod")
    del config["genepool:image"]
    deployment = deploy("prod", config)
    assert deployment.of_type(ECR) and deployment.of_type("aws:codebuild/project:Project")
    assert not workload_resources(deployment)
    assert all(container["image"] in versions_images() for _, _, container, _ in all_containers(deployment))
    assert deployment.outputs["image_repository"].endswith("/genepool-prod/workload")
