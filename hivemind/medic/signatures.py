"""The generic tier of the catalogue: one signature family per category, built from AWS's error-code
families and message shapes, tried only when no specific rule (rules.RULES) matched.

The specific rules carry plan patches and precise explanations; this tier makes sure that a text they
were never written for still lands in the right category, with the category's default verdict on
whether a retry alone fixes it.

Precedence (first match wins), and why:
 1. stack_state   CloudFormation refuses the operation before it touches any resource, and says so inside
                  a ValidationError ("Stack ... is in UPDATE_IN_PROGRESS state and can not be updated").
 2. kms           KMS reports key-policy and key-state problems as AccessDeniedException / NotFoundException;
                  the key, not the caller's IAM policy, is what must change.
 3. permission    IAM evaluates the request before the service looks at it, so an access error is the first
                  thing that failed even when the service wraps it (Lambda: InvalidParameterValueException
                  "execution role does not have permissions to call CreateNetworkInterface").
 4. capacity      Insufficient*Capacity texts also say "try again later"; they must not read as throttling.
 5. throttling    RequestLimitExceeded / TooManyRequests are rate limits, not quotas (checked before quota).
 6. quota         *LimitExceeded, QuotaExceeded, "maximum number of", account-level limits.
 7. name_conflict "already exists" / "already exported" / "already in use" by a name.
 8. dependency    DependencyViolation, ResourceInUse, "in use", "not empty", "has dependencies".
 9. network       connection failures and exhausted subnet addresses (before health_timeout: "connect timeout").
10. health_timeout "did not stabilize", "timed out", signals and custom-resource responses never received.
11. not_found     NotFound / NoSuch* / "does not exist": AWS also uses these for things a wrapper names.
12. invalid_config Validation* / Invalid* / "must be" / "not supported": last, because AWS wraps most other
                  causes in ValidationError or InvalidParameterValue.
"""
from __future__ import annotations

import re

from . import rules
from .models import RetryVerdict
from .rules import Context, Finding, Rule

_I = "(?i)"

# What a retry alone does, per category, when nothing more specific is known (the definitions:
# transient or ordering problems are "sometimes"; anything the user must change is False).
CATEGORY_RETRY: dict[str, RetryVerdict] = {
    "stack_state": False, "kms": False, "permission": False, "capacity": "sometimes", "throttling": True,
    "quota": False, "name_conflict": False, "dependency": "sometimes", "network": "sometimes",
    "health_timeout": False, "not_found": False, "invalid_config": False,
}

# What a category means and what to do about it, in plain words, for an answer that names no rule (the text
# classifier's): the specific explanation and any plan patch only come from a rule that matched.
CATEGORY_ADVICE: dict[str, tuple[str, str]] = {
    "stack_state": ("the stack is in a state that refuses this operation",
                    "Let the running operation finish, or bring the stack back to a stable state, then retry."),
    "kms": ("a KMS key refused the request (its key policy, its state, or its grants)",
            "Check the key's policy and state (enabled, not pending deletion) for the role that used it."),
    "permission": ("the caller is not allowed to perform an action this deployment needs",
                   "Add the missing action to the deploying role's policy (the message names it), then retry."),
    "capacity": ("AWS has no capacity for this resource in the zone or region requested right now",
                 "Retry later, or choose another instance size, family or Availability Zone."),
    "throttling": ("AWS throttled the request or answered with a transient error", "Retry; it should pass."),
    "quota": ("an account quota or a service limit was reached",
              "Raise the quota in Service Quotas, or ask for fewer of the resource."),
    "name_conflict": ("a resource with that name already exists", "Choose another name, or delete or import the "
                                                                  "existing resource."),
    "dependency": ("the operation ran into another resource that depends on this one or that it depends on",
                   "Remove or detach the dependent resource first, or let the other operation finish, then retry."),
    "network": ("a network connection to or from AWS failed",
                "Check the endpoint, the region, the VPC routes and security groups, then retry."),
    "health_timeout": ("the resource did not become ready in time",
                       "Find what kept it from becoming ready (its logs, the instance's boot log), fix that, retry."),
    "not_found": ("something the deployment refers to does not exist",
                  "Check the name, id or region of the resource the message names, or create it first."),
    "invalid_config": ("a property or parameter value is not valid for this resource",
                       "Correct the value the message names in hivemind.yaml, then retry."),
}

_EXPLAIN_DOC = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html"


def _stack_state(ctx: Context, m: re.Match) -> Finding:
    busy = re.search(r"(?i)_IN_PROGRESS\b|in progress", ctx.message) is not None
    state = rules._first(r"\b([A-Z]+(?:_[A-Z]+)*_(?:IN_PROGRESS|COMPLETE|FAILED))\b", ctx.message)
    if busy:
        return Finding(root_cause=f"a stack or change set is still busy with another operation ({state or 'in progress'})",
                       fix="Wait for the running operation to finish, then retry.", retry="sometimes")
    return Finding(root_cause=f"the stack is in a state ({state or 'see the message'}) that refuses this operation",
                   fix="Bring the stack back to a stable state (continue the rollback, or delete a stack that never "
                       "finished its first creation), then retry.", retry=False)


def _generic(category: str, what: str, fix: str):
    def explain(ctx: Context, m: re.Match) -> Finding:
        return Finding(root_cause=f"{what}: {rules._around(ctx.message, m)}", fix=fix)

    explain.__name__ = f"_{category}_generic"
    return explain


def _capacity(ctx: Context, m: re.Match) -> Finding:
    finding = rules._capacity(ctx, m)
    if re.search(r"(?i)unavailable in this region|choose another zone", ctx.message):
        finding.retry = False  # the zone does not offer it at all: the same request fails again
    return finding


def _quota(ctx: Context, m: re.Match) -> Finding:
    finding = rules._quota(ctx, m)
    if re.search(r"(?i)simultaneous|concurrent(?:ly)? (?:operations?|requests?|updates?)", ctx.message):
        # a limit on operations at once, not on resources: the next attempt may pass, fewer at once always does
        finding.retry = "sometimes"
    return finding


def _addresses(ctx: Context, m: re.Match) -> Finding:
    subnet = rules._first(r"(subnet-[0-9a-f]+)", ctx.message)
    return Finding(root_cause=f"the subnet{' ' + subnet if subnet else ''} has no free IP addresses left for new "
                              "network interfaces",
                   fix="Free addresses (delete unused network interfaces) or use larger or more subnets; retrying "
                       "as is fails the same way.", retry=False)


def _sig(id_: str, category: str, source: str, patterns: tuple[str, ...], explain) -> Rule:
    return Rule(id_, category, CATEGORY_RETRY[category], source, patterns, explain)


GENERIC: tuple[Rule, ...] = (
    _sig("generic.stack-state", "stack_state",
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html",
         # a stack status named as the state that refuses the operation ("... can not be updated", "cannot be
         # deleted while in ..."), in a text about a stack or change set; a waiter that met a terminal status
         (r"(?is)^(?=.*\b(?:stacks?|change ?sets?)\b)(?=.*\b(?:can ?not|cannot|can't|while in)\b).*?"
          r"\b(?:is|in|status|state)[: ]+(?:the )?[A-Z]+(?:_[A-Z]+)*_(?:IN_PROGRESS|COMPLETE|FAILED)\b",
          r"expected path: \"[A-Z]+(?:_[A-Z]+)*_(?:COMPLETE|FAILED)\"",
          r"(?i)\bchange ?set\b[^.]*\bcurrently in progress|InvalidChangeSetStatus|another operation is in progress"),
         _stack_state),
    _sig("generic.kms", "kms", "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
         (r"KMSInvalidState\w*|KMSAccessDenied\w*|KMSNotFound\w*|\bKMS\b|\bkms:\w+|:kms:",
          _I + r"customer master key|\bcmk\b|\bkey\b[^.]{0,80}\b(?:is disabled|pending (?:deletion|import))"),
         rules._kms_access),
    _sig("generic.permission", "permission",
         "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html",
         (r"AccessDenied\w*|UnauthorizedOperation|Unauthorized\w*Exception|AuthorizationError|Forbidden\w*|"
          r"NotAuthorized\w*|Status Code: 403\b",
          _I + r"not authori[sz]ed to|does(?:n't| not) have (?:the )?(?:required )?permissions?\b|"
          r"access (?:has been |was |is )?denied|permission denied|missing permissions?|insufficient permissions?|"
          r"explicit deny|no identity-based policy allows"),
         rules._permission),
    _sig("generic.capacity", "capacity", "https://repost.aws/knowledge-center/ec2-insufficient-capacity-errors",
         (r"Insufficient\w*Capacity",
          _I + r"insufficient (?:\w+ )?capacity|not enough capacity|sufficient capacity|capacity (?:is )?(?:not )?"
          r"(?:available|unavailable)|out of capacity|\bzones?\b[^.]{0,80}\b(?:is|are) unavailable in this region"),
         _capacity),
    _sig("generic.throttling", "throttling", "https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html",
         (r"Throttl\w*|RequestLimitExceeded|TooManyRequests\w*|SlowDown|PriorRequestNotComplete|"
          r"InternalFailure|Internal ?Error|InternalServerError|ServiceUnavailable\w*|ServerException|"
          r"Status Code: (?:429|5\d\d)\b|StatusCode: (?:429|5\d\d)\b",
          _I + r"rate exceeded|rate limit|too many requests|service (?:is )?(?:temporarily |currently )?unavailable|"
          r"try again later"),
         rules._throttled),
    _sig("generic.quota", "quota", rules.CFN_TROUBLESHOOTING + "#troubleshooting-errors-limit-exceeded",
         (r"\w*LimitExceeded\w*|\w*QuotaExceeded\w*|TooMany\w+",
          _I + r"\bquotas?\b|maximum number of|service limit|account[- ]level limit|limit of \d+|limit exceeded|"
          r"account'?s\b[^.]*\b(?:minimum|maximum) value|exceeds? (?:the |your )?(?:\w+ )?(?:limit|maximum)|"
          r"size must be smaller than|exceeds? the maximum (?:allowed )?size|size limit"),
         _quota),
    _sig("generic.name-conflict", "name_conflict",
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html",
         (r"\w*AlreadyExists\w*|Duplicate\w*|\w*Conflict(?:Exception)?\b(?<!DeleteConflict)",
          _I + r"already (?:exists|exported|in use|been taken|taken|registered|associated|owned)|name is taken|"
          r"(?:is|are) not unique|must be unique|exists with the same name"),
         rules._name_conflict),
    _sig("generic.dependency", "dependency",
         "https://repost.aws/knowledge-center/troubleshoot-dependency-error-delete-vpc",
         # ... and a resource not yet (or no longer) in the state the call needs: an ordering problem
         (r"DependencyViolation|ResourceInUse\w*|DeleteConflict|\w*NotEmpty\w*|Incorrect\w*State\w*",
          _I + r"\bin use\b|not empty|has dependen|dependent object|still (?:attached|associated|referenced|has)|"
          r"cannot be deleted|can ?not delete|must (?:detach|delete|remove)"),
         rules._dependency_violation),
    _sig("generic.network-addresses", "network",
         "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html",
         (r"InsufficientFreeAddresses\w*|InsufficientCidrBlocks|IpAddressGenerationFailure",
          _I + r"(?:free|available) (?:ip|ipv4|ipv6|private ip)? ?addresses"),
         _addresses),
    _sig("generic.network", "network", "https://docs.aws.amazon.com/general/latest/gr/rande.html",
         (_I + r"could not connect|unable to connect|connect(?:ion)? (?:timed out|timeout|refused|reset|closed|error)|"
          r"network (?:is )?unreachable|no route to host|dns (?:resolution|lookup)|name resolution|\beconn\w+|\benotfound\b|"
          r"\betimedout\b|i/o timeout|dial tcp|connection issue",),
         rules._network),
    _sig("generic.health-timeout", "health_timeout", rules.CFN_TROUBLESHOOTING,
         (_I + r"did not stabili[sz]e|failed to stabili[sz]e|timed out|time ?out|did not receive (?:a )?response|"
          r"resource signal|health ?checks?|unhealthy|did not (?:become|reach) (?:ready|healthy|a stable)|"
          r"failed to join|NodeCreationFailure",),
         _generic("health_timeout", "the resource did not become ready in time",
                  "Find what kept it from becoming ready (its logs, the custom resource's Lambda log, the "
                  "instance's boot log), fix that, then retry.")),
    Rule("notfound.resource", "not_found", False,
         rules.CFN_TROUBLESHOOTING + "#troubleshooting-errors-invalid-value-or-unsupported-resource-property",
         (r"\S+ does not exist|NotFound(?:Exception)?|NoSuch\w+|could not be found|cannot be found|(?i:not found)",
          _I + r"does(?:n't| not) exist|no longer exists|unable to (?:find|locate)|no default (?:vpc|subnet)"),
         rules._not_found),
    Rule("config.invalid-value", "invalid_config", False,
         rules.CFN_TROUBLESHOOTING + "#troubleshooting-errors-invalid-value-or-unsupported-resource-property",
         (r"InvalidParameter\w*|ValidationError|MalformedPolicyDocument|MissingParameter|InvalidRequest|"
          r"InsufficientCapabilities|Requires capabilities|InvalidConfiguration\w*|InvalidChangeBatch|"
          r"Invalid[A-Z]\w*|Validation\w*|Malformed\w*|Unsupported\w*",
          _I + r"properties validation failed|model validation failed|encountered unsupported property|"
          r"is not (?:a )?valid|invalid (?:value|parameter|input)|must (?:be|have|contain|specify|not)|"
          r"\bdeprecated\b|no longer supported|does(?:n't| not) (?:support|meet)|not supported|unsupported|"
          r"please (?:add|select|choose|specify|use) |is required|required key|cannot be (?:empty|null)|"
          r"(?:needs?|has) to be specified|must be specified|exactly one of"),
         rules._invalid_value),
)


def category_source(category: str) -> str:
    """The AWS page the generic tier cites for a category."""
    return next(rule.source for rule in GENERIC if rule.category == category)
