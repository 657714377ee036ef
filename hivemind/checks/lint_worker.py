"""Child process for LintWorker: warm cfn-lint up, read [[stack, template], ...] on stdin, print findings.

(Forking helpers to lint templates in parallel was measured slower than one warm process.)
"""
from __future__ import annotations

import json
import os
import sys

from .lint import lint_templates, warm_up


def main(region: str) -> int:
    warm_up(region)
    templates = json.loads(sys.stdin.buffer.read())
    findings = lint_templates(((stack, template) for stack, template in templates), region)
    sys.stdout.write(json.dumps([f.to_dict() for f in findings]))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1])
    # Skip interpreter teardown: freeing cfn-lint's schemas costs ~0.3 s and the parent is waiting.
    os._exit(code)
