#!/usr/bin/env python3
"""CDK app entry for the stock CDK CLI: `npx cdk synth -c plan=examples/express-postgres/hivemind.yaml`.

The stacks are those `hivemind deploy` would deploy (same builder, stack names, tags, context and
synthesizer), minus the cdk-nag and cfn-lint passes. When the plan is deployed, the app renders
what runs (live artifact, colours, weights, images), so `cdk diff` right after `hivemind deploy`
is empty. Context keys (`plan`, `deployment`, `release`, `stage`, `xray`, `colors`): see
hivemind/synth/stock_cli.py. cdk.json runs this file through scripts/cdk-app, which finds the
project's Python whatever PATH `npx` sets.
"""
import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_DEPRECATED", "quiet")

import aws_cdk as cdk  # noqa: E402

from hivemind.synth.stock_cli import main  # noqa: E402

if __name__ == "__main__":
    # An App only to read the context the CLI passed (-c, cdk.json, cdk.context.json).
    main(cdk.App().node.try_get_context)
