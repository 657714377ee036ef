"""PHP: composer.json names Laravel or Symfony; a bare index.php is served by PHP's built-in server."""
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
    _plain_php(repo, found)


def _plain_php(repo: RepoView, found: Findings) -> None:
    """index.php in the repository root or its public/ folder, with no framework around it."""
    if found.services_at("."):
        return
    for docroot in (".", "public"):
        page = repo.in_root(".", "index.php" if docroot == "." else "public/index.php")
        if page is None:
            continue
        draft = found.add_service(".")
        draft.claim("runtime", "php", page, None, "index.php with no framework", Rank.MANIFEST)
        if repo.in_root(".", "composer.json"):
            draft.claim("build_command", "composer install --no-dev --optimize-autoloader", "composer.json", None,
                        "install dependencies", Rank.SCRIPT)
        draft.claim("start_command", f"php -S 0.0.0.0:{{port}} -t {docroot}", page, None,
                    "PHP built-in web server", Rank.DEFAULT - 10)
        draft.claim("port", 8000, None, None, "PHP built-in server default port", Rank.DEFAULT)
        return
