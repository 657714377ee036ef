"""Ruby: the Gemfile names Rails or Sinatra (web) and Sidekiq (worker)."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..ports import port_in_code
from ..repo import RepoView, is_app_path, parent_of


def _gem(name: str) -> re.Pattern[str]:
    return re.compile(r"""^\s*gem\s+['"]""" + re.escape(name) + r"""['"]""")


FRAMEWORKS = (("rails", "rails", 3000), ("sinatra", "sinatra", 4567), ("hanami", "hanami", 2300))
START = {
    "rails": "bundle exec rails server -b 0.0.0.0 -p {port} -e production",
    "sinatra": "bundle exec rackup --host 0.0.0.0 --port {port}",
    "hanami": "bundle exec hanami server --host 0.0.0.0 --port {port}",
}


def detect(repo: RepoView, found: Findings) -> None:
    for rel in repo.named("Gemfile"):
        root = parent_of(rel)
        if not is_app_path(root):
            continue
        web = next(((name, default, hit[0]) for gem, name, default in FRAMEWORKS if (hit := repo.first(rel, _gem(gem)))), None)
        if web:
            name, default, line = web
            draft = found.add_service(root)
            draft.claim("runtime", "ruby", rel, None, "Gemfile present", Rank.MANIFEST)
            draft.claim("framework", name, rel, line, f"gem {name}", Rank.MANIFEST)
            build = "bundle install"
            if name == "rails":
                build += " && bundle exec rails assets:precompile"
            draft.claim("build_command", build, rel, None, "install gems", Rank.SCRIPT)
            draft.claim("start_command", START[name], rel, line, f"{name} server", Rank.DEFAULT - 10)
            files = repo.source_files(root, (".rb", ".ru"), prefer=("puma.rb", "app.rb", "config.ru"))
            if hit := port_in_code(repo, files, "rb"):
                port, path, line, why = hit
                draft.claim("port", port, path, line, why, Rank.CODE)
            draft.claim("port", default, None, None, f"{name} default port", Rank.DEFAULT)
        if hit := repo.first(rel, _gem("sidekiq")):
            worker = found.add_service(root, "worker")
            worker.claim("kind", "worker", rel, hit[0], "gem sidekiq, a job worker", Rank.MANIFEST)
            worker.claim("runtime", "ruby", rel, None, "Gemfile present", Rank.MANIFEST)
            worker.claim("framework", "sidekiq", rel, hit[0], "gem sidekiq", Rank.MANIFEST)
            worker.claim("build_command", "bundle install", rel, None, "install gems", Rank.SCRIPT)
            worker.claim("start_command", "bundle exec sidekiq", rel, hit[0], "sidekiq worker", Rank.DEFAULT - 10)
