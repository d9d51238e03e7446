// trailhub's second opinion (test-time only): reads cases as JSON on stdin, runs each through
// @cloud-copilot/iam-simulate (AGPL, never shipped or linked with trailhub), writes the verdicts as JSON on
// stdout, one per case in the same order. All cases run in this one process (node starts once).
//
// A case: {"id": "...", "principal": "cloudtrail.amazonaws.com", "action": "s3:PutObject",
//          "resource": "arn:aws:s3:::b/k", "resourceAccount": "111111111111",
//          "context": {"aws:SourceAccount": "222222222222", ...},
//          "resourcePolicy": {...} | null, "rcps": [{...}, ...],
//          "identityPolicy": {...} (optional: the caller's own policy, for an IAM principal's request)}
// A verdict: {"id": "...", "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error",
//             "errors": ... (on "Error"), "ignored": [keys]}
//
// The validated run (runSimulation) checks the policies, the action and the resource, but drops every
// context key its service data does not list for the action, e.g. `kms:EncryptionContext:aws:cloudtrail:arn`
// (a variable key after a colon, which it does not match). When it dropped any, the verdict is that of its
// engine run unvalidated over the whole context, as AWS builds it (`unvalidated`); "ignored" names the keys.
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { loadPolicy } from '@cloud-copilot/iam-policy'
// iam-simulate's own engine, by file (its package exports only the index): runUnsafeSimulation, which would
// do this, loads the resource policy without a name and fails on it in 0.1.173.
import { authorize } from './node_modules/@cloud-copilot/iam-simulate/dist/esm/core_engine/CoreSimulatorEngine.js'
import { DiscoveryContextKeyConstraints } from './node_modules/@cloud-copilot/iam-simulate/dist/esm/context_keys/discoveryContextKeyConstraints.js'
import { AwsRequestImpl } from './node_modules/@cloud-copilot/iam-simulate/dist/esm/request/request.js'
import { RequestContextImpl } from './node_modules/@cloud-copilot/iam-simulate/dist/esm/requestContext.js'

const MULTI_VALUED = new Set(['aws:sourceorgpaths'])

async function read() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

function contextOf(context) {
  const out = {}
  for (const [key, value] of Object.entries(context)) {
    out[key] = MULTI_VALUED.has(key.toLowerCase()) ? [value] : value
  }
  return out
}

async function simulate(c) {
  const simulation = {
    identityPolicies: c.identityPolicy ? [{ name: 'identity', policy: c.identityPolicy }] : [],
    serviceControlPolicies: [],
    resourceControlPolicies: c.rcps.length === 0 ? [] : [{
      orgIdentifier: c.org ?? 'o-exampleorg1',
      policies: c.rcps.map((policy, i) => ({ name: `rcp-${i}`, policy }))
    }],
    resourcePolicy: c.resourcePolicy ?? undefined,
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resourceAccount },
      contextVariables: contextOf(c.context)
    }
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { id: c.id, result: 'Error', errors: response.errors }
  }
  const ignored = response.result?.ignoredContextKeys ?? []
  if (ignored.length === 0) {
    return { id: c.id, result: response.overallResult, ignored }
  }
  return { id: c.id, result: unvalidated(c), ignored }
}

// AWS's RCP at every level (runSimulation adds it; the engine alone does not).
const RCP_FULL_AWS_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }]
}

// iam-simulate's runUnsafeSimulation, with the resource policy named and RCPFullAWSAccess attached.
function unvalidated(c) {
  const named = (policy, name) => loadPolicy(policy, { name })
  const rcps = c.rcps.length === 0 ? [] : [{
    orgIdentifier: c.org ?? 'o-exampleorg1',
    policies: [named(RCP_FULL_AWS_ACCESS, 'RCPFullAWSAccess'), ...c.rcps.map((policy, i) => named(policy, `rcp-${i}`))]
  }]
  const request = new AwsRequestImpl(c.principal, { resource: c.resource, accountId: c.resourceAccount },
    c.action, new RequestContextImpl(contextOf(c.context)))
  const analysis = authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: c.identityPolicy ? [named(c.identityPolicy, 'identity')] : [],
    serviceControlPolicies: [],
    resourceControlPolicies: rcps,
    resourcePolicy: c.resourcePolicy ? named(c.resourcePolicy, 'resource') : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: { blockPublicAccess: undefined } }
  })
  return analysis.result
}

const cases = await read()
const verdicts = []
for (const c of cases) {
  try {
    verdicts.push(await simulate(c))
  } catch (e) {
    verdicts.push({ id: c.id, result: 'Error', errors: String(e && e.stack || e) })
  }
}
process.stdout.write(JSON.stringify(verdicts))
