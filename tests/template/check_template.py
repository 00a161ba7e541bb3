"""Expands template.yaml offline with aws-sam-translator, lints the CloudFormation with
cfn-lint, and checks the properties the deployment depends on. Each check is also run on a
loosened copy of the template, where it must fail, so no check passes by accident.

Usage: python tests/template/check_template.py template.yaml OUT.json
"""

import copy
import os
import json
import subprocess
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names no managed policies by name, so nothing needs IAM lookups."""

    def load(self):
        return {}


def expand(path):
    # Pseudo parameters need a region; any will do for an offline expansion.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path) as f:
        sam = yaml_parse(f.read())
    # `sam package` replaces a local CodeUri by the uploaded zip; stand in for it.
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://placeholder-bucket/credvault-api.zip"
    return transform(sam, {}, NoManagedPolicies())


def resources_of(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def only(template, kind):
    found = resources_of(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def function(template):
    return only(template, "AWS::Lambda::Function")[1]


def role_statements(template):
    role_name = function(template)["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_name]["Properties"]
    return role, [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def as_list(value):
    return value if isinstance(value, list) else [value]


# --- the checks -----------------------------------------------------------------------------

def check_function(t):
    props = function(t)["Properties"]
    assert props["Runtime"] == "provided.al2023", props["Runtime"]
    assert props["Architectures"] == ["arm64"], props["Architectures"]
    assert props["Handler"] == "bootstrap"
    assert "ReservedConcurrentExecutions" in props, "a flood must not take the account's pool"
    assert t["Parameters"]["ReservedConcurrency"]["Default"] > 0
    assert props["MemorySize"] == {"Ref": "MemorySize"} and t["Parameters"]["MemorySize"]["Default"] == 128
    assert props["Timeout"] == {"Ref": "Timeout"} and t["Parameters"]["Timeout"]["Default"] == 10
    env = props["Environment"]["Variables"]
    assert {"TABLE_NAME", "KMS_KEY_ID", "RUST_LOG", "RATE_LIMIT_PER_MINUTE", "LOG_RETENTION_DAYS"} <= set(env), env
    # Plain-HTTP test upstreams are for local tests only: a deployed function never has them.
    assert "BROKER_TEST_UPSTREAMS" not in env, "the template must never set BROKER_TEST_UPSTREAMS"
    # `sam local` may point the SDK at moto; deployed (the parameter empty), the variable is
    # absent, never set (an empty endpoint is not "AWS" to every SDK).
    assert env.get("AWS_ENDPOINT_URL") == {"Fn::If": [
        "HasLocalAwsEndpoint", {"Ref": "LocalAwsEndpoint"}, {"Ref": "AWS::NoValue"}]}, env
    assert t["Parameters"]["LocalAwsEndpoint"]["Default"] == "", "deployed, no endpoint"
    # Brokered requests need the function's own internet egress: no VPC unless a NAT is added.
    assert "VpcConfig" not in props, "a VPC needs a NAT route for brokered use (docs/broker.md)"


def check_least_privilege(t):
    role, statements = role_statements(t)
    table = only(t, "AWS::DynamoDB::Table")[0]
    key = only(t, "AWS::KMS::Key")[0]
    allowed = {
        "dynamodb": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                     "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchWriteItem"},
        "kms": {"kms:GenerateDataKey", "kms:Decrypt"},
    }
    seen = set()
    for s in statements:
        if s["Effect"] == "Deny":
            continue
        actions = set(as_list(s["Action"]))
        services = {a.split(":")[0] for a in actions}
        assert len(services) == 1 and services <= set(allowed), f"unexpected actions {actions}"
        service = services.pop()
        seen.add(service)
        assert actions <= allowed[service], f"more than needed: {actions - allowed[service]}"
        resources = as_list(s["Resource"])
        assert "*" not in resources and all("*" not in json.dumps(r) for r in resources), resources
        target = table if service == "dynamodb" else key
        assert resources == [{"Fn::GetAtt": [target, "Arn"]}], f"{service} on {resources}"
        if service == "kms" and actions == {"kms:Decrypt"} and "StringEquals" in s.get("Condition", {}):
            # The key-item MAC secret: Decrypt only, only under its own purpose.
            purpose = s["Condition"]["StringEquals"].get("kms:EncryptionContext:credvault:purpose")
            assert purpose == "key-mac", s["Condition"]
            continue
        if service == "kms":
            condition = s.get("Condition", {})
            keys = condition.get("ForAllValues:StringEquals", {}).get("kms:EncryptionContextKeys")
            assert sorted(keys or []) == ["credvault:credential", "credvault:identity"], condition
            nulls = condition.get("Null", {})
            assert all(nulls.get(f"kms:EncryptionContext:credvault:{k}") == "false"
                       for k in ("identity", "credential")), condition
    assert seen == {"dynamodb", "kms"}, seen
    managed = [json.dumps(m) for m in role.get("ManagedPolicyArns", [])]
    assert all("AWSLambdaBasicExecutionRole" in m for m in managed), managed


def check_no_platform_key_writes(t):
    """The function may not write platform key items or the MAC secret: a compromised
    function still cannot mint, widen or revive a platform key."""
    _, statements = role_statements(t)
    table = only(t, "AWS::DynamoDB::Table")[0]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    covered = False
    for s in denies:
        leading = s.get("Condition", {}).get("ForAnyValue:StringLike", {}).get("dynamodb:LeadingKeys", [])
        if (writes <= set(as_list(s["Action"])) and {"PKEY#*", "CONFIG"} <= set(as_list(leading))
                and as_list(s["Resource"]) == [{"Fn::GetAtt": [table, "Arn"]}]):
            covered = True
    assert covered, f"no deny of platform-key writes: {denies}"


def check_table(t):
    name, table = only(t, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert table.get("DeletionPolicy") == "Retain" and table.get("UpdateReplacePolicy") == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}, \
        "rate-limit counters must expire"


def check_key(t):
    name, key = only(t, "AWS::KMS::Key")
    props = key["Properties"]
    assert props["EnableKeyRotation"] is True
    statements = props["KeyPolicy"]["Statement"]
    root = [s for s in statements if s["Effect"] == "Allow" and "root" in json.dumps(s["Principal"])]
    assert root and root[0]["Action"] == "kms:*", "the account must keep administering the key"
    crypto = {"kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:Encrypt"}
    # Only the function's role and the optional break-glass role use the key, by PrincipalArn.
    only_vault = [s for s in statements if s["Effect"] == "Deny" and s.get("Principal") == "*"
                  and crypto <= set(as_list(s["Action"]))
                  and "aws:PrincipalArn" in s.get("Condition", {}).get("ArnNotEquals", {})]
    assert only_vault, "no deny of cryptography to principals other than the vault's"
    allowed = json.dumps(only_vault[0]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])
    assert "role/${AWS::StackName}-api" in allowed and "BreakGlassRoleArn" in allowed, allowed
    # ... and only with credvault's context (a credential's, or the MAC secret's purpose).
    needs = {}
    for s in statements:
        if s["Effect"] == "Deny" and crypto <= set(as_list(s["Action"])):
            nulls = {k for k, v in s.get("Condition", {}).get("Null", {}).items() if v == "true"}
            if nulls:
                needs[frozenset(nulls)] = True
    purpose = "kms:EncryptionContext:credvault:purpose"
    assert set(needs) == {
        frozenset({"kms:EncryptionContext:credvault:identity", purpose}),
        frozenset({"kms:EncryptionContext:credvault:credential", purpose}),
    }, needs
    # No cycle: the key policy names the role by its ARN string, never by reference.
    assert "ApiRole" not in json.dumps(props["KeyPolicy"]), "the key policy references the role"
    aliases = resources_of(t, "AWS::KMS::Alias")
    assert any(a["Properties"]["TargetKeyId"] == {"Ref": name} for a in aliases.values())


def check_api(t):
    _, api = only(t, "AWS::ApiGatewayV2::Api")
    paths = api["Properties"]["Body"]["paths"]
    routes = {(m.upper(), p) for p, ops in paths.items() for m in ops if not m.startswith("x-")}
    contract = {("PUT", "/v0/vault/{name}"), ("GET", "/v0/vault/{name}"),
                ("DELETE", "/v0/vault/{name}"), ("GET", "/v0/vault"),
                ("GET", "/v0/vault/{name}/totp"), ("POST", "/v0/vault/{name}/totp/backup"),
                ("GET", "/v0/whoami"), ("GET", "/v0/logs"), ("GET", "/v0/logs/stats"),
                ("POST", "/mcp"), ("POST", "/v0/credential-requests"),
                ("GET", "/v0/credential-requests/{requestId}"),
                ("DELETE", "/v0/credential-requests/{requestId}"),
                ("GET", "/v0/links/{token}"), ("POST", "/v0/links/{token}")}
    assert contract <= routes, f"missing routes: {contract - routes}"
    _, stage = only(t, "AWS::ApiGatewayV2::Stage")
    assert stage["Properties"]["StageName"] == "$default"


def check_logs(t):
    group_name, group = only(t, "AWS::Logs::LogGroup")
    assert group["Properties"].get("RetentionInDays"), "log retention must be set"
    logging = function(t)["Properties"]["LoggingConfig"]
    assert logging["LogGroup"] == {"Ref": group_name}


def check_outputs(t):
    assert {"ApiUrl", "McpUrl", "TableName", "KeyArn"} <= set(t["Outputs"]), t["Outputs"]


CHECKS = [check_function, check_least_privilege, check_no_platform_key_writes, check_table, check_key, check_api,
          check_logs, check_outputs]


# --- loosened copies: each must be caught by the check named ------------------------------

def mutate(t, fn):
    t = copy.deepcopy(t)
    fn(t)
    return t


def kms_statement(t):
    return next(s for s in role_statements(t)[1] if "kms:Decrypt" in as_list(s["Action"]))


def ddb_statement(t):
    return next(s for s in role_statements(t)[1] if "dynamodb:GetItem" in as_list(s["Action"]))


def key_policy(t):
    return only(t, "AWS::KMS::Key")[1]["Properties"]["KeyPolicy"]["Statement"]


def without_statement(statements, sid):
    statements[:] = [s for s in statements if s.get("Sid") != sid]


MUTATIONS = [
    ("any principal using the key", check_key, lambda t: without_statement(key_policy(t), "OnlyTheVaultUsesTheKey")),
    ("ReEncrypt left open", check_key, lambda t: next(
        s for s in key_policy(t) if s.get("Sid") == "OnlyTheVaultUsesTheKey").update(
        Action=["kms:Decrypt", "kms:GenerateDataKey*", "kms:Encrypt"])),
    ("data keys without context", check_key, lambda t: without_statement(key_policy(t), "DataKeysOnlyWithIdentityContext")),
    ("platform key items writable", check_no_platform_key_writes, lambda t: [
        p["PolicyDocument"].update(Statement=[s for s in p["PolicyDocument"]["Statement"]
                                              if s["Effect"] != "Deny"])
        for p in role_statements(t)[0]["Policies"]]),
    ("MAC secret writable", check_no_platform_key_writes, lambda t: next(
        s for s in role_statements(t)[1] if s["Effect"] == "Deny")["Condition"]["ForAnyValue:StringLike"].update(
        {"dynamodb:LeadingKeys": ["PKEY#*"]})),
    ("MAC secret under any context", check_least_privilege, lambda t: next(
        s for s in role_statements(t)[1] if s.get("Sid") == "KeyMacSecretAtColdStart")["Condition"][
        "StringEquals"].update({"kms:EncryptionContext:credvault:purpose": "anything"})),
    ("a test upstream in the template", check_function, lambda t: function(t)["Properties"][
        "Environment"]["Variables"].update(BROKER_TEST_UPSTREAMS="127.0.0.1:8080")),
    ("an AWS endpoint set for every deployment", check_function, lambda t: function(t)[
        "Properties"]["Environment"]["Variables"].update(AWS_ENDPOINT_URL={"Ref": "LocalAwsEndpoint"})),
    ("no reserved concurrency", check_function, lambda t: function(t)["Properties"].pop(
        "ReservedConcurrentExecutions")),
    ("KMS on every key", check_least_privilege, lambda t: kms_statement(t).update(Resource="*")),
    ("KMS without context", check_least_privilege, lambda t: kms_statement(t).pop("Condition")),
    ("DynamoDB Scan", check_least_privilege, lambda t: ddb_statement(t).update(
        Action=as_list(ddb_statement(t)["Action"]) + ["dynamodb:Scan"])),
    ("DynamoDB on every table", check_least_privilege, lambda t: ddb_statement(t).update(Resource="*")),
    ("x86_64", check_function, lambda t: function(t)["Properties"].update(Architectures=["x86_64"])),
    ("no PITR", check_table, lambda t: only(t, "AWS::DynamoDB::Table")[1]["Properties"][
        "PointInTimeRecoverySpecification"].update(PointInTimeRecoveryEnabled=False)),
    ("no deletion protection", check_table, lambda t: only(t, "AWS::DynamoDB::Table")[1][
        "Properties"].update(DeletionProtectionEnabled=False)),
    ("table deletable", check_table, lambda t: only(t, "AWS::DynamoDB::Table")[1].pop("DeletionPolicy")),
    ("no TTL", check_table, lambda t: only(t, "AWS::DynamoDB::Table")[1]["Properties"].pop(
        "TimeToLiveSpecification")),
    ("no rotation", check_key, lambda t: only(t, "AWS::KMS::Key")[1]["Properties"].update(
        EnableKeyRotation=False)),
]


def main(path, out):
    template = expand(path)
    with open(out, "w") as f:
        json.dump(template, f, indent=1)
    results = []

    def record(name, ok, detail=""):
        results.append(ok)
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))

    for check in CHECKS:
        try:
            check(template)
            record(check.__name__, True)
        except AssertionError as err:
            record(check.__name__, False, str(err))
    for name, check, fn in MUTATIONS:
        try:
            check(mutate(template, fn))
            record(f"{check.__name__} catches {name}", False, "the loosened template passed")
        except (AssertionError, KeyError, StopIteration):
            record(f"{check.__name__} catches {name}", True)

    lint = subprocess.run(["cfn-lint", "--", out], capture_output=True, text=True)
    record("cfn-lint on the expanded template", lint.returncode == 0, lint.stdout + lint.stderr)

    passed = sum(results)
    print(f"template: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
