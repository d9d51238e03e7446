#!/usr/bin/env bash
# The baseline of benches/e2e.rs: onboarding accounts' CloudTrail into one central bucket the way a team
# would script it from AWS's documentation, one `aws` CLI call after another.
#
#   1. one bucket policy in the documented layout (an AclCheck and a Write statement naming every trail's
#      ARN as aws:SourceArn and every AWSLogs/<account-id>/* prefix), merged into the live policy so that
#      statements other teams keep there survive: get-bucket-policy, put-bucket-policy;
#   2. the central account's own trail, with the caller's credentials: create-trail, start-logging;
#   3. for each member account in turn: sts assume-role into OrganizationAccountAccessRole, then with those
#      credentials create-trail and start-logging.
#
# Usage: sequential-aws-cli.sh ENDPOINT_URL BUCKET REGION CENTRAL_ID CENTRAL_TRAIL MEMBERS_FILE
#   MEMBERS_FILE: one member account a line, "<account-id> <trail-name>".
# Credentials: the central account's, from the environment (AWS_ACCESS_KEY_ID, ...).
# Needs the aws CLI and jq. Each `aws` call starts a Python interpreter (~0.3-0.5 s): a real script pays
# that too.
set -euo pipefail

if [[ $# -ne 6 ]]; then
    echo "usage: $0 ENDPOINT_URL BUCKET REGION CENTRAL_ID CENTRAL_TRAIL MEMBERS_FILE" >&2
    exit 2
fi
endpoint=$1 bucket=$2 region=$3 central_id=$4 central_trail=$5 members_file=$6
role_name=OrganizationAccountAccessRole
export AWS_DEFAULT_REGION=$region

aws() { command aws --endpoint-url "$endpoint" "$@"; }

ids=("$central_id")
trails=("$central_trail")
while read -r id trail; do
    [[ -z $id ]] && continue
    ids+=("$id")
    trails+=("$trail")
done <"$members_file"
echo "onboarding ${#ids[@]} accounts (central + $((${#ids[@]} - 1)) members) into s3://$bucket" >&2

# 1. The bucket policy: the live one (if any) without our two statements, plus them, written once.
trail_arns=() log_prefixes=()
for i in "${!ids[@]}"; do
    trail_arns+=("arn:aws:cloudtrail:$region:${ids[i]}:trail/${trails[i]}")
    log_prefixes+=("arn:aws:s3:::$bucket/AWSLogs/${ids[i]}/*")
done
if ! live=$(aws s3api get-bucket-policy --bucket "$bucket" --query Policy --output text 2>/dev/null); then
    live='{"Version": "2012-10-17", "Statement": []}'
fi
policy=$(
    jq --arg bucket "$bucket" \
        --argjson arns "$(printf '%s\n' "${trail_arns[@]}" | jq -R . | jq -s .)" \
        --argjson prefixes "$(printf '%s\n' "${log_prefixes[@]}" | jq -R . | jq -s .)" '
        def ours: ["AWSCloudTrailAclCheck20150319", "AWSCloudTrailWrite20150319"];
        .Statement = ([.Statement // [] | if type == "array" then .[] else . end
                       | select(.Sid as $sid | ours | index($sid) | not)] + [
            {
                Sid: "AWSCloudTrailAclCheck20150319",
                Effect: "Allow",
                Principal: {Service: "cloudtrail.amazonaws.com"},
                Action: "s3:GetBucketAcl",
                Resource: "arn:aws:s3:::\($bucket)",
                Condition: {StringEquals: {"aws:SourceArn": $arns}}
            },
            {
                Sid: "AWSCloudTrailWrite20150319",
                Effect: "Allow",
                Principal: {Service: "cloudtrail.amazonaws.com"},
                Action: "s3:PutObject",
                Resource: $prefixes,
                Condition: {StringEquals: {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceArn": $arns
                }}
            }
        ])' <<<"$live"
)
aws s3api put-bucket-policy --bucket "$bucket" --policy "$policy"
echo "bucket policy written (${#policy} bytes)" >&2

# 2. and 3. One trail per account, logging, one account after another.
onboard() { # trail name: create the trail with the credentials in the environment, start logging
    aws cloudtrail create-trail --name "$1" --s3-bucket-name "$bucket" --is-multi-region-trail \
        --enable-log-file-validation --include-global-service-events >/dev/null
    aws cloudtrail start-logging --name "$1"
}

onboard "$central_trail"
echo "[1/${#ids[@]}] $central_id (central): ${trails[0]} logging" >&2
for ((i = 1; i < ${#ids[@]}; i++)); do
    id=${ids[i]} trail=${trails[i]}
    creds=$(aws sts assume-role --role-arn "arn:aws:iam::$id:role/$role_name" \
        --role-session-name "onboard-cloudtrail" \
        --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
    read -r key secret token <<<"$creds"
    ( # a subshell, so the next account's AssumeRole is made with the central credentials again
        export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
        onboard "$trail"
    )
    echo "[$((i + 1))/${#ids[@]}] $id: $trail logging" >&2
done
echo "done: ${#ids[@]} trails logging to s3://$bucket" >&2
