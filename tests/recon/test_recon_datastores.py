"""Databases and caches come from parsed manifests and live code, never from comments, dev-only
dependencies or optional branches; SQLite, H2 and MongoDB mean no RDS database, said in the plan."""
from __future__ import annotations

import json

import pytest

from hivemind.recon import analyse_repo
from hivemind.recon.manifests import parse_go_mod, parse_gemfile, parse_gradle, parse_pom, parse_pyproject
from hivemind.recon.repo import RepoView


def pkg(deps: dict, dev: dict | None = None) -> str:
    return json.dumps({"name": "x", "dependencies": deps, "devDependencies": dev or {},
                       "scripts": {"start": "node index.js"}}, indent=2)


def notes(plan, field):
    return [e for e in plan.evidence if e.field == field]


def test_go_mod_indirect_requirement_is_not_a_dependency():
    deps = parse_go_mod("module x\n\nrequire (\n\tgithub.com/lib/pq v1.10.9\n\tgithub.com/go-redis/redis/v8 v8.1 // indirect\n)\n"
                        "require github.com/gin-gonic/gin v1.9.1\n", "go.mod")
    assert [(d.name, d.line, d.dev) for d in deps] == [
        ("github.com/lib/pq", 4, False), ("github.com/go-redis/redis/v8", 5, True), ("github.com/gin-gonic/gin", 7, False)]


def test_gemfile_groups_comments_and_lockfile():
    deps = parse_gemfile("gem 'rails'\n# gem 'redis'\ngroup :development, :test do\n  gem 'sqlite3'\nend\n"
                         "gem 'pg', group: :production\n", "Gemfile")
    assert [(d.name, d.dev) for d in deps] == [("rails", False), ("sqlite3", True), ("pg", False)]


def test_pom_test_scope_and_gradle_comments():
    pom = ("<project><dependencies><dependency><groupId>com.mysql</groupId><artifactId>mysql-connector-j</artifactId>"
           "<scope>test</scope></dependency><dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId>"
           "</dependency></dependencies></project>")
    assert [(d.name, d.dev) for d in parse_pom(pom, "pom.xml")] == [
        ("com.mysql:mysql-connector-j", True), ("org.postgresql:postgresql", False)]
    gradle = ("dependencies {\n  // runtimeOnly 'com.mysql:mysql-connector-j'\n  runtimeOnly 'org.postgresql:postgresql'\n"
              "  testImplementation 'com.h2database:h2'\n}\n")
    assert [(d.name, d.line, d.dev) for d in parse_gradle(gradle, "build.gradle")] == [
        ("org.postgresql:postgresql", 3, False), ("com.h2database:h2", 4, True)]


def test_pyproject_dev_groups_and_extras():
    text = ('[project]\ndependencies = ["fastapi", "celery[redis]>=5"]\n[project.optional-dependencies]\n'
            'mysql = ["pymysql"]\n[dependency-groups]\ndev = ["psycopg2-binary"]\n')
    deps = {d.name: d for d in parse_pyproject(text, "pyproject.toml")}
    assert deps["celery"].extras == ("redis",) and deps["celery"].line == 2
    assert deps["pymysql"].optional and deps["psycopg2-binary"].dev


def test_requirements_follow_includes(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "# for Heroku\n-r requirements/prod.txt\n",
        "requirements/prod.txt": "-r common.txt\ngunicorn\npsycopg2==2.9\n",
        "requirements/common.txt": "Flask==3.0\n",
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
    }))
    web = plan.services[0]
    assert (web.runtime, web.framework, web.start_command) == ("python", "flask", "gunicorn app:app --bind 0.0.0.0:5000")
    assert plan.database.engine == "postgres"
    assert next(e for e in plan.evidence if e.field == "database.engine").source == "requirements/prod.txt:3"


@pytest.mark.parametrize("files", [
    # A commented-out adapter and URL in config.
    {"config/cache.yaml": "framework:\n  cache:\n    # app: cache.adapter.redis\n    #default_redis_provider: redis://localhost\n"},
    # A commented requirement.
    {"requirements.txt": "flask\n# redis\n"},
    # A commented JS client line.
    {"index.js": "// const redis = require('redis').createClient('redis://localhost')\n"},
    # A dev-only dependency.
    {"package.json": pkg({"express": "4"}, {"ioredis": "5"})},
])
def test_comments_and_dev_dependencies_never_count(make_repo, files):
    base = {"package.json": pkg({"express": "4"}), "index.js": "require('express')().listen(3000)\n"}
    plan = analyse_repo(make_repo({**base, **files}))
    assert plan.cache is None and plan.database is None


def test_a_url_without_its_client_library_is_not_enough(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"express": "4"}),
        ".env.example": "DATABASE_URL=postgres://u:p@localhost/app\nREDIS_URL=redis://localhost\n",
    }))
    assert plan.database is None and plan.cache is None
    reasons = {e.value: e.reason for e in notes(plan, "database.optional") + notes(plan, "cache.optional")}
    assert "no postgres client library" in reasons["postgres"] and "no redis client library" in reasons["redis"]


@pytest.mark.parametrize("dep", ["@neondatabase/serverless", "@vercel/postgres", "postgres"])
def test_serverless_postgres_drivers(make_repo, dep):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4", dep: "1"})}))
    assert plan.database.engine == "postgres"


@pytest.mark.parametrize("module, engine", [
    ("drizzle-orm/node-postgres", "postgres"), ("drizzle-orm/mysql2", "mysql"), ("drizzle-orm/better-sqlite3", None)])
def test_drizzle_engine_modules(make_repo, module, engine):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"express": "4", "drizzle-orm": "0.30", "pg": "8", "mysql2": "3", "better-sqlite3": "9"}),
        "index.js": f"import {{ drizzle }} from '{module}'\nrequire('express')().listen(3000)\n",
    }))
    assert (plan.database.engine if plan.database else None) == engine


def test_kysely_dialect(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"express": "4", "kysely": "0.27", "mysql2": "3"}),
        "db.ts": "export const db = new Kysely({ dialect: new MysqlDialect({ pool }) })\n",
    }))
    assert plan.database.engine == "mysql"


def test_optional_branch_loses_to_the_default_it_guards(make_repo):
    settings = (
        "import os\n"
        "if os.environ.get('DB_ENGINE') == 'postgres':\n"
        "    DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n"
        "else:\n"
        "    DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3'}}\n"
    )
    plan = analyse_repo(make_repo({"manage.py": "", "requirements.txt": "django\npsycopg2-binary\n",
                                   "shop/settings.py": settings}))
    assert plan.database is None
    [optional] = notes(plan, "database.optional")
    assert optional.value == "postgres" and optional.source == "shop/settings.py:3" and "optional" in optional.reason
    assert notes(plan, "database")[0].source == "shop/settings.py:5"


def test_spring_profiles_are_optional_and_h2_runs_by_default(make_repo):
    pom = ("<project><artifactId>pc</artifactId><version>1</version><dependencies>"
           "<dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>"
           "<dependency><groupId>com.h2database</groupId><artifactId>h2</artifactId></dependency>"
           "<dependency><groupId>com.mysql</groupId><artifactId>mysql-connector-j</artifactId></dependency>"
           "</dependencies></project>")
    plan = analyse_repo(make_repo({
        "pom.xml": pom,
        "src/main/resources/application.properties": "spring.application.name=pc\n",
        "src/main/resources/application-mysql.properties": "spring.datasource.url=jdbc:mysql://localhost/pc\n",
    }))
    assert plan.database is None
    assert "H2" in notes(plan, "database")[0].reason
    assert [e.value for e in notes(plan, "database.optional")] == ["mysql"]


@pytest.mark.parametrize("files, why", [
    ({"package.json": pkg({"express": "4", "mongoose": "8"}), ".env.example": "MONGODB_URL=mongodb://localhost/app\n"},
     "MongoDB"),
    ({"package.json": pkg({"express": "4", "@prisma/client": "5"}),
      "prisma/schema.prisma": 'datasource db {\n  provider = "sqlite"\n  url = "file:./dev.db"\n}\n'}, "SQLite"),
])
def test_sqlite_and_mongodb_mean_no_rds_database(make_repo, files, why):
    plan = analyse_repo(make_repo(files))
    assert plan.database is None
    [note] = notes(plan, "database")
    assert note.value == "none" and why in note.reason and "no RDS database" in note.reason


def test_server_database_wins_a_driver_tie_outside_spring(make_repo):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4", "sqlite3": "5", "pg": "8"})}))
    assert plan.database.engine == "postgres"


def test_production_env_sample_is_read_before_the_development_one(make_repo):
    plan = analyse_repo(make_repo({
        "manage.py": "", "requirements.txt": "django\npsycopg2-binary\nmysqlclient\n",
        ".env.dev-sample": "SQL_ENGINE=django.db.backends.mysql\n",
        ".env.prod-sample": "SQL_ENGINE=django.db.backends.postgresql\n",
    }))
    assert plan.database.engine == "postgres"
    assert next(e for e in plan.evidence if e.field == "database.engine").source == ".env.prod-sample:1"


def test_manifests_are_parsed_once_per_scan(make_repo):
    repo = RepoView.scan(make_repo({"package.json": pkg({"pg": "8"})}))
    from hivemind.recon.manifests import repo_dependencies
    assert repo_dependencies(repo) is repo_dependencies(repo)


def test_sqlite_fallback_of_a_database_url_switch_loses_to_the_shipped_driver(make_repo):
    settings = ("import os\nimport dj_database_url\nif 'DATABASE_URL' in os.environ:\n"
                "    DATABASES = {'default': dj_database_url.config()}\nelse:\n"
                "    DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3'}}\n")
    plan = analyse_repo(make_repo({"manage.py": "", "requirements.txt": "django\ndj-database-url\npsycopg[binary]\n",
                                   "proj/settings.py": settings}))
    assert plan.database.engine == "postgres"


def test_go_driver_imported_though_go_mod_lists_it_indirect(make_repo):
    plan = analyse_repo(make_repo({
        "go.mod": "module x\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n"
                  "\tgithub.com/go-sql-driver/mysql v1.4.1 // indirect\n\tgithub.com/jinzhu/gorm v1.9\n)\n",
        "main.go": "package main\n\nimport (\n\t\"github.com/gin-gonic/gin\"\n\t_ \"github.com/jinzhu/gorm/dialects/mysql\"\n)\n"
                   "func main() { gin.Default().Run(\":8000\") }\n",
    }))
    assert plan.database.engine == "mysql"
    assert next(e for e in plan.evidence if e.field == "database.engine").source == "main.go:5"


def test_ci_pipeline_service_containers_are_not_the_apps_database(make_repo):
    workflow = "jobs:\n  test:\n    env:\n      DATABASE_URL: postgres://postgres:postgres@localhost/test\n"
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4", "@prisma/client": "5"}),
                                   ".github/workflows/ci.yml": workflow}))
    assert plan.database is None


def test_go_module_major_versions_still_name_the_client(make_repo):
    plan = analyse_repo(make_repo({
        "go.mod": "module x\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n\tgithub.com/go-redis/redis/v7 v7.4.1\n"
                  "\tgithub.com/jackc/pgx/v4 v4.18.0\n)\n",
        "main.go": "package main\nfunc main() {}\n",
    }))
    assert plan.cache is not None and plan.database.engine == "postgres"
