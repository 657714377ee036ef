"""Release commands the framework implies when the repository declares none: the app has a
server database and migrations to apply, so they run once per release, before traffic moves."""
from __future__ import annotations

from ..draft import Findings, Rank, ServiceDraft
from ..merge import SERVER_ENGINES, choose_engine
from ..repo import RepoView, join

RANK = Rank.DEFAULT - 10


def _has_files(repo: RepoView, root: str, suffix: str) -> str | None:
    prefix = "" if root == "." else root + "/"
    return next((rel for rel in repo.files if rel.startswith(prefix) and rel.endswith(suffix)), None)


def detect(repo: RepoView, found: Findings) -> None:
    engine = choose_engine(found)
    if engine is None or engine.value not in SERVER_ENGINES:
        return  # nothing to migrate on RDS (SQLite lives on each instance; MongoDB has no schema)
    for draft in found.services:
        if draft.role != "web" or draft.best("release_command"):
            continue
        _default(repo, draft)


def _default(repo: RepoView, draft: ServiceDraft) -> None:
    root, framework = draft.root, draft.value("framework")
    if framework == "django":
        manage = next((rel for rel in sorted(repo.named("manage.py"), key=lambda r: r.count("/"))
                       if root == "." or rel.startswith(root + "/")), None)
        migrations = _has_files(repo, root, "/migrations/__init__.py")
        if manage and migrations:
            inside = manage if root == "." else manage[len(root) + 1:]
            draft.claim("release_command", f"python {inside} migrate --noinput", migrations, None,
                        "Django app with migrations and a database", RANK)
        return
    if framework == "rails" and (schema := repo.in_root(root, "db/schema.rb") or _has_files(repo, join(root, "db/migrate"), ".rb")):
        draft.claim("release_command", "bundle exec rails db:prepare", schema, None,
                    "Rails app with a database schema", RANK)
        return
    if framework == "laravel" and (migration := _has_files(repo, join(root, "database/migrations"), ".php")):
        draft.claim("release_command", "php artisan migrate --force", migration, None, "Laravel migrations", RANK)
        return
    if lock := repo.in_root(root, "prisma/migrations/migration_lock.toml"):
        draft.claim("release_command", "npx prisma migrate deploy", lock, None, "Prisma migrations", RANK)
        return
    if ini := repo.in_root(root, "alembic.ini"):
        draft.claim("release_command", "alembic upgrade head", ini, None, "Alembic migrations", RANK)
        return
