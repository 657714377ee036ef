"""The scan on small planted modules: each way HiveMind's code hands a client around."""
from __future__ import annotations

import textwrap

from hivemind.iam.scan import scan


def _scan(tmp_path, source: str):
    module = tmp_path / "planted.py"
    module.write_text(textwrap.dedent(source))
    return scan([module])


def test_clients_through_tuples_keywords_classes_and_factories(tmp_path):
    found = _scan(tmp_path, """
        import boto3
        from hivemind.aws import client

        def _cfn(region):
            return boto3.session.Session().client("cloudformation")

        def two(region):
            ssm, elbv2 = client("ssm", region), client("elbv2", region)
            ssm.get_parameter(Name="x")
            _health(target=elbv2)

        def _health(target):
            target.describe_target_health(TargetGroupArn="t")

        class Lease:
            def __init__(self, bucket, s3):
                self.s3 = s3

            def renew(self):
                self.s3.put_object(Bucket="b", Key="k", Body=b"")

        def take(region):
            Lease("b", client("s3", region)).renew()
            _cfn(region).delete_stack(StackName="s")
    """)
    got = {(c.service, c.method) for c in found.calls}
    assert got == {("ssm", "get_parameter"), ("elbv2", "describe_target_health"), ("s3", "put_object"),
                   ("cloudformation", "delete_stack")}
    assert found.unresolved == []


def test_waiter_named_in_a_variable_and_paginators(tmp_path):
    found = _scan(tmp_path, """
        from hivemind.aws import client

        def _wait(cfn, name):
            cfn.get_waiter(name).wait(StackName="s")

        def deploy(region, create):
            cfn = client("cloudformation", region)
            _wait(cfn, "stack_create_complete" if create else "stack_update_complete")
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName="s"):
                pass
            cfn.exceptions.ClientError  # not a call
            cfn.can_paginate("describe_stacks")  # no request
    """)
    got = {(c.method, c.operation, c.via) for c in found.calls}
    assert got == {("stack_create_complete", "DescribeStacks", "waiter"),
                   ("stack_update_complete", "DescribeStacks", "waiter"),
                   ("list_stack_resources", "ListStackResources", "paginator")}


def test_what_is_not_a_client_is_not_reported(tmp_path):
    found = _scan(tmp_path, """
        import click
        from hivemind.aws import client

        def status(region):
            return client("cloudformation", region)  # the services the code uses are the ones checked

        def _runner(region):
            return object()

        def lint(region):
            return _runner(region).validate_template({})   # cfn-lint's runner, a HiveMind function's result

        def commands(group: click.Group, ctx):
            return group.list_commands(ctx)                 # typed: a click group

        def mystery(thing):
            return thing.describe_stacks()                  # nobody knows: reported
    """)
    assert found.calls == []
    assert [u.method for u in found.unresolved] == ["describe_stacks"]
