"""Judges what `trailhub audit --format ocsf|asff` writes, with the models the tools that read it use.

  check-findings.py ocsf FILE    every event is an OCSF Detection Finding to py-ocsf-models (the models
                                 Prowler writes its OCSF with), and holds no field those models do not know
  check-findings.py asff FILE [--endpoint URL --region R]
                                 every finding is valid input of Security Hub's BatchImportFindings, to
                                 botocore's model of the API (which refuses an unknown key, a wrong type, a
                                 missing required member), in batches of 100; with --endpoint, they are
                                 imported there (a moto server in the tests) and none may fail

Run by tests/findings.rs with the python of scripts/lint-iam's venv. Exits 1 with the reason on stderr.
"""

import json
import sys


def unknown(written, dumped, path=""):
    """The keys of `written` that the model's dump of it lost (pydantic drops fields it does not know)."""
    lost = []
    if isinstance(written, dict) and isinstance(dumped, dict):
        for key, value in written.items():
            if key not in dumped:
                lost.append(f"{path}.{key}")
            else:
                lost += unknown(value, dumped[key], f"{path}.{key}")
    elif isinstance(written, list) and isinstance(dumped, list):
        for i, (w, d) in enumerate(zip(written, dumped)):
            lost += unknown(w, d, f"{path}[{i}]")
    return lost


def ocsf(path):
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding

    with open(path) as f:
        events = json.load(f)
    if not isinstance(events, list) or not events:
        sys.exit(f"{path}: not a non-empty JSON array of events")
    for i, event in enumerate(events):
        try:
            model = DetectionFinding.model_validate(event)
        except Exception as e:  # pydantic's ValidationError names each field
            sys.exit(f"{path}: event {i} ({event.get('finding_info', {}).get('uid')}): {e}")
        lost = unknown(event, json.loads(model.model_dump_json(exclude_none=True)))
        if lost:
            sys.exit(f"{path}: event {i} has fields OCSF's models do not know: {', '.join(lost)}")
    print(f"{len(events)} OCSF Detection Findings valid")


def asff(path, endpoint=None, region=None):
    import botocore.session
    from botocore.validate import ParamValidator

    with open(path) as f:
        findings = json.load(f)
    if not isinstance(findings, list) or not findings:
        sys.exit(f"{path}: not a non-empty JSON array of findings")
    session = botocore.session.get_session()
    shape = session.get_service_model("securityhub").operation_model("BatchImportFindings").input_shape
    batches = [findings[i : i + 100] for i in range(0, len(findings), 100)]
    for batch in batches:
        report = ParamValidator().validate({"Findings": batch}, shape)
        if report.has_errors():
            sys.exit(f"{path}: not valid BatchImportFindings input:\n{report.generate_report()}")
    if endpoint:
        client = session.create_client(
            "securityhub",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for batch in batches:
            answer = client.batch_import_findings(Findings=batch)
            if answer.get("FailedCount"):
                sys.exit(f"{path}: BatchImportFindings refused some: {answer.get('FailedFindings')}")
    print(f"{len(findings)} ASFF findings valid" + (" and imported" if endpoint else ""))


def main(argv):
    if len(argv) >= 3 and argv[1] == "ocsf":
        ocsf(argv[2])
    elif len(argv) >= 3 and argv[1] == "asff":
        rest = dict(zip(argv[3::2], argv[4::2]))
        asff(argv[2], rest.get("--endpoint"), rest.get("--region"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
