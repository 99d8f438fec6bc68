"""Run the Pulumi program (``infra/``) under the SDK's mocks, from a stack file, and record what it registers.

Follows pulumi/examples ``testing-unit-py``: ``pulumi.runtime.set_mocks`` then run the program. Every run gets its
own event loop. The mocks echo inputs back as state (camelCase, numbers as floats, as the engine sends them) and
fail loudly on any invoke the program makes without a mock (the real mocks would silently return nothing).

Dependencies: ``MockResourceArgs`` carries no ``depends_on``, so :class:`RecordingMonitor` reads them from the
RegisterResource request itself, which is what the engine would receive: the resource's URN, its parent's URN,
``dependencies`` (explicit ``depends_on`` plus the resources its inputs came from, as URNs) and ``retainOnDelete``.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import itertools
import json
import runpy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func

from infra import versions

from .crd_validation import Tally, chart_folder, crds_dir

REPOSITORY = Path(__file__).resolve().parents[2]
PROGRAM = REPOSITORY / "infra"
STACKS = ("dev", "staging", "prod")
TEST_SECRETS = {
    "genepool:apiToken": "test-api-token-0123456789abcdef",
    "genepool:alertSlackWebhookUrl": "https://hooks.slack.invalid/services/T0/B0/test-slack-secret",
    "genepool:alertPagerdutyRoutingKey": "test-pagerduty-routing-key-0123456789",
    "genepool:alertWebhookUrl": "https://alerts.example.invalid/hook/test-webhook-secret",
    "genepool:alertDeadMansSwitchUrl": "https://heartbeat.example.invalid/ping/test-dead-mans-switch-secret",
    "genepool:ssoClientSecret": "test-sso-client-secret-0123456789",
}
"""What ``pulumi config set --secret`` would hand the program (decrypted) for the keys the stack files omit."""


def pytest_configure(config: pytest.Config) -> None:
    # The cloud SDKs warn about their own deprecated resources when their modules load; not ours to fix.
    config.addinivalue_line("filterwarnings", r"ignore::DeprecationWarning:pulumi_(aws|digitalocean)\..*")


CRD_TALLIES = pytest.StashKey[dict[str, Tally]]()
"""What the custom-resource validation checked, per stack (test_custom_resources.py), for the closing summary."""


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Close the run with what the custom-resource validation checked per stack, and every rule it could not
    evaluate, so the counts show in plain ``make test`` output."""
    tallies = config.stash.get(CRD_TALLIES, {})
    if not tallies:
        return
    terminalreporter.section("custom resources against the upstream CRDs")
    folders = ", ".join(chart_folder(chart) for chart in versions.CRD_CHARTS)
    terminalreporter.write_line(f"CRDs from {crds_dir()}: {folders}")
    for stack, tally in tallies.items():
        terminalreporter.write_line(f"{stack}: {tally.summary()}")
        for rule in tally.not_evaluable:
            terminalreporter.write_line(f"  not evaluable: {rule}")


@dataclass(frozen=True)
class Registered:
    """One resource registration as the engine saw it."""

    type: str
    name: str
    inputs: dict[str, Any]
    provider: str
    urn: str = ""
    parent: str = ""
    dependencies: frozenset[str] = frozenset()
    retain_on_delete: bool = False
    """``retain_on_delete``: destroying the stack leaves the cloud resource in place."""
    options: dict[str, Any] = field(default_factory=dict)
    """The options that decide whether and how the engine replaces the resource, as the request carries them
    (:data:`REPLACEMENT_OPTIONS`, empty ones left out): aliases, protect, ignore/replace-on changes, …"""


@dataclass
class Deployment:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    dependencies: dict[tuple[str, str], set[tuple[str, str]]] = field(default_factory=dict)
    """(type, name) of a resource → (type, name) of every resource it waits for (``depends_on`` and inputs that are
    other resources' outputs), as the engine receives them."""
    invokes: list[str] = field(default_factory=list)
    """Tokens of the data-source invokes the program made, in order."""
    invoke_args: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(token, arguments) of each invoke, in order."""
    reads: list[tuple[str, str, str]] = field(default_factory=list)
    """(type, name, id) of each existing resource the program reads (``Resource.get``): not registrations."""

    def depends_on(self, type_: str, name: str, on_type: str, on_name: str) -> bool:
        return (on_type, on_name) in self.dependencies.get((type_, name), set())

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, Registered]:
        return {r.urn: r for r in self.resources}

    def named(self, type_: str, name: str) -> Registered:
        matches = [r for r in self.of_type(type_) if r.name == name]
        assert len(matches) == 1, f"expected one {type_} named {name}, got {[r.name for r in self.of_type(type_)]}"
        return matches[0]


NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
"""The registration types of Karpenter's custom resources."""


def node_pool(deployment: Deployment, name: str) -> dict:
    """The ``spec`` of the NodePool ``name`` the program registered (plain values)."""
    (pool,) = [plain(r.inputs) for r in deployment.of_type(NODE_POOL) if r.inputs["metadata"]["name"] == name]
    return pool["spec"]


def mock_password(name: str, length: int) -> str:
    """The value the mocks give a RandomPassword: recognisable, letters and digits only, like the real ones."""
    return ("generated" + "".join(ch for ch in name if ch.isalnum()))[:length].ljust(length, "0")


KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "current-context": "kind-genepool",
    "contexts": [{"name": "kind-genepool", "context": {"cluster": "kind-genepool", "user": "kind-genepool"}}],
    "clusters": [{"name": "kind-genepool", "cluster": {"server": "https://127.0.0.1:6443"}}],
    "users": [{"name": "kind-genepool", "user": {"token": "kind-user-token"}}],
}
"""A kubeconfig with the dev stack's context, as kind writes it."""


DOKS_ENDPOINT = "https://genepool-staging.k8s.ondigitalocean.invalid"
DOKS_CA_CERTIFICATE = "RE9LUyBjbHVzdGVyIENB"
"""The DOKS cluster's API endpoint and (base64) CA certificate under the mocks: the same on every run."""
_minted = itertools.count(1)

DOKS_VERSIONS = ["1.37.1-do.0", "1.36.4-do.0", "1.36.3-do.1", "1.35.8-do.0"]
"""The DOKS slugs DigitalOcean offers under the mocks (newest first, as its API lists them)."""
EKS_ADDON_VERSIONS = {
    "kube-proxy": "v1.36.4-eksbuild.2",
    "vpc-cni": "v1.21.1-eksbuild.3",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.1",
    "coredns": "v1.13.2-eksbuild.1",
    "aws-ebs-csi-driver": "v1.52.0-eksbuild.1",
}
"""What ``get_addon_version(most_recent=True)`` returns under the mocks, by add-on."""
AMI_RELEASE = "1.36.4-20261120"
"""The recommended AL2023 AMI release the SSM parameter holds under the mocks."""


def account_domains(args: dict[str, Any]) -> dict[str, Any]:
    """``getDomains``: the account's domains (:data:`ACCOUNT_DOMAINS`) that match every ``name`` filter."""
    names = list(ACCOUNT_DOMAINS)
    for rule in args.get("filters", []):
        assert rule["key"] == "name", rule
        names = [name for name in names if name in rule["values"]]
    domains = [{"name": name, "ttl": 1800.0, "urn": f"do:domain:{name}", "zoneFile": ""} for name in names]
    return {"domains": domains, "filters": args.get("filters", []), "id": "domains"}


def doks_versions(args: dict[str, Any]) -> dict[str, Any]:
    prefix = args.get("versionPrefix", "")
    valid = [version for version in DOKS_VERSIONS if version.startswith(prefix)]
    return {"versionPrefix": prefix, "validVersions": valid, "latestVersion": valid[0] if valid else ""}


def eks_addon_version(args: dict[str, Any]) -> dict[str, Any]:
    return {**args, "version": EKS_ADDON_VERSIONS[args["addonName"]]}


def ssm_parameter(args: dict[str, Any]) -> dict[str, Any]:
    assert args["name"].startswith("/aws/service/eks/optimized-ami/"), args["name"]
    return {"name": args["name"], "type": "String", "value": AMI_RELEASE, "insecureValue": AMI_RELEASE}


def minted_doks_kubeconfig() -> dict[str, Any]:
    """A DOKS ``kubeConfigs[0]`` as DigitalOcean hands it out: every read mints a new 7-day token."""
    token = f"doks-token-{next(_minted)}"
    config = {**KUBECONFIG, "users": [{"name": "kind-genepool", "user": {"token": token}}]}
    return {"rawConfig": yaml.safe_dump(config), "token": token, "clusterCaCertificate": DOKS_CA_CERTIFICATE}


INVOKES: dict[str, Any] = {
    "digitalocean:index/getKubernetesVersions:getKubernetesVersions": doks_versions,
    "aws:eks/getAddonVersion:getAddonVersion": eks_addon_version,
    "aws:ssm/getParameter:getParameter": ssm_parameter,
    "digitalocean:index/getKubernetesCluster:getKubernetesCluster": lambda args: {
        "name": "genepool-staging",
        "endpoint": DOKS_ENDPOINT,
        "kubeConfigs": [minted_doks_kubeconfig()],
    },
    "aws:iam/getRole:getRole": {
        "name": "AWSServiceRoleForEC2Spot",
        "arn": "arn:aws:iam::123456789012:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot",
    },
    "digitalocean:index/getDomains:getDomains": lambda args: account_domains(args),
    "aws:lb/getHostedZoneId:getHostedZoneId": lambda args: {**args, "id": ALB_HOSTED_ZONE_ID},
    "aws:index/getAvailabilityZones:getAvailabilityZones": {
        "names": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        "zoneIds": ["euw1-az1", "euw1-az2", "euw1-az3"],
    },
}
"""What each data-source invoke the program makes returns under the mocks (a function: of the invoke's arguments,
computed on each call)."""


ACCOUNT_DOMAINS = ["staging.genepool.example.com"]
"""The domains of the DigitalOcean account under the mocks (``getDomains`` answers with those its filter names)."""
ALB_HOSTED_ZONE_ID = "Z32O12XQLNTSW2"
"""The hosted zone of ALBs in eu-west-1 (what ``aws.lb.get_hosted_zone_id`` returns there)."""
ALB_HOSTNAME = "k8s-genepoolprod-0123456789-1234567890.eu-west-1.elb.amazonaws.com"
"""The DNS name the AWS Load Balancer Controller writes into an Ingress's status under the mocks."""
INGRESS_ADDRESS = "192.0.2.80"
"""The address DigitalOcean's cloud controller writes into Traefik's Service status under the mocks."""
MOCK_CERTIFICATE_PEM = "-----BEGIN CERTIFICATE-----\nmock-self-signed\n-----END CERTIFICATE-----\n"
MOCK_PRIVATE_KEY_PEM = "-----BEGIN PRIVATE KEY-----\nmock-ingress-private-key\n-----END PRIVATE KEY-----\n"

MOCK_RANDOM_HEX = "5eed0123456789abcdef"
"""What a RandomId's ``hex`` starts with under the mocks (as many digits as its bytes need)."""
MOCK_SPACES_SECRET_KEY = "mock-spaces-secret-key-0123456789"
"""The secret half of a Spaces access key under the mocks."""
MOCK_ACCOUNT = "123456789012"
"""The AWS account of the mocks (AWS's documentation example account)."""
MOCK_DOCKER_CONFIG = '{"auths": {"registry.digitalocean.com": {"auth": "dGVzdC1yZWdpc3RyeS10b2tlbg=="}}}'
"""What a read-only DOCR credential resource returns under the mocks (a recognisable, fake token)."""


def computed_outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs the cloud computes (the engine would return them); the mocks make them recognisable."""
    if type_ == "random:index/randomPassword:RandomPassword":
        return {"result": mock_password(name, int(inputs["length"]))}
    if type_ == "random:index/randomId:RandomId":
        return {"hex": MOCK_RANDOM_HEX[: 2 * int(inputs["byteLength"])]}
    if type_ == "digitalocean:index/kubernetesCluster:KubernetesCluster":
        return {"endpoint": DOKS_ENDPOINT, "kubeConfigs": [minted_doks_kubeconfig()]}
    if type_ in ("digitalocean:index/databaseCluster:DatabaseCluster", "digitalocean:index/databaseUser:DatabaseUser"):
        return {
            "user": "doadmin" if type_.endswith("DatabaseCluster") else inputs["name"],
            "password": mock_password(name, 24),
            "privateHost": f"private-{name}.db.ondigitalocean.invalid",
            "port": 25060.0,
        }
    if type_ == "aws:eks/cluster:Cluster":
        return {
            "vpcConfig": {**inputs.get("vpcConfig", {}), "clusterSecurityGroupId": f"sg-{name}"},
            "endpoint": "https://ABC123.gr7.eu-west-1.eks.amazonaws.invalid",
            "arn": f"arn:aws:eks:eu-west-1:123456789012:cluster/{inputs.get('name', name)}",
            "certificateAuthority": {"data": "Q0EK"},
            "name": inputs.get("name", name),
        }
    if type_ == "aws:ecr/repository:Repository":
        return {
            "repositoryUrl": f"{MOCK_ACCOUNT}.dkr.ecr.{inputs['region']}.amazonaws.com/{inputs['name']}",
            "registryId": MOCK_ACCOUNT,
            "arn": f"arn:aws:ecr:{inputs['region']}:{MOCK_ACCOUNT}:repository/{inputs['name']}",
        }
    if type_ == "digitalocean:index/spacesKey:SpacesKey":
        return {"accessKey": "DO00MOCKSPACESACCESSKEY", "secretKey": MOCK_SPACES_SECRET_KEY}
    if type_ == "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials":
        return {"dockerCredentials": MOCK_DOCKER_CONFIG}
    if type_ == "aws:elasticache/replicationGroup:ReplicationGroup":
        return {"primaryEndpointAddress": f"master.{name}.cache.amazonaws.invalid", "port": inputs.get("port", 6379.0)}
    if type_ == "aws:acm/certificate:Certificate":
        names = [inputs["domainName"], *inputs.get("subjectAlternativeNames", [])]
        return {
            "arn": f"arn:aws:acm:eu-west-1:{MOCK_ACCOUNT}:certificate/{name}",
            "domainValidationOptions": [
                {
                    "domainName": host,
                    "resourceRecordName": f"_validation.{host}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_validation.{host}.acm-validations.aws.",
                }
                for host in names
            ],
        }
    if type_ == "aws:route53/record:Record":
        return {"fqdn": inputs["name"]}
    if type_ == "kubernetes:helm.sh/v3:Release":
        return {
            "status": {"name": inputs["name"], "namespace": inputs.get("namespace", "default"), "status": "deployed"}
        }
    if type_ == "kubernetes:networking.k8s.io/v1:Ingress":
        return {"status": {"loadBalancer": {"ingress": [{"hostname": ALB_HOSTNAME}]}}}
    if type_ == "kubernetes:core/v1:Service" and not inputs:
        return {"status": {"loadBalancer": {"ingress": [{"ip": INGRESS_ADDRESS}]}}}
    if type_ == "tls:index/privateKey:PrivateKey":
        return {"privateKeyPem": MOCK_PRIVATE_KEY_PEM}
    if type_ == "tls:index/selfSignedCert:SelfSignedCert":
        return {"certPem": MOCK_CERTIFICATE_PEM}
    if type_.startswith("aws:") and "arn" not in inputs:
        return {"arn": f"arn:aws:mock:::{type_.rsplit(':', 1)[-1]}/{name}"}
    return {}


def urn_type_and_name(urn: str) -> tuple[str, str]:
    """``(type, name)`` of a resource URN (``urn:pulumi:stack::project::parent$type::name``)."""
    qualified_type, name = urn.split("::")[-2:]
    return qualified_type.split("$")[-1], name


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        state = {**args.inputs, **computed_outputs(args.typ, args.name, args.inputs)}
        if args.resource_id:
            self.deployment.reads.append((args.typ, args.name, args.resource_id))
            return args.resource_id, state
        self.deployment.resources.append(Registered(args.typ, args.name, dict(args.inputs), args.provider))
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        if args.token not in INVOKES:
            raise AssertionError(f"the program made an invoke without a mock: {args.token}")
        self.deployment.invokes.append(args.token)
        self.deployment.invoke_args.append((args.token, dict(args.args)))
        result = INVOKES[args.token]
        return (result(dict(args.args)) if callable(result) else result), []


REPLACEMENT_OPTIONS = (
    "aliases",
    "aliasURNs",
    "protect",
    "ignoreChanges",
    "replaceOnChanges",
    "deleteBeforeReplace",
    "additionalSecretOutputs",
    "customTimeouts",
    "deletedWith",
)
"""Fields of a RegisterResource request that :attr:`Registered.options` keeps."""


def replacement_options(request: Any) -> dict[str, Any]:
    """The request's :data:`REPLACEMENT_OPTIONS` as JSON values (unset and empty ones left out)."""
    fields = json_format.MessageToDict(request, preserving_proto_field_name=True)
    return {name: fields[name] for name in REPLACEMENT_OPTIONS if fields.get(name) not in (None, False, "", [], {})}


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, completing each registration :class:`RecordingMocks` recorded with the request's URN,
    parent URN and dependency URNs (also kept by (type, name) in :attr:`Deployment.dependencies`). The SDK calls
    the monitor from worker threads: a lock keeps each registration and its completion together."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.deployment = mocks.deployment
        self.lock = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 (the gRPC method name)
        with self.lock:
            self.deployment.dependencies[(request.type, request.name)] = {
                urn_type_and_name(urn) for urn in request.dependencies
            }
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                last = self.deployment.resources[-1]
                assert (last.type, last.name) == (request.type, request.name)
                self.deployment.resources[-1] = dataclasses.replace(
                    last,
                    urn=response.urn,
                    parent=request.parent,
                    dependencies=frozenset(request.dependencies),
                    retain_on_delete=bool(request.retainOnDelete),
                    options=replacement_options(request),
                )
            return response


SSO_CONFIG = {
    "issuerUrl": "https://login.example.com/oauth2/default",
    "authUrl": "https://login.example.com/oauth2/default/v1/authorize",
    "tokenUrl": "https://login.example.com/oauth2/default/v1/token",
    "userinfoUrl": "https://login.example.com/oauth2/default/v1/userinfo",
    "clientId": "genepool-operators",
    "emailDomains": ["example.com"],
}
"""An OpenID Connect client of the organisation's identity provider (documentation domain)."""

ORGANISATION_CONFIG: dict[str, dict[str, dict[str, Any]]] = {
    "staging": {
        "genepool:registry": {"name": "acme-genepool"},
        "genepool:ingress": {"domain": "staging.genepool.example.com", "allowedCidrs": ["198.51.100.0/24"]},
        "genepool:sso": SSO_CONFIG,
    },
    "prod": {
        "genepool:aws": {
            "publicAccessCidrs": ["203.0.113.0/24"],
            "deployerRoleArn": "arn:aws:iam::123456789012:role/genepool-deployer",
            "adminPrincipalArns": ["arn:aws:iam::123456789012:role/genepool-admin"],
            "backupAlertEmails": ["oncall@example.com"],
        },
        "genepool:ingress": {
            "domain": "genepool.example.com",
            "route53ZoneId": "Z0123456789EXAMPLE",
            "allowedCidrs": ["203.0.113.0/24", "198.51.100.0/24"],
        },
        "genepool:ci": {
            "repository": "acme/genepool",
            "connectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789",
            "previewRoleArn": "arn:aws:iam::123456789012:role/genepool-preview",
        },
        "genepool:sso": SSO_CONFIG,
    },
}
"""What each organisation sets with ``pulumi config set`` before its first preview (who may reach and administer
the cluster), merged into the shipped stack files here; these are documentation ranges and an example account, so
they never stand in a stack file as if they were real."""


PROMOTED_DIGEST = "sha256:" + "5eed" * 16
"""The digest a promotion PR writes as ``genepool:image`` after a deploy (the shipped cloud stack files name none
before their first deploy)."""


DEPLOYED_IMAGE = {
    "staging": f"registry.digitalocean.com/acme-genepool/workload@{PROMOTED_DIGEST}",
    "prod": f"{MOCK_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/genepool-prod/workload@{PROMOTED_DIGEST}",
}
"""The full reference the pods of each cloud stack run: the promoted digest in the stack's own registry."""


def workload_image(stack: str) -> str:
    """The image reference the workload's containers carry on ``stack``."""
    return DEPLOYED_IMAGE.get(stack) or stack_config(stack)["genepool:image"]


def stack_file_config(stack: str) -> dict[str, Any]:
    """The ``config`` map of ``Pulumi.<stack>.yaml`` as shipped."""
    return yaml.safe_load((REPOSITORY / f"Pulumi.{stack}.yaml").read_text())["config"]


def stack_config(stack: str) -> dict[str, Any]:
    """The ``config`` map of ``Pulumi.<stack>.yaml`` with the organisation's values (``ORGANISATION_CONFIG``) set
    and, on a cloud, the image a first deploy promoted (``PROMOTED_DIGEST``)."""
    config = stack_file_config(stack)
    for key, values in ORGANISATION_CONFIG.get(stack, {}).items():
        config[key] = {**config.get(key, {}), **values}
    if stack != "dev":
        config.setdefault("genepool:image", PROMOTED_DIGEST)
    return config


def engine_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config as the engine passes it to a program: scalars as strings, objects and lists JSON-encoded."""
    encoded = {}
    for key, value in config.items():
        if isinstance(value, (dict, list)):
            encoded[key] = json.dumps(value)
        elif isinstance(value, bool):
            encoded[key] = "true" if value else "false"
        else:
            encoded[key] = str(value)
    return encoded


def deploy(stack: str, config: Mapping[str, Any] | None = None, secrets: Mapping[str, str] | None = None) -> Deployment:
    """Run the program for ``stack`` (its stack file, or ``config`` instead) with ``secrets`` as secret config.

    Each run gets a fresh context (the SDK keeps its root Stack, config and settings in context variables) and
    its own event loop, so no state from an earlier run leaks into this one."""
    return contextvars.Context().run(_deploy, stack, config, secrets)


def _deploy(stack: str, config: Mapping[str, Any] | None, secrets: Mapping[str, str] | None) -> Deployment:
    secrets = TEST_SECRETS if secrets is None else secrets
    values = {**engine_config(stack_config(stack) if config is None else config), **secrets}
    deployment = Deployment()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        mocks = RecordingMocks(deployment)
        pulumi.runtime.set_mocks(mocks, project="genepool", stack=stack, preview=False, monitor=RecordingMonitor(mocks))
        pulumi.runtime.set_all_config(values, list(secrets))

        async def program() -> None:
            runpy.run_path(str(PROGRAM), run_name="__main__")
            root = pulumi.runtime.get_root_resource()
            for name, value in root.outputs.items():
                output = pulumi.Output.from_input(value)
                deployment.outputs[name] = await output.future()
                if await output.is_secret():
                    deployment.secret_outputs.add(name)

        loop.run_until_complete(run_pulumi_func(program))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return deployment


@pytest.fixture
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kubeconfig, pointed to by $KUBECONFIG as kubectl would read it."""
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(KUBECONFIG))
    monkeypatch.setenv("KUBECONFIG", str(path))
    return path


SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
"""How the engine marks a secret value in resource inputs (pulumi.runtime.rpc's special signature key)."""


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG_KEY in value


def plain(value: Any) -> Any:
    """Inputs as a manifest: secret markers removed, integral floats (the engine's numbers) back to ints."""
    if is_secret(value):
        return plain(value["value"])
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def pod_specs(deployment: Deployment) -> list[tuple[str, dict[str, Any], bool]]:
    """(owner, pod spec, runs to completion) for every pod template the program registers."""
    specs = []
    for r in deployment.resources:
        spec = plain(r.inputs.get("spec") or {})
        kind = r.type.split(":")[-1]
        if kind in ("Deployment", "StatefulSet"):
            specs.append((r.name, spec["template"]["spec"], False))
        elif kind == "CronJob":
            specs.append((r.name, spec["jobTemplate"]["spec"]["template"]["spec"], True))
        elif kind == "RayCluster":
            specs.append((f"{r.name}/head", spec["headGroupSpec"]["template"]["spec"], False))
            for group in spec["workerGroupSpecs"]:
                specs.append((f"{r.name}/{group['groupName']}", group["template"]["spec"], False))
    return specs


def all_containers(deployment: Deployment):
    """(owner, pod spec, container, runs to completion) for every container of every pod template."""
    for owner, spec, batch in pod_specs(deployment):
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield owner, spec, container, batch


def deploy_stack_file(stack: str, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """``Pulumi.<stack>.yaml`` unchanged, deployed under mocks (dev reads the kubeconfig from $KUBECONFIG)."""
    path = tmp_path_factory.mktemp("kube") / "config"
    path.write_text(yaml.safe_dump(KUBECONFIG))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBECONFIG", str(path))
        return deploy(stack)


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return deploy_stack_file("dev", tmp_path_factory)


@pytest.fixture(scope="module")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return deploy_stack_file("staging", tmp_path_factory)


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return deploy_stack_file("prod", tmp_path_factory)


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Deployment]:
    """Each shipped stack file in turn, deployed once per module."""
    return request.param, deploy_stack_file(request.param, tmp_path_factory)
