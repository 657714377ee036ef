"""The repository's own deploy descriptors (fly.toml, render.yaml, railway, app.json, Procfile,
Dockerfiles under any name, entrypoint scripts) are first-class evidence; Dockerfiles that are not
the app (dev containers, test images, reverse proxies) are left out with a reason; release commands."""
from __future__ import annotations

import json

import pytest

from hivemind.recon import analyse_repo


def pkg(deps: dict, scripts: dict | None = None) -> str:
    return json.dumps({"name": "x", "dependencies": deps, "scripts": scripts or {"start": "node server.js"}}, indent=2)


def ev(plan, field):
    return next(e for e in plan.evidence if e.field == field)


REMIX = {"package.json": pkg({"@remix-run/serve": "2", "@prisma/client": "5", "pg": "8"},
                             {"build": "remix build", "start": "remix-serve ./build/index.js"}),
         "server.js": "const port = process.env.PORT || 3000\n",
         "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n}\n'}


def test_fly_toml_port_health_and_release(make_repo):
    fly = ('app = "x"\n[env]\n  PORT = "8080"\n[deploy]\n  release_command = "npx prisma migrate deploy"\n'
           '[[services]]\n  internal_port = 8080\n  [[services.http_checks]]\n    path = "/healthcheck"\n')
    plan = analyse_repo(make_repo({**REMIX, "fly.toml": fly}))
    web = plan.services[0]
    assert (web.framework, web.port, web.health_check_path) == ("remix", 8080, "/healthcheck")
    assert web.release_command == "npx prisma migrate deploy"
    assert ev(plan, "services[0].port").source == "fly.toml:7"  # over the PORT default in server.js
    assert ev(plan, "services[0].release_command").source == "fly.toml:5"
    assert web.env == {"PORT": "8080"}


def test_fly_cmd_script_migrates_then_starts(make_repo):
    fly = '[experimental]\n  cmd = "start.sh"\n  entrypoint = "sh"\n[[services]]\n  internal_port = 8080\n'
    start = "#!/bin/sh -ex\n# migrate first\nnpx prisma migrate deploy\nnpm run start\n"
    plan = analyse_repo(make_repo({**REMIX, "fly.toml": fly, "start.sh": start}))
    web = plan.services[0]
    assert (web.start_command, web.release_command) == ("npm run start", "npx prisma migrate deploy")
    assert ev(plan, "services[0].release_command").source == "start.sh:3"


def test_fly_processes_add_a_worker(make_repo):
    fly = '[processes]\n  app = "npm start"\n  worker = "node worker.js"\n[http_service]\n  internal_port = 3000\n'
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4"}), "fly.toml": fly}))
    assert [(s.kind, s.start_command) for s in plan.services] == [("web", "npm start"), ("worker", "node worker.js")]


def test_render_yaml_services_database_and_required_env(make_repo):
    render = ("services:\n  - type: web\n    name: api\n    buildCommand: pip install -r requirements.txt\n"
              "    startCommand: gunicorn app:app\n    preDeployCommand: alembic upgrade head\n"
              "    healthCheckPath: /healthz\n    envVars:\n      - key: STRIPE_KEY\n        sync: false\n"
              "      - key: DATABASE_URL\n        fromDatabase:\n          name: db\n          property: connectionString\n"
              "  - type: worker\n    name: jobs\n    startCommand: celery -A app.celery worker\n"
              "databases:\n  - name: db\n")
    plan = analyse_repo(make_repo({"requirements.txt": "flask\ngunicorn\npsycopg2\n", "render.yaml": render,
                                   "app.py": "from flask import Flask\napp = Flask(__name__)\n"}))
    web, worker = plan.services
    assert (web.start_command, web.release_command, web.health_check_path) == (
        "gunicorn app:app", "alembic upgrade head", "/healthz")
    assert (worker.kind, worker.start_command, worker.runtime) == ("worker", "celery -A app.celery worker", "python")
    assert plan.database.engine == "postgres"
    assert [(n.name, n.source) for n in plan.needs] == [("STRIPE_KEY", "render.yaml:9")]


def test_railway_json_start_health_and_pre_deploy(make_repo):
    railway = json.dumps({"deploy": {"startCommand": "node dist/main.js", "healthcheckPath": "/api/health",
                                     "preDeployCommand": ["npx prisma migrate deploy"]}}, indent=2)
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4"}), "railway.json": railway}))
    web = plan.services[0]
    assert (web.start_command, web.health_check_path, web.release_command) == (
        "node dist/main.js", "/api/health", "npx prisma migrate deploy")


def test_procfile_release_and_app_json(make_repo):
    app_json = json.dumps({"addons": ["heroku-postgresql:mini", "heroku-redis:mini"],
                           "env": {"SECRET_KEY_BASE": {"generator": "secret"}, "MAILGUN_KEY": {"required": True}}}, indent=2)
    plan = analyse_repo(make_repo({
        "Gemfile": "gem 'rails'\ngem 'pg'\ngem 'redis'\n", "Procfile": "release: bundle exec rails db:migrate\nweb: bundle exec puma\n",
        "app.json": app_json,
    }))
    assert plan.services[0].release_command == "bundle exec rails db:migrate"
    assert [s.name for s in plan.services] == ["web"]  # release is no process of its own
    assert plan.database.engine == "postgres" and plan.cache is not None
    assert [n.name for n in plan.needs] == ["MAILGUN_KEY"]


@pytest.mark.parametrize("extra, reason", [
    ({".devcontainer/Dockerfile": "FROM mcr.microsoft.com/devcontainers/ruby\n"}, "development container"),
    ({"Dockerfile.test": "FROM node:20\nCMD npm test\n"}, "test image"),
    ({".gitpod.Dockerfile": "FROM gitpod/workspace-full\n"}, "development container"),
    ({"nginx/Dockerfile": "FROM nginx:1.25\nCOPY nginx.conf /etc/nginx/conf.d\n",
      "nginx/nginx.conf": "server { location / { proxy_pass http://web:8000; } }\n"}, "reverse proxy (nginx)"),
    ({"proxy/Dockerfile": "FROM traefik:3\n"}, "reverse proxy (traefik)"),
])
def test_dockerfiles_that_are_not_services(make_repo, extra, reason):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4"}), **extra}))
    assert [s.name for s in plan.services] == ["web"]
    [excluded] = [e for e in plan.evidence if e.field == "services.excluded"]
    assert reason in excluded.reason and excluded.value == next(iter(extra))


def test_nginx_serving_files_is_still_a_site(make_repo):
    plan = analyse_repo(make_repo({"Dockerfile": "FROM nginx:alpine\nCOPY site /usr/share/nginx/html\nEXPOSE 80\n",
                                   "site/app.js": "console.log(1)\n"}))
    assert [(s.runtime, s.port) for s in plan.services] == [("docker", 80)]
    assert not [e for e in plan.evidence if e.field == "services.excluded"]


def test_production_dockerfile_variant_and_its_entrypoint(make_repo):
    plan = analyse_repo(make_repo({
        "app/Dockerfile": "FROM python:3.12\nCMD python manage.py runserver 0.0.0.0:8000\n",
        "app/Dockerfile.prod": "FROM python:3.12\nEXPOSE 8001\nENTRYPOINT [\"/home/app/web/entrypoint.prod.sh\"]\n",
        "app/entrypoint.prod.sh": "#!/bin/sh\npython manage.py migrate --noinput\nexec \"$@\"\n",
        "app/requirements.txt": "django\ngunicorn\npsycopg2-binary\n", "app/manage.py": "",
        "app/proj/wsgi.py": "application = None\n",
    }))
    [web] = plan.services
    assert (web.port, web.release_command) == (8001, "python manage.py migrate --noinput")
    assert ev(plan, "services[0].release_command").source == "app/entrypoint.prod.sh:2"


def test_dockerfile_only_app_under_another_name(make_repo):
    plan = analyse_repo(make_repo({"docker/app.Dockerfile": "FROM alpine\nEXPOSE 9000\nCMD [\"/srv/app\"]\n"}))
    [web] = plan.services
    assert (web.runtime, web.port, web.root) == ("docker", 9000, ".")
    assert web.build_command == "docker build -f docker/app.Dockerfile -t app ."


@pytest.mark.parametrize("files, command", [
    ({"manage.py": "", "requirements.txt": "django\ngunicorn\npsycopg2\n", "shop/wsgi.py": "application = None\n",
      "orders/migrations/__init__.py": ""}, "python manage.py migrate --noinput"),
    ({"Gemfile": "gem 'rails'\ngem 'pg'\n", "db/schema.rb": "ActiveRecord::Schema.define {}\n"},
     "bundle exec rails db:prepare"),
    ({"requirements.txt": "fastapi\nuvicorn\nasyncpg\n", "alembic.ini": "[alembic]\n",
      "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, "alembic upgrade head"),
    ({"composer.json": '{"require": {"laravel/framework": "^11"}}', ".env.example": "DB_CONNECTION=pgsql\n",
      "database/migrations/0001_create_users.php": "<?php\n"}, "php artisan migrate --force"),
    ({"package.json": pkg({"express": "4", "@prisma/client": "5"}),
      "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n}\n',
      "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n'}, "npx prisma migrate deploy"),
])
def test_framework_release_commands_with_a_database(make_repo, files, command):
    plan = analyse_repo(make_repo(files))
    assert plan.services[0].release_command == command
    assert all(s.release_command is None for s in plan.services[1:])


def test_no_release_command_without_a_server_database(make_repo):
    plan = analyse_repo(make_repo({"manage.py": "", "requirements.txt": "django\ngunicorn\n",
                                   "shop/wsgi.py": "application = None\n", "orders/migrations/__init__.py": ""}))
    assert plan.services[0].release_command is None


COMPOSE_APP = {"project/requirements.txt": "fastapi\nuvicorn\ncelery\nredis\nflower\n",
               "project/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
               "project/worker.py": "from celery import Celery\ncelery = Celery(__name__, broker='redis://r:6379/0')\n"}


def test_compose_workers_monitors_and_dev_commands(make_repo):
    compose = ("services:\n  web:\n    build: ./project\n    command: uvicorn main:app --host 0.0.0.0 --reload\n"
               "  worker:\n    build: ./project\n    command: celery -A worker.celery worker --loglevel=info\n"
               "  beat:\n    build: ./project\n    command: celery -A worker.celery beat\n"
               "  dashboard:\n    build: ./project\n    command: celery flower --port=5555\n    ports: ['5556:5555']\n"
               "  redis:\n    image: redis:7\n")
    plan = analyse_repo(make_repo({**COMPOSE_APP, "docker-compose.yml": compose}))
    assert [(s.name, s.kind, s.framework) for s in plan.services] == [
        ("project", "web", "fastapi"), ("project-beat", "worker", "celery-beat"), ("project-worker", "worker", "celery")]
    web, beat, worker = plan.services
    assert web.start_command == "uvicorn main:app --host 0.0.0.0 --port 8000"  # --reload is a laptop's command
    assert (beat.start_command, worker.start_command) == (
        "celery -A worker.celery beat", "celery -A worker.celery worker --loglevel=info")
    excluded = [e for e in plan.evidence if e.field == "services.excluded"]
    assert [e.source for e in excluded] == ["docker-compose.yml:11"] and "Flower" in excluded[0].reason


def test_production_compose_over_development_and_its_health_check(make_repo):
    prod = ("services:\n  web:\n    build:\n      context: .\n      dockerfile: app/Dockerfile\n"
            "    command: gunicorn --bind 0.0.0.0:5000 manage:app\n"
            "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:5000/api/v1/health/\"]\n")
    dev = "services:\n  web:\n    build: ./app\n    command: python manage.py run -h 0.0.0.0\n"
    plan = analyse_repo(make_repo({
        "app/requirements.txt": "flask\ngunicorn\n", "app/manage.py": "from project import app\n",
        "app/project/__init__.py": "from flask import Flask\napp = Flask(__name__)\n", "app/Dockerfile": "FROM python\n",
        "docker-compose.yml": dev, "docker-compose.prod.yml": prod,
    }))
    [web] = plan.services
    assert web.start_command == "gunicorn --bind 0.0.0.0:5000 manage:app"
    assert web.health_check_path == "/api/v1/health/"
    assert next(e for e in plan.evidence if e.field == "services[0].health_check_path").source == "docker-compose.prod.yml:8"


def test_compose_test_image_service_does_not_lend_its_port(make_repo):
    override = "services:\n  playwright:\n    build:\n      context: ./web\n      dockerfile: Dockerfile.playwright\n" \
               "    ports: ['9323:9323']\n"
    plan = analyse_repo(make_repo({
        "web/package.json": json.dumps({"dependencies": {"express": "4"}, "scripts": {"start": "node s.js"}}),
        "web/Dockerfile.playwright": "FROM mcr.microsoft.com/playwright\n", "compose.override.yml": override,
    }))
    assert plan.services[0].port == 3000


def test_root_descriptor_for_a_workspace_member(make_repo):
    render = ("services:\n  - type: web\n    runtime: node\n    name: app\n    buildCommand: npm ci && npm run build\n"
              "    startCommand: npx prisma migrate deploy --schema packages/db/schema.prisma && "
              "npx turbo run start --filter=@acme/web\n    healthCheckPath: /api/health\n")
    plan = analyse_repo(make_repo({
        "package.json": json.dumps({"name": "root", "workspaces": ["apps/*", "packages/*"],
                                    "devDependencies": {"vite": "5", "turbo": "2"}, "scripts": {"build": "turbo run build"}}),
        "package-lock.json": "{}", "turbo.json": "{}", "render.yaml": render,
        "docker/Dockerfile": "FROM node:22\nCOPY . .\nRUN npx turbo run build --filter=@acme/web\nCMD npm start\n",
        "apps/web/package.json": json.dumps({"name": "@acme/web", "dependencies": {"@react-router/serve": "7"},
                                             "scripts": {"build": "react-router build", "start": "react-router-serve"}}),
    }))
    [web] = plan.services
    assert (web.root, web.runtime, web.health_check_path) == ("apps/web", "node", "/api/health")
    assert web.start_command == "cd ../.. && npx turbo run start --filter=@acme/web"
    assert web.release_command == "cd ../.. && npx prisma migrate deploy --schema packages/db/schema.prisma"
    excluded = {e.value: e.reason for e in plan.evidence if e.field == "services.excluded"}
    assert "workspace's packages" in excluded["docker/Dockerfile"]


def test_third_party_server_image_through_a_stage_alias(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"express": "4"}),
        "helm/keycloak/Dockerfile": "FROM bitnami/keycloak:24 AS upstream\nFROM upstream AS keycloak\nCOPY themes /opt\n",
    }))
    assert [s.name for s in plan.services] == ["web"]
    assert "keycloak image" in next(e.reason for e in plan.evidence if e.field == "services.excluded")


def test_heroku_yml_release_and_addons_beat_a_sqlite_default(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "django\ngunicorn\npsycopg\n", "manage.py": "", "proj/wsgi.py": "application = None\n",
        "proj/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3'}}\n",
        "heroku.yml": "setup:\n  addons:\n    - plan: heroku-postgresql\nrelease:\n  image: web\n  command:\n"
                      "    - python manage.py migrate --noinput\n",
    }))
    assert plan.database.engine == "postgres"
    assert plan.services[0].release_command == "python manage.py migrate --noinput"


@pytest.mark.parametrize("name, text", [
    ("fly.toml", "[[services]]\ninternal_port = 'x'\n[processes]\napp = 5\n[deploy]\nrelease_command = []\n"),
    ("fly.toml", "not = [toml"),
    ("render.yaml", "services: 5\ndatabases: 7\n"),
    ("render.yaml", "services:\n  - type: web\n    envVars: 3\n    startCommand: [1]\n"),
    ("railway.json", '{"deploy": {"startCommand": 5, "preDeployCommand": {"a": 1}}}'),
    ("app.json", '{"env": {"X": 5}, "addons": "heroku-postgresql"}'),
    ("heroku.yml", "release: 5\nsetup: [1]\n"),
    ("docker-compose.prod.yml", "services:\n  web:\n    build: .\n    environment: 5\n    command: 7\n    healthcheck: []\n"),
    ("Dockerfile.prod", "FROM\nEXPOSE\nENTRYPOINT [\n"),
])
def test_malformed_descriptors_never_crash(make_repo, name, text):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4"}), name: text}))
    assert plan.services[0].runtime == "node"


def test_another_image_built_from_the_same_folder_lends_no_port(make_repo):
    compose = ("services:\n  maildev:\n    build:\n      context: .\n      dockerfile: maildev.Dockerfile\n"
               "    ports: ['1080:1080']\n")
    plan = analyse_repo(make_repo({"package.json": pkg({"@nestjs/core": "10"}, {"start:prod": "node dist/main"}),
                                   "maildev.Dockerfile": "FROM node:22\nRUN npm i -g maildev\nEXPOSE 1080\n",
                                   "Dockerfile": "FROM node:22\nCMD npm run start:prod\n", "docker-compose.yaml": compose}))
    assert plan.services[0].port == 3000


def test_compose_helpers_of_the_same_image_and_the_images_workdir(make_repo):
    compose = ("x-app: &app\n  build:\n    context: .\n"
               "services:\n  web:\n    <<: *app\n    ports: ['8000:8000']\n"
               "  worker:\n    <<: *app\n    command: celery -A config worker\n"
               "  js:\n    <<: *app\n    profiles: ['assets']\n    command: ../run yarn:build:js\n"
               "  cable:\n    <<: *app\n    command: puma -p 28080 cable/config.ru\n")
    plan = analyse_repo(make_repo({
        "pyproject.toml": '[project]\nname = "x"\ndependencies = ["django", "gunicorn", "celery[redis]"]\n',
        "src/manage.py": "", "src/config/wsgi.py": "application = None\n",
        "src/config/celery.py": "from celery import Celery\napp = Celery('x')\n",
        "Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\nWORKDIR /app/src\nEXPOSE 8000\n",
        "compose.yaml": compose,
    }))
    web, worker = plan.services
    assert web.start_command == "gunicorn --chdir src config.wsgi:application --bind 0.0.0.0:8000"
    assert worker.start_command == "cd src && celery -A config worker"


def test_platform_sh_relationships_and_deploy_hook(make_repo):
    app = ("name: shop\ntype: php:8.3\nrelationships:\n  database: 'db:mysql'\nhooks:\n  deploy: |\n    set -e\n"
           "    bin/console doctrine:migrations:migrate -n\n    bin/console cache:clear\n")
    plan = analyse_repo(make_repo({"composer.json": '{"require": {"symfony/framework-bundle": "^7"}}',
                                   ".platform.app.yaml": app, ".platform/services.yaml": "db:\n  type: mysql:11.0\n"}))
    assert plan.database.engine == "mysql"
    assert plan.services[0].release_command == "bin/console doctrine:migrations:migrate -n"


def test_beanstalk_leader_only_migration(make_repo):
    config = "container_commands:\n  01_migrate:\n    command: 'python manage.py migrate --noinput'\n    leader_only: true\n"
    plan = analyse_repo(make_repo({"manage.py": "", "requirements.txt": "django\ngunicorn\n",
                                   "proj/wsgi.py": "application = None\n", ".ebextensions/db.config": config}))
    assert plan.services[0].release_command == "python manage.py migrate --noinput"


def test_multi_module_parent_pom_is_no_service(make_repo):
    parent = ("<project><artifactId>parent</artifactId><version>1</version><packaging>pom</packaging>"
              "<parent><artifactId>spring-boot-starter-parent</artifactId></parent>"
              "<modules><module>gateway</module></modules></project>")
    child = ("<project><artifactId>gateway</artifactId><version>1</version><dependencies><dependency>"
             "<groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId>"
             "</dependency></dependencies></project>")
    plan = analyse_repo(make_repo({"pom.xml": parent, "gateway/pom.xml": child}))
    assert [s.root for s in plan.services] == ["gateway"]
    assert "multi-module" in next(e.reason for e in plan.evidence if e.field == "services.excluded")


def test_procfile_web_that_migrates_first(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "flask\ngunicorn\nflask-migrate\npsycopg2-binary\nrq\n",
        "microblog.py": "from app import create_app\napp = create_app()\n",
        "Procfile": "web: flask db upgrade; flask translate compile; gunicorn microblog:app\nworker: rq worker tasks\n",
    }))
    web, worker = plan.services
    assert (web.release_command, web.start_command) == ("flask db upgrade", "flask translate compile && gunicorn microblog:app")
    assert worker.start_command == "rq worker tasks" and worker.release_command is None
