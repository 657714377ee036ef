"""The generic tier (hivemind/medic/signatures.py): error-code families per category, in a precedence
order, below the specific rules. Texts are shaped like AWS's own (a code wrapping the service's words)."""
from __future__ import annotations

import pytest

from hivemind.medic import CATEGORIES, diagnose_message
from hivemind.medic.rules import RULES, tiers
from hivemind.medic.signatures import CATEGORY_RETRY, GENERIC


def _d(text: str):
    return diagnose_message(text, use_agent=False)


def test_the_generic_tier_comes_after_every_specific_rule_and_covers_every_category():
    assert tiers() == RULES + GENERIC
    assert {rule.category for rule in GENERIC} == set(CATEGORIES) - {"unknown"}
    assert not {rule.id for rule in GENERIC} & {rule.id for rule in RULES}
    assert set(CATEGORY_RETRY) == set(CATEGORIES) - {"unknown"}


@pytest.mark.parametrize("text, category", [
    # a wrapper code (InvalidParameterValueException, ValidationError) around the real reason: the reason wins
    ("Widget - The provided execution role does not have permissions to call CreateNetworkInterface on EC2 "
     "(Service: AWSLambdaInternal; Status Code: 400; Error Code: InvalidParameterValueException)", "permission"),
    ("An error occurred (ValidationError) when calling the UpdateStack operation: Stack:arn:aws:cloudformation:"
     "eu-west-1:111111111111:stack/shop/1 is in UPDATE_ROLLBACK_FAILED state and can not be updated.", "stack_state"),
    # capacity texts say "try again later" too; rate limits are not quotas
    ("Cannot create a cache.r6g.large node because there is insufficient capacity in eu-west-1b. Please try "
     "again later.", "capacity"),
    ("An error occurred (RequestLimitExceeded) when calling the DescribeInstances operation", "throttling"),
    ("Resource handler returned message: \"The account-level service limit 'Concurrent executions' is 10\"", "quota"),
    # KMS reports key problems with access-denied codes; the key is what must change
    ("AccessDeniedException: Access to KMS is not allowed (Service: AWSSecretsManager; Status Code: 400)", "kms"),
    ("Export with name shop-vpc-id is already exported by stack shop-network", "name_conflict"),
    ("The vpc 'vpc-0abc' has dependencies and cannot be deleted.", "dependency"),
    ("Unable to connect to the endpoint; connection refused", "network"),
    ("Resource timed out waiting for completion of the handler", "health_timeout"),
    ("The specified hosted zone Z123 doesn't exist", "not_found"),
    ("The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Add subnets to cover at "
     "least 2 AZs.", "invalid_config"),
])
def test_each_family_wins_over_the_ones_below_it(text, category):
    diagnosis = _d(text)
    assert diagnosis.category == category, diagnosis.rule
    assert diagnosis.root_cause and "docs.aws.amazon.com" in diagnosis.fix or "repost.aws" in diagnosis.fix


def test_a_generic_match_takes_its_categorys_retry_verdict_unless_the_text_says_more():
    busy = _d("Deployment failed: InvalidChangeSetStatus: An operation on this ChangeSet is currently in progress.")
    refused = _d('Waiter StackCreateComplete failed: For expression "Stacks[].StackStatus" we matched expected path: '
                 '"ROLLBACK_COMPLETE" at least once')
    assert (busy.category, busy.retry_alone_fixes) == ("stack_state", "sometimes")
    assert (refused.category, refused.retry_alone_fixes) == ("stack_state", False)
    exhausted = _d("InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses")
    assert (exhausted.category, exhausted.retry_alone_fixes) == ("network", False)
    assert _d("The request timed out while connecting: connection reset by peer").retry_alone_fixes == "sometimes"


def test_a_text_naming_no_family_stays_unknown():
    diagnosis = _d("Failed to create resource. tuple index out of range")
    assert (diagnosis.category, diagnosis.rule) == ("unknown", "unknown")
