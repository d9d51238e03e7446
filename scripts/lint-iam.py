"""Runs the linters a security team runs on IAM (cfn-lint, parliament, checkov) over what
`trailhub permissions` prints, and fails on every finding that is neither fixed nor explained.

Run by scripts/lint-iam with the Python of the venv it makes (the linters' own modules are imported
from there). Arguments: the trailhub binary, the sample accounts file, the allow-list, the docs page
that must explain each allowed finding.

What counts as a finding: every cfn-lint match (errors, warnings, W3037 unknown actions included), every
parliament finding, every failed checkov check. One kind passes by rule, as issue 21 says: parliament's
RESOURCE_STAR on an action whose access level is Read or List (the reads adoption and the audit need may
stay on `*`). Everything else must match a line of the allow-list, whose reason the docs page explains.
"""

import argparse
import fnmatch
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from parliament.statement import get_privilege_info

LINTERS = ("cfn-lint", "parliament", "checkov")
DOCS_SECTION = "docs/iam-permissions.md#what-the-linters-say"


# --- the configs ------------------------------------------------------------------------------------


def variants(sample):
    """The accounts files to print permissions for, derived from the sample so that they follow it: the
    sample itself (static list), the same from Organizations, and two that turn on what the sample does
    not (an Organizations walk by OU with [guardrails], an existing key, access logging, external IDs, per-account role
    and trail overrides, S3-only flow logs, another partition)."""
    org = dict(sample, members=dict(sample["members"], source="organizations"))
    org.pop("account", None)

    ous = json.loads(json.dumps(org))
    ous["members"].update(
        organizational_units=["r-ab12"],
        exclude_organizational_units=["ou-ab12-cdef5678"],
        external_id="trailhub-lint",
    )
    central = ous["central"]
    central.pop("trail_name", None)
    central["kms_key"] = (
        f"arn:aws:kms:{central['region']}:{central['account_id']}:key/"
        "1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    central["access_log_bucket"] = "sec-s3-access-logs"
    ous["flow_logs"] = dict(ous["flow_logs"], destinations=["s3"])
    ous["alarms"] = {}  # [alarms] (issue 24): the CIS metric filters, alarms and their SNS topic
    ous["guardrails"] = {"policy_name": "trailhub-protect-logging"}

    overrides = json.loads(json.dumps(sample))
    central = overrides["central"]
    central["region"] = "cn-north-1"
    central["kms_key"] = f"arn:aws-cn:kms:cn-north-1:{central['account_id']}:alias/org-trails"
    first = overrides["account"][0]
    first["role_arn"] = f"arn:aws-cn:iam::{first['id']}:role/team/OtherRole"
    first["trail_name"] = "legacy-{id}"
    overrides["account"][1]["cloudwatch"] = False
    overrides["alarms"] = {
        "topic_name": "sec-alarms",
        "namespace": "Security/CIS",
        # the central queue's policy and the subscriptions (issue 24 point 1)
        "subscribe": [f"arn:aws-cn:sqs:cn-north-1:{central['account_id']}:sec-alarms"],
    }
    return {
        "static": sample,
        "organizations": org,
        "organizations-ous": ous,
        "static-cn-overrides": overrides,
    }


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {v!r}")


def to_toml(doc):
    """The small TOML the accounts file uses: tables of scalars and lists, and arrays of tables."""
    lines = []
    for key, value in doc.items():
        tables = value if isinstance(value, list) else [value]
        for table in tables:
            lines.append(f"[[{key}]]" if isinstance(value, list) else f"[{key}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
            lines.append("")
    return "\n".join(lines)


def print_permissions(trailhub, name, cfg_path, out, templates_dir):
    """Writes a variant's policies (central and member) into `out` and its member-role template into
    `templates_dir` (checkov reads a folder), full and read-only. Returns {file: parsed JSON} for each."""
    policies, templates = {}, {}
    for read_only in (False, True):
        tag = f"{name}{'.read-only' if read_only else ''}"
        extra = ["--read-only"] if read_only else []
        base = [trailhub, "--config", str(cfg_path)]
        both = json.loads(run(base + ["--format", "json", "permissions"] + extra))
        for who in ("central", "member"):
            f = out / f"{tag}.{who}.json"
            f.write_text(json.dumps(both[who], indent=2))
            policies[f] = both[who]
        f = templates_dir / f"{tag}.template.json"
        f.write_text(run(base + ["--format", "cloudformation", "permissions"] + extra))
        templates[f] = json.loads(f.read_text())
    return policies, templates


def run(cmd, ok=(0,)):
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode not in ok:
        sys.exit(f"lint-iam: `{' '.join(map(str, cmd))}` exited {p.returncode}:\n{p.stderr}{p.stdout}")
    return p.stdout


# --- the canary: a policy with one of each finding, so that a linter that runs but sees nothing fails ----

CANARY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Unknown", "Effect": "Allow", "Action": "s3:NoSuchAction", "Resource": "arn:aws:s3:::canary"},
        {"Sid": "WriteOnStar", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        {"Sid": "Mismatch", "Effect": "Allow", "Action": "kms:CreateAlias", "Resource": "arn:aws:s3:::canary"},
    ],
}
CANARY_EXPECTED = {
    ("cfn-lint", "W3037"),
    ("parliament", "UNKNOWN_ACTION"),
    ("parliament", "RESOURCE_STAR"),
    ("parliament", "RESOURCE_MISMATCH"),
    ("checkov", "CKV_AWS_111"),
}


def write_canary(out, templates_dir):
    policy = out / "canary.policy.json"
    policy.write_text(json.dumps(CANARY_POLICY, indent=2))
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    template = templates_dir / "canary.template.json"
    role = {"AssumeRolePolicyDocument": trust, "Policies": [{"PolicyName": "canary", "PolicyDocument": CANARY_POLICY}]}
    doc = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"CanaryRole": {"Type": "AWS::IAM::Role", "Properties": role}}}
    template.write_text(json.dumps(doc, indent=2))
    return policy, template


# --- the findings -----------------------------------------------------------------------------------


@dataclass
class Finding:
    tool: str
    code: str
    subject: str  # what the allow-list matches: an action, a resource, a rule's message
    where: str  # the file, and the statement or the template path
    message: str

    def key(self):
        return f"{self.tool} {self.code} {self.subject}"


def sids_with(policy, action):
    """The Sids of the statements of `policy` that grant `action`."""
    sids = []
    for s in policy.get("Statement", []):
        actions = s.get("Action", [])
        if action in (actions if isinstance(actions, list) else [actions]):
            sids.append(s.get("Sid", "?"))
    return ",".join(sids) or "?"


def access_level(action):
    service, _, name = action.partition(":")
    try:
        return get_privilege_info(service, name)["access_level"]
    except Exception:
        return "Unknown"


def cfn_lint(bin_dir, templates):
    # its exit code is a sum of bits: 2 errors, 4 warnings, 8 informational (1: it could not run)
    out = run([bin_dir / "cfn-lint", "--format", "json", "--", *map(str, templates)], ok=range(0, 16, 2))
    for m in json.loads(out or "[]"):
        path = "/".join(map(str, m["Location"]["Path"]))
        yield Finding(
            "cfn-lint",
            m["Rule"]["Id"],
            path,
            f"{Path(m['Filename']).name} {path}",
            f"{m['Level']}: {m['Message'][:200]}",
        )


def parliament(bin_dir, policies, by_rule):
    """parliament's CLI on each policy (`--string`: `--file` misreads a stdin that is not a terminal).
    RESOURCE_STAR and RESOURCE_MISMATCH name their actions: one finding per action."""
    for f, policy in policies.items():
        out = run([bin_dir / "parliament", "--json", "--string", json.dumps(policy)], ok=(0, 1))
        for line in out.splitlines():
            p = json.loads(line)
            issue, detail = p["issue"], p["detail"]
            if issue == "RESOURCE_STAR":
                for action in detail:
                    where = f"{f.name} statement {sids_with(policy, action)}"
                    level = access_level(action)
                    if level in ("Read", "List"):
                        by_rule.append(f"{action} ({level}) in {where}")
                        continue
                    yield Finding("parliament", issue, action, where, f"{level} action on Resource *")
            elif issue == "RESOURCE_MISMATCH":
                for d in detail:
                    where = f"{f.name} statement {sids_with(policy, d['action'])}"
                    yield Finding("parliament", issue, d["action"], where, f"needs {d['required_format']}")
            elif issue == "RESOURCE_POLICY_PRIVILEGE_ESCALATION":
                m = re.search(r"on (\S+) due to (\S+) not being allowed, but does allow (\S+)", detail)
                subject = m.group(3) if m else str(detail)
                message = f"{m.group(3)} on {m.group(1)}, {m.group(2)} not" if m else str(detail)
                yield Finding("parliament", issue, subject, f.name, message)
            else:
                yield Finding("parliament", issue, json.dumps(detail), f.name, p["title"])


def checkov(bin_dir, templates):
    """checkov's cloudformation checks on the templates. A check built on cloudsplaining (CKV_AWS_107 to
    111: unconstrained writes, privilege escalation...) gives one finding per action it objects to, so
    that allowing one action never hides another."""
    folder = templates[0].parent
    out = run(
        [bin_dir / "checkov", "--directory", str(folder), "--framework", "cloudformation",
         "--skip-download", "--output", "json", "--quiet"],
        ok=(0, 1),
    )
    report = json.loads(out) if out.strip() else {}
    if isinstance(report, list):  # several frameworks: one report each
        report = {
            "results": {"failed_checks": [c for r in report for c in r["results"]["failed_checks"]]},
            "summary": {
                k: sum(r["summary"][k] for r in report) for k in ("parsing_errors", "resource_count")
            },
        }
    summary = report.get("summary", {}) if report else {}
    expected = sum(resource_count(t) for t in templates)
    if summary.get("parsing_errors") or summary.get("resource_count") != expected:
        # a template checkov cannot read has no failed check: that must not pass as clean
        read = f"{summary.get('resource_count')} of the {expected} resources of {len(templates)} templates"
        yield Finding("checkov", "PARSING_ERROR", str(folder), str(folder), f"read {read}: it could not parse one")
    failed = report.get("results", {}).get("failed_checks", []) if report else []
    for c in failed:
        where = f"{Path(c['file_path']).name} {c['resource']}"
        actions = cloudsplaining_actions(c["check_id"], folder / Path(c["file_path"]).name, c["resource"])
        for subject in actions or [c["resource"].split(".", 1)[-1]]:
            yield Finding("checkov", c["check_id"], subject, where, c["check_name"])


def resource_count(template):
    """How many resources a template declares (the member role, and the delivery roles' boundary policy
    beside it): what checkov must have read."""
    text = template.read_text()
    try:
        doc = json.loads(text)
    except ValueError:
        import yaml  # cfn-lint's dependency, in the venv

        doc = yaml.load(text, Loader=yaml.BaseLoader)
    return len(doc.get("Resources", {}))


def cloudsplaining_actions(check_id, template, resource):
    from checkov.cloudformation.checks.resource.registry import cfn_registry
    from cloudsplaining.scan.policy_document import PolicyDocument

    check = cfn_registry.get_check_by_id(check_id)
    if not hasattr(check, "cloudsplaining_analysis"):
        return []
    props = json.loads(template.read_text())["Resources"][resource.split(".", 1)[1]]["Properties"]
    found = []
    for p in props.get("Policies", []):
        for v in check.cloudsplaining_analysis(PolicyDocument(p["PolicyDocument"])) or []:
            found.append(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
    return found


# --- the allow-list ---------------------------------------------------------------------------------


@dataclass
class Allowed:
    tool: str
    code: str
    subject: str  # a glob (fnmatch)
    reason: str
    line: int
    used: int = 0

    def matches(self, f):
        return self.tool == f.tool and self.code == f.code and fnmatch.fnmatchcase(f.subject, self.subject)


def read_allow_list(path, docs):
    """`TOOL CODE SUBJECT REASON...` a line; a line starting with `#` is a comment. Each entry's CODE, and
    its SUBJECT in backticks, must appear in the docs section, where the reason is explained."""
    entries, errors = [], []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[0] not in LINTERS:
            errors.append(f"{path}:{n}: want `TOOL CODE SUBJECT REASON` with TOOL one of {', '.join(LINTERS)}")
            continue
        e = Allowed(parts[0], parts[1], parts[2], parts[3], n)
        if e.code not in docs or f"`{e.subject}`" not in docs:
            errors.append(
                f"{path}:{n}: {e.code} and `{e.subject}` (in backticks) must both appear in {DOCS_SECTION}, "
                "which explains why the finding is allowed"
            )
        entries.append(e)
    return entries, errors


def docs_section(text, heading="## What the linters say"):
    """The section of the docs page that explains the allowed findings ("" when there is none)."""
    start = text.find("\n" + heading)
    if start < 0:
        return ""
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


# --- main -------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trailhub", required=True)
    ap.add_argument("--sample", required=True, type=Path)
    ap.add_argument("--allow", required=True, type=Path)
    ap.add_argument("--docs", required=True, type=Path)
    ap.add_argument("--keep", type=Path, help="write the printed policies and templates here")
    args = ap.parse_args()
    bin_dir = Path(sys.executable).parent

    allowed, errors = read_allow_list(args.allow, docs_section(args.docs.read_text()))
    for e in errors:
        print(f"lint-iam: {e}")

    with tempfile.TemporaryDirectory(prefix="lint-iam.") as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        (out / "templates").mkdir(exist_ok=True)
        policies, templates = {}, {}
        for name, doc in variants(tomllib.loads(args.sample.read_text())).items():
            cfg = out / f"{name}.toml"
            cfg.write_text(to_toml(doc))
            p, t = print_permissions(args.trailhub, name, cfg, out, out / "templates")
            policies.update(p)
            templates.update(t)
        canary_policy, canary_template = write_canary(out, out / "templates")
        by_rule = []
        found = [
            *cfn_lint(bin_dir, sorted(templates) + [canary_template]),
            *parliament(bin_dir, {**policies, canary_policy: CANARY_POLICY}, by_rule),
            *checkov(bin_dir, sorted(templates) + [canary_template]),
        ]
    findings = [f for f in found if not f.where.startswith("canary.")]
    canary = {(f.tool, f.code) for f in found if f.where.startswith("canary.")} & CANARY_EXPECTED
    for tool, code in sorted(CANARY_EXPECTED - canary):
        errors.append(f"{tool} did not report {code} on the canary (a policy made to have it): is it running?")
        print(f"lint-iam: {errors[-1]}")

    unexplained, allowed_n = [], 0
    for f in findings:
        entry = next((a for a in allowed if a.matches(f)), None)
        if entry:
            entry.used += 1
            allowed_n += 1
        else:
            unexplained.append(f)

    # one line per finding, with every file it is in
    grouped = {}
    for f in unexplained:
        grouped.setdefault((f.key(), f.message), []).append(f.where)
    for (key, message), wheres in grouped.items():
        print(f"lint-iam: UNEXPLAINED {key}: {message}; in {'; '.join(wheres)}")
    if grouped:
        print(
            "lint-iam: for each UNEXPLAINED line, scope the grant in src/permissions/ (to trailhub's own "
            "resources, or by a condition), or, when the grant is needed as it is or the linter is wrong, "
            f"add `TOOL CODE SUBJECT REASON` to {args.allow} and explain it in {DOCS_SECTION}",
        )
    stale = [a for a in allowed if not a.used]
    for a in stale:
        print(
            f"lint-iam: note: {args.allow}:{a.line} `{a.tool} {a.code} {a.subject}` matched nothing: "
            f"remove it, and its paragraph in {DOCS_SECTION}",
        )

    versions = ", ".join(f"{t} {version(t)}" for t in LINTERS)
    print(
        f"lint-iam: {versions} on {len(policies)} policies and {len(templates)} templates of "
        f"{len(templates) // 2} accounts files: {len(grouped)} unexplained ({len(unexplained)} findings), "
        f"{allowed_n} allowed "
        f"({args.allow.name}, {len(allowed) - len(stale)} of {len(allowed)} entries used), "
        f"{len(by_rule)} reads on Resource * (allowed by rule); canary {len(canary)} of {len(CANARY_EXPECTED)} caught"
    )
    return 1 if unexplained or errors else 0


def version(dist):
    from importlib.metadata import version as v

    return v(dist)


if __name__ == "__main__":
    sys.exit(main())
