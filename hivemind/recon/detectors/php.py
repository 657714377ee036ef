"""PHP: composer.json names Laravel or Symfony; a bare index.php is served by PHP's built-in server."""
from __future__ import annotations

import json
import re

from ..draft import Findings, Rank
from ..repo import RepoView, is_app_path, join, parent_of

_LARAVEL = re.compile(r'"laravel/framework"')
_SYMFONY = re.compile(r'"symfony/framework-bundle"')
# A queued job class: something must run `queue:work`, or the jobs pile up unprocessed.
_QUEUED_JOB = re.compile(r"\bimplements\b[^{]*\bShouldQueue\b")
_SYNC_QUEUE = re.compile(r"^\s*QUEUE_CONNECTION\s*=\s*sync\s*$")


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
        if framework == "laravel":
            _laravel_queue_worker(repo, found, root)
    _plain_php(repo, found)


def _laravel_queue_worker(repo: RepoView, found: Findings, root: str) -> None:
    """A worker running `php artisan queue:work` when the app queues jobs (ShouldQueue) and its
    env sample does not run them inline (QUEUE_CONNECTION=sync). A Procfile, if any, decides later."""
    sample = repo.in_root(root, ".env.example")
    if sample and repo.first(sample, _SYNC_QUEUE):
        return
    jobs = [rel for rel in repo.source_files(root, (".php",)) if "/Jobs/" in f"/{rel}"]
    hit = next(((rel, h[0]) for rel in jobs if (h := repo.first(rel, _QUEUED_JOB))), None)
    if hit is None:
        return
    rel, line = hit
    worker = found.add_service(root, "worker")
    worker.claim("kind", "worker", rel, line, "queued job (ShouldQueue): needs a queue worker", Rank.CODE)
    worker.claim("runtime", "php", rel, None, "composer.json present", Rank.MANIFEST)
    worker.claim("framework", "laravel-queue", rel, line, "Laravel queued job", Rank.CODE)
    worker.claim("build_command", "composer install --no-dev --optimize-autoloader", join(root, "composer.json"), None,
                 "install dependencies", Rank.SCRIPT)
    worker.claim("start_command", "php artisan queue:work --tries=3", rel, line, "Laravel queue worker",
                 Rank.DEFAULT - 10)


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
