"""Child process for LintWorker: warm cfn-lint up, read [[stack, template], ...] on stdin, print findings."""
from __future__ import annotations

import json
import sys

from .lint import lint_templates, warm_up


def main(region: str) -> int:
    warm_up(region)
    templates = json.loads(sys.stdin.buffer.read())
    findings = lint_templates(((stack, template) for stack, template in templates), region)
    sys.stdout.write(json.dumps([f.to_dict() for f in findings]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
