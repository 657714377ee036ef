"""PHP: composer.json names Laravel (or another framework served by the built-in server)."""
from __future__ import annotations

import json
import re

from ..draft import Findings, Rank
from ..repo import RepoView, is_app_path, parent_of

_LARAVEL = re.compile(r'"laravel/framework"')
_SYMFONY = re.compile(r'"symfony/framework-bundle"')


def detect(repo: RepoView, found: Findings) -> None:
    for rel in repo.named("composer.json"):
        root = parent_of(rel)
        if not is_app_path(root):
            continue
        try:
            json.loads(repo.read(rel) or "")
        except ValueError:
            continue
        if hit := repo.first(rel, _LARAVEL):
            framework, start = "laravel", "php artisan serve --host=0.0.0.0 --port={port}"
        elif hit := repo.first(rel, _SYMFONY):
            framework, start = "symfony", "php -S 0.0.0.0:{port} -t public"
        else:
            continue
        draft = found.add_service(root)
        draft.claim("runtime", "php", rel, None, "composer.json present", Rank.MANIFEST)
        draft.claim("framework", framework, rel, hit[0], f"requires {hit[1].group(0)}", Rank.MANIFEST)
        draft.claim("build_command", "composer install --no-dev --optimize-autoloader", rel, None,
                    "install dependencies", Rank.SCRIPT)
        draft.claim("start_command", start, rel, hit[0], f"{framework} server", Rank.DEFAULT - 10)
        draft.claim("port", 8000, None, None, f"{framework} default port", Rank.DEFAULT)
