"""Whether a match on a line sits in a comment of that file's language: a commented-out route,
driver or URL is never evidence."""
from __future__ import annotations

import re

HASH_COMMENTS = (".py", ".rb", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".properties", ".neon", ".sh", ".conf")
SLASH_COMMENTS = (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".java", ".kt", ".cs", ".prisma", ".php",
                  ".rs", ".scala", ".groovy", ".gradle", ".kts")


def commented(rel: str, line: str, start: int) -> bool:
    """True when the text at `start` of `line` (from file `rel`) is inside a comment."""
    before = line[:start]
    stripped = before.lstrip()
    leaf = rel.rsplit("/", 1)[-1].lower()
    if rel.endswith(SLASH_COMMENTS):
        if stripped.startswith(("*", "/*")) or re.search(r"(?<![:\w])//", before):
            return True
    hashes = rel.endswith(HASH_COMMENTS) or rel.endswith(".php") or "env" in leaf
    # PHP 8 attributes (#[Route('/health')]) start with '#' but are code.
    if hashes and re.search(r"(?:^|\s)#(?!\[)", before):
        return True
    if rel.endswith(".properties") and stripped.startswith("!"):
        return True
    if rel.endswith((".html", ".xml", ".vue", ".svelte")) and "<!--" in before and "-->" not in before:
        return True
    return False
