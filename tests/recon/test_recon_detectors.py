"""Each detector on small synthetic repositories: what it decides, and the path:line it cites."""
from __future__ import annotations

import json

import pytest

from hivemind.recon import analyse_repo


def evidence(plan, field):
    return next(e for e in plan.evidence if e.field == field)


def pkg(deps: dict, scripts: dict | None = None, **extra) -> str:
    return json.dumps({"name": "x", "dependencies": deps, "scripts": scripts or {}, **extra}, indent=2)


# --- Node ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dep, framework", [
    ("express", "express"), ("fastify", "fastify"), ("koa", "koa"), ("@nestjs/core", "nest"), ("next", "next"),
])
def test_node_frameworks_with_default_port(make_repo, dep, framework):
    plan = analyse_repo(make_repo({"package.json": pkg({dep: "1", "express": "4"} if dep == "@nestjs/core" else {dep: "1"},
                                                        {"start": "node index.js"})}))
    web = plan.services[0]
    assert (web.runtime, web.framework, web.port, web.kind) == ("node", framework, 3000, "web")
    assert web.start_command == "npm start"
    assert evidence(plan, "services[0].framework").source.startswith("package.json:")
    assert evidence(plan, "services[0].port").origin == "default"


def test_node_port_from_listen_call_cites_line(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"fastify": "4"}),
        "src/server.js": "const f = require('fastify')();\n\nf.listen({ port: 8088, host: '0.0.0.0' });\n",
    }))
    web = plan.services[0]
    assert web.port == 8088
    assert evidence(plan, "services[0].port").source == "src/server.js:3"
    assert web.build_command == "npm install"


def test_node_start_script_port_and_lockfile_build(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"next": "14"}, {"build": "next build", "start": "next start -p 4000"}),
        "yarn.lock": "",
    }))
    web = plan.services[0]
    assert web.port == 4000 and web.framework == "next"
    assert web.build_command == "yarn install --frozen-lockfile && yarn run build"
    assert web.start_command == "yarn start"


def test_node_library_without_server_is_not_a_service(make_repo):
    from hivemind.errors import ReconError

    with pytest.raises(ReconError):
        analyse_repo(make_repo({"package.json": pkg({"lodash": "4"}), "index.js": "module.exports = 1;\n"}))


def test_node_queue_consumer_without_http_is_a_worker(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"bullmq": "5"}, {"start": "node consumer.js"}),
        "consumer.js": "const { Worker } = require('bullmq');\nnew Worker('q', async () => {}, { connection });\n",
    }))
    [worker] = plan.services
    assert (worker.kind, worker.framework, worker.port, worker.start_command) == ("worker", "bullmq", None, "npm start")
    assert plan.cache is not None


def test_index_html_inside_a_node_app_does_not_split_it(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"express": "4"}, {"start": "node src/server.js"}),
        "src/server.js": "app.listen(4321)\n", "src/index.html": "<h1>hi</h1>",
    }))
    assert [(s.runtime, s.port) for s in plan.services] == [("node", 4321)]


def test_plain_html_folder_beside_a_service_is_its_own_site(make_repo):
    plan = analyse_repo(make_repo({
        "api/requirements.txt": "fastapi\n", "api/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "site/index.html": "<h1>hi</h1>",
    }))
    assert [(s.name, s.runtime, s.start_command) for s in plan.services] == [
        ("api", "python", "uvicorn main:app --host 0.0.0.0 --port 8000"),
        ("site", "static", "python3 -m http.server 8080 --directory ."),
    ]


def test_invalid_package_json_is_skipped_not_fatal(make_repo):
    plan = analyse_repo(make_repo({"package.json": "{not json", "index.html": "<h1>hi</h1>"}))
    assert plan.services[0].runtime == "static"


# --- Python ----------------------------------------------------------------------------------

def test_flask_port_from_app_run(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "flask==3.0\n",
        "server.py": "from flask import Flask\napp = Flask(__name__)\n\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', port=5055)\n",
    }))
    web = plan.services[0]
    assert (web.framework, web.port) == ("flask", 5055)
    assert web.start_command == "flask --app server:app run --host 0.0.0.0 --port 5055"
    assert evidence(plan, "services[0].port").source == "server.py:5"


def test_fastapi_in_pyproject_with_env_port_default(make_repo):
    plan = analyse_repo(make_repo({
        "pyproject.toml": '[project]\nname = "api"\ndependencies = ["fastapi>=0.110", "uvicorn"]\n',
        "src/api/main.py": "import os\nfrom fastapi import FastAPI\napi = FastAPI()\nPORT = int(os.getenv('PORT', '7000'))\n",
    }))
    web = plan.services[0]
    assert (web.framework, web.port) == ("fastapi", 7000)
    assert web.start_command == "uvicorn api.main:api --app-dir src --host 0.0.0.0 --port 7000"
    assert web.build_command == "pip install ."
    assert web.env == {"PORT": "7000"}


def test_django_without_gunicorn_uses_manage_py(make_repo):
    plan = analyse_repo(make_repo({
        "manage.py": "import django\n", "requirements.txt": "Django>=5\nmysqlclient\n",
        "site/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.mysql'}}\n",
    }))
    web = plan.services[0]
    assert (web.framework, web.port) == ("django", 8000)
    assert web.start_command == "python manage.py runserver 0.0.0.0:8000"
    assert plan.database.engine == "mysql" and plan.database.version == "8.0"
    assert evidence(plan, "database.engine").source == "site/settings.py:1"


@pytest.mark.parametrize("requirements, files, command", [
    ("rq\n", {}, "rq worker --url $REDIS_URL"),
    ("dramatiq[redis]\n", {"jobs.py": "import dramatiq\n\n@dramatiq.actor\ndef send(): pass\n"}, "dramatiq jobs"),
    ("arq\n", {"worker.py": "class WorkerSettings:\n    functions = []\n"}, "arq worker.WorkerSettings"),
    ("celery\nredis\n", {"proj/celery.py": "from celery import Celery\napp = Celery('proj', broker='redis://r:6379/0')\n"},
     "celery -A proj worker --loglevel=INFO"),
])
def test_python_queue_workers_have_no_port_and_use_redis(make_repo, requirements, files, command):
    plan = analyse_repo(make_repo({"requirements.txt": requirements, **files}))
    [worker] = plan.services
    assert (worker.kind, worker.port, worker.start_command) == ("worker", None, command)
    assert plan.cache is not None and plan.web_services == []


def test_plain_wsgi_app_served_by_gunicorn(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "gunicorn\n",
        "wsgi.py": "def application(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n",
    }))
    web = plan.services[0]
    assert web.framework == "wsgi"
    assert web.start_command == "gunicorn wsgi:application --bind 0.0.0.0:8000"


def test_django_with_celery_is_web_plus_worker(make_repo):
    plan = analyse_repo(make_repo({
        "manage.py": "", "requirements.txt": "django\ngunicorn\ncelery[redis]\npsycopg2-binary\n",
        "shop/wsgi.py": "application = None\n",
        "shop/celery.py": "from celery import Celery\napp = Celery('shop')\n",
        ".env.example": "CELERY_BROKER_URL=redis://localhost:6379/0\nDATABASE_URL=postgres://u:p@db/app\n",
    }))
    assert [(s.name, s.kind, s.framework) for s in plan.services] == [("web", "web", "django"), ("worker", "worker", "celery")]
    assert plan.services[0].start_command == "gunicorn shop.wsgi:application --bind 0.0.0.0:8000"
    assert plan.services[1].start_command == "celery -A shop worker --loglevel=INFO"
    assert plan.database.engine == "postgres" and plan.cache is not None


# --- Go, Java, Ruby, PHP ---------------------------------------------------------------------

def test_go_gin_in_cmd_folder_with_pgx(make_repo):
    plan = analyse_repo(make_repo({
        "go.mod": "module x\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n\tgithub.com/jackc/pgx/v5 v5.5.0\n)\n",
        "cmd/api/main.go": 'package main\n\nfunc main() {\n\tr := gin.Default()\n\tr.Run(":9090")\n}\n',
        "internal/db/db.go": "package db\n",
    }))
    web = plan.services[0]
    assert (web.runtime, web.framework, web.port) == ("go", "gin", 9090)
    assert web.build_command == "go build -o bin/app ./cmd/api" and web.start_command == "./bin/app"
    assert evidence(plan, "services[0].framework").source == "go.mod:6"
    assert plan.database.engine == "postgres"


def test_go_library_module_is_not_a_service(make_repo):
    from hivemind.errors import ReconError

    with pytest.raises(ReconError):
        analyse_repo(make_repo({"go.mod": "module x\n", "lib.go": "package lib\n"}))


def test_spring_boot_maven_with_server_port_and_actuator(make_repo):
    pom = """<project>
    <artifactId>orders</artifactId>
    <version>1.2.0</version>
    <dependencies>
        <dependency><artifactId>spring-boot-starter-web</artifactId></dependency>
        <dependency><artifactId>spring-boot-starter-actuator</artifactId></dependency>
        <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId></dependency>
    </dependencies>
</project>
"""
    plan = analyse_repo(make_repo({
        "pom.xml": pom, "mvnw": "#!/bin/sh\n",
        "src/main/resources/application.properties": "spring.application.name=orders\nserver.port=8081\n",
    }))
    web = plan.services[0]
    assert (web.runtime, web.framework, web.port) == ("java", "spring-boot", 8081)
    assert web.health_check_path == "/actuator/health"
    assert web.build_command == "./mvnw -q -DskipTests package"
    assert web.start_command == "java -jar target/orders-1.2.0.jar"
    assert evidence(plan, "services[0].port").source == "src/main/resources/application.properties:2"
    assert plan.database.engine == "postgres"


def test_spring_boot_gradle(make_repo):
    plan = analyse_repo(make_repo({"build.gradle.kts": 'plugins { id("org.springframework.boot") version "3.3.0" }\n'
                                                        'dependencies { implementation("org.springframework.boot:spring-boot-starter-web") }\n'}))
    assert plan.services[0].start_command == "java -jar build/libs/*.jar"
    assert plan.services[0].port == 8080


def test_spring_boot_jar_and_port_come_from_the_project_not_its_parent_or_clients(make_repo):
    # The parent's <artifactId> is indented like the project's; a Redis client's `port:` like server's.
    pom = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.5</version>
  </parent>
  <artifactId>demo</artifactId>
  <version>0.0.1-SNAPSHOT</version>
  <dependencies>
    <dependency><artifactId>spring-boot-starter-web</artifactId></dependency>
  </dependencies>
</project>
"""
    config = "spring:\n  data:\n    redis:\n      host: localhost\n      port: 6379\nserver:\n  port: 9090\n"
    plan = analyse_repo(make_repo({"pom.xml": pom, "src/main/resources/application.yml": config}))
    web = plan.services[0]
    assert web.start_command == "java -jar target/demo-0.0.1-SNAPSHOT.jar"
    assert evidence(plan, "services[0].start_command").source == "pom.xml:8"
    assert web.port == 9090 and evidence(plan, "services[0].port").source == "src/main/resources/application.yml:7"

    # No server.port at all: the Redis port is still not the app's.
    plan = analyse_repo(make_repo({"pom.xml": pom, "src/main/resources/application.yml": config.split("server:")[0]},
                                  name="no-server-port"))
    assert plan.services[0].port == 8080 and evidence(plan, "services[0].port").origin == "default"


def test_spring_boot_gradle_jar_named_by_settings_and_version(make_repo):
    plan = analyse_repo(make_repo({
        "settings.gradle.kts": 'rootProject.name = "orders"\n',
        "build.gradle.kts": 'plugins { id("org.springframework.boot") version "3.3.0" }\nversion = "1.4.2"\n',
    }))
    assert plan.services[0].start_command == "java -jar build/libs/orders-1.4.2.jar"
    assert evidence(plan, "services[0].start_command").source == "build.gradle.kts:2"


def test_rails_with_sidekiq_and_up_route(make_repo):
    plan = analyse_repo(make_repo({
        "Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\ngem 'pg'\ngem 'sidekiq'\n",
        "config/routes.rb": "Rails.application.routes.draw do\n  get \"up\" => \"rails/health#show\"\nend\n",
        "config/database.yml": "production:\n  adapter: postgresql\n",
    }))
    web, worker = plan.services
    assert (web.framework, web.port, web.health_check_path) == ("rails", 3000, "/up")
    assert (worker.kind, worker.framework, worker.start_command) == ("worker", "sidekiq", "bundle exec sidekiq")
    assert plan.database.engine == "postgres" and plan.cache is not None


def test_laravel_reads_env_example(make_repo):
    plan = analyse_repo(make_repo({
        "composer.json": '{"require": {"php": "^8.2", "laravel/framework": "^11.0"}}',
        ".env.example": "APP_NAME=Laravel\nDB_CONNECTION=mysql\nDB_HOST=127.0.0.1\nQUEUE_CONNECTION=redis\n",
        "bootstrap/app.php": "->withRouting(\n    web: __DIR__.'/../routes/web.php',\n    health: '/up',\n)\n",
    }))
    web = plan.services[0]
    assert (web.runtime, web.framework, web.port, web.health_check_path) == ("php", "laravel", 8000, "/up")
    assert web.start_command == "php artisan serve --host=0.0.0.0 --port=8000"
    assert plan.database.engine == "mysql"
    assert evidence(plan, "database.engine").source == ".env.example:2"
    assert plan.cache is not None


# --- static, Dockerfile, Procfile, compose ---------------------------------------------------

def test_static_site_from_vite_build(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"react": "18"}, {"build": "vite build"}, devDependencies={"vite": "5"}),
        "index.html": "<div id=root></div>",
    }))
    web = plan.services[0]
    assert (web.runtime, web.framework, web.port) == ("static", "vite", 8080)
    assert web.build_command == "npm install && npm run build"
    assert web.start_command == "python3 -m http.server 8080 --directory dist"


def test_dockerfile_only_app_uses_expose_and_cmd(make_repo):
    plan = analyse_repo(make_repo({"Dockerfile": "FROM nginx:1.27\nEXPOSE 5432\nEXPOSE 8000\nENTRYPOINT [\"/entry.sh\"]\nCMD nginx -g 'daemon off;'\n"}))
    web = plan.services[0]
    assert (web.runtime, web.port) == ("docker", 8000)
    assert web.start_command == "/entry.sh nginx -g 'daemon off;'"
    assert evidence(plan, "services[0].port").source == "Dockerfile:3"


def test_dockerfile_without_expose_is_a_worker(make_repo):
    plan = analyse_repo(make_repo({"Dockerfile": "FROM alpine\nCMD [\"./consume\"]\n"}))
    assert (plan.services[0].kind, plan.services[0].port) == ("worker", None)


def test_dockerfile_expose_yields_to_code(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "flask\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "Dockerfile": "FROM python:3.12\nEXPOSE 9000\n",
    }))
    assert plan.services[0].port == 9000  # Dockerfile beats the framework default
    plan = analyse_repo(make_repo({
        "requirements.txt": "flask\n", "app.py": "from flask import Flask\napp = Flask(__name__)\napp.run(port=7777)\n",
        "Dockerfile": "FROM python:3.12\nEXPOSE 9000\n"}, name="other"))
    assert plan.services[0].port == 7777  # code beats the Dockerfile


def test_procfile_processes_become_services(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "flask\ngunicorn\nrq\n",
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "Procfile": "release: flask db upgrade\nweb: gunicorn app:app --bind 0.0.0.0:6000\nworker: rq worker high default\nclock: python clock.py\n",
    }))
    assert [(s.name, s.kind, s.port) for s in plan.services] == [("web", "web", 6000), ("clock", "worker", None), ("worker", "worker", None)]
    assert plan.services[0].start_command == "gunicorn app:app --bind 0.0.0.0:6000"
    assert evidence(plan, "services[0].port").source == "Procfile:2"
    assert plan.services[2].framework == "rq"


def test_compose_images_pin_versions(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"express": "4", "pg": "8", "ioredis": "5"}, {"start": "node index.js"}),
        "docker-compose.yml": "services:\n  db:\n    image: postgres:15-alpine\n  cache:\n    image: redis:6\n",
    }))
    assert (plan.database.engine, plan.database.version) == ("postgres", "15")
    assert plan.cache.version == "6.2"
    assert evidence(plan, "database.version").source == "docker-compose.yml:3"


def test_compose_unsupported_pin_falls_back_to_current_major(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"express": "4", "pg": "8"}, {"start": "node index.js"}),
        "compose.yaml": "services:\n  db:\n    image: postgres:9.6\n",
    }))
    assert (plan.database.engine, plan.database.version) == ("postgres", "16")
    ev = evidence(plan, "database.version")
    assert ev.source == "compose.yaml:3" and "postgres:9.6 pins a version AWS does not offer; using 16" in ev.reason


def test_bad_compose_yaml_is_ignored(make_repo):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4"}, {"start": "x"}),
                                   "docker-compose.yml": "services: [unclosed\n"}))
    assert plan.database is None


@pytest.mark.parametrize("files, engine", [
    ({"prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n}\n'}, "postgres"),
    ({"models/index.js": "new Sequelize(url, { dialect: 'mysql' })\n"}, "mysql"),
    ({".env.example": "DATABASE_URL=mysql://u:p@localhost/app\n"}, "mysql"),
])
def test_database_from_orm_settings_and_urls(make_repo, files, engine):
    # The client library makes the setting real; which engine it talks to comes from the setting.
    deps = {"express": "4", "@prisma/client": "5", "sequelize": "6", "mysql2": "3"}
    plan = analyse_repo(make_repo({"package.json": pkg(deps, {"start": "node index.js"}), **files}))
    assert plan.database.engine == engine


def test_no_datastore_means_none(make_repo):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4"}, {"start": "node index.js"})}))
    assert plan.database is None and plan.cache is None


# --- ports from env samples, health paths, monorepos, names ----------------------------------

def test_port_from_env_sample_beats_default(make_repo):
    plan = analyse_repo(make_repo({"package.json": pkg({"koa": "2"}, {"start": "node app.js"}),
                                   ".env.example": "# local\nDB_PORT=5432\nPORT=4500\n"}))
    assert plan.services[0].port == 4500
    assert plan.services[0].env == {"PORT": "4500"}
    assert evidence(plan, "services[0].port").source == ".env.example:3"


@pytest.mark.parametrize("routes, expected", [
    ("app.get('/ping', h)\napp.get('/status', h)\napp.get('/healthz', h)\n", "/healthz"),
    ("app.get('/status', h)\napp.get('/ping', h)\n", "/status"),
    ("app.get('/api/health', h)\n", "/api/health"),
    ("app.get('/', h)\n", "/"),
])
def test_health_path_preference(make_repo, routes, expected):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4"}, {"start": "node index.js"}), "index.js": routes}))
    assert plan.services[0].health_check_path == expected


def test_monorepo_services_get_roots_and_names(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({}, {}, workspaces=["apps/*"]),
        "apps/api/package.json": pkg({"express": "4"}, {"start": "node index.js"}),
        "apps/api/index.js": "require('express')().listen(4001)\n",
        "apps/Web_Front/package.json": pkg({"next": "14"}, {"start": "next start"}),
        "services/billing/go.mod": "module billing\n", "services/billing/main.go": "package main\n",
        "tests/fixtures/package.json": pkg({"express": "4"}, {"start": "x"}),
        "examples/demo/requirements.txt": "flask\n",
    }, name="My_Shop.Repo"))
    assert plan.name == "my-shop-repo"
    assert [(s.name, s.root, s.port) for s in plan.services] == [
        ("api", "apps/api", 4001), ("web-front", "apps/Web_Front", 3000), ("billing", "services/billing", 8080)]


def test_monorepo_lone_worker_is_named_after_its_folder(make_repo):
    plan = analyse_repo(make_repo({
        "apps/api/package.json": pkg({"fastify": "4"}, {"start": "node src/index.js"}),
        "apps/api/src/index.js": "fastify.listen({ port: Number(process.env.PORT) || 4000, host: '0.0.0.0' });\n",
        "apps/web/index.html": "<h1>web</h1>",
        "services/worker/requirements.txt": "rq\nredis\n", "services/worker/worker.py": "import rq\n",
        "services/billing/requirements.txt": "flask\ncelery\n",
        "services/billing/app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "services/billing/tasks.py": "from celery import Celery\napp = Celery('tasks')\n",
    }))
    assert [(s.name, s.kind, s.root) for s in plan.services] == [
        ("api", "web", "apps/api"), ("web", "web", "apps/web"), ("billing", "web", "services/billing"),
        ("billing-worker", "worker", "services/billing"), ("worker", "worker", "services/worker")]
    assert plan.services[0].port == 4000 and evidence(plan, "services[0].port").source == "apps/api/src/index.js:1"


@pytest.mark.parametrize("code", [
    "app.listen(Number(process.env.PORT) || 4100);\n",
    "const port = parseInt(process.env.PORT, 10) || 4100;\napp.listen(port);\n",
])
def test_node_port_default_behind_a_number_conversion(make_repo, code):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4"}, {"start": "node index.js"}), "index.js": code}))
    assert plan.services[0].port == 4100 and plan.services[0].env == {"PORT": "4100"}


def test_nest_health_controller_global_prefix_and_production_start(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"@nestjs/core": "10", "@nestjs/common": "10"},
                            {"build": "nest build", "start": "nest start", "start:prod": "node dist/main"}),
        "src/main.ts": "const app = await NestFactory.create(AppModule);\napp.setGlobalPrefix('api');\n"
                       "await app.listen(process.env.PORT ?? 3000);\n",
        "src/app.controller.ts": "@Controller()\nexport class AppController {\n  @Get()\n  hello() {}\n}\n",
        "src/health/health.controller.ts": "@Controller('health')\nexport class HealthController {\n"
                                           "  @Get()\n  check() {}\n  @Get('db')\n  db() {}\n}\n",
    }))
    web = plan.services[0]
    assert web.health_check_path == "/api/health"
    assert evidence(plan, "services[0].health_check_path").source == "src/health/health.controller.ts:3"
    assert web.start_command == "npm run start:prod"
    assert evidence(plan, "services[0].start_command").reason == "production start script: node dist/main"


@pytest.mark.parametrize("route, expected", [
    ("app/api/health/route.ts", "/api/health"), ("src/app/(ops)/healthz/route.js", "/healthz"),
    ("pages/api/status.ts", "/api/status"),
])
def test_next_health_route_from_file_path(make_repo, route, expected):
    plan = analyse_repo(make_repo({"package.json": pkg({"next": "14"}, {"build": "next build", "start": "next start"}),
                                   "app/page.tsx": "export default function Home() {}\n",
                                   route: "export async function GET() { return Response.json({}) }\n"}))
    assert plan.services[0].health_check_path == expected
    assert evidence(plan, "services[0].health_check_path").source == f"{route}:1"


def test_compose_with_prebuilt_images_only_says_why_nothing_is_deployable(make_repo):
    from hivemind.errors import ReconError

    compose = ("services:\n  app:\n    image: ghcr.io/acme/shop:1.4\n    ports: ['8080:8080']\n"
               "  db:\n    image: postgres:15\n")
    root = make_repo({"docker-compose.yml": compose, "README.md": "# shop\n"})
    with pytest.raises(ReconError) as info:
        analyse_repo(root)
    assert str(info.value) == (f"no deployable application found in {root} (docker-compose runs prebuilt images "
                               "only: ghcr.io/acme/shop:1.4; HiveMind deploys source code or a Dockerfile)")


def test_python_src_layout_imports_the_package_not_src(make_repo):
    plan = analyse_repo(make_repo({
        "pyproject.toml": '[project]\nname = "svc"\ndependencies = ["fastapi", "uvicorn", "celery[redis]"]\n',
        "src/svc/__init__.py": "", "src/svc/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "src/svc/tasks.py": "from celery import Celery\napp = Celery('svc')\n",
    }))
    web, worker = plan.services
    assert web.start_command == "uvicorn svc.main:app --app-dir src --host 0.0.0.0 --port 8000"
    assert worker.start_command == "celery --workdir src -A svc.tasks worker --loglevel=INFO"


LARAVEL_JOB = "<?php\nnamespace App\\Jobs;\n\nclass SendInvoice implements ShouldQueue\n{\n}\n"


@pytest.mark.parametrize("queue, procfile, expected", [
    ("redis", None, [("web", "web"), ("worker", "worker")]),
    ("sync", None, [("web", "web")]),  # jobs run inline: no worker
    ("redis", "web: php artisan serve --host=0.0.0.0 --port=$PORT\n", [("web", "web")]),  # the Procfile decides
])
def test_laravel_queued_jobs_need_a_queue_worker(make_repo, queue, procfile, expected):
    files = {"composer.json": '{"require": {"laravel/framework": "^11.0"}}', "app/Jobs/SendInvoice.php": LARAVEL_JOB,
             ".env.example": f"APP_NAME=shop\nQUEUE_CONNECTION={queue}\n"}
    if procfile:
        files["Procfile"] = procfile
    plan = analyse_repo(make_repo(files))
    assert [(s.name, s.kind) for s in plan.services] == expected
    if len(expected) == 2:
        worker = plan.services[1]
        assert (worker.framework, worker.start_command, worker.port) == ("laravel-queue", "php artisan queue:work --tries=3",
                                                                          None)
        assert evidence(plan, "services[1].kind").source == "app/Jobs/SendInvoice.php:4"


def test_next_static_export_is_a_static_site(make_repo):
    plan = analyse_repo(make_repo({
        "package.json": pkg({"next": "14", "react": "18"}, {"build": "next build", "start": "next start"}),
        "package-lock.json": "{}", "next.config.mjs": "const nextConfig = {\n  output: 'export',\n};\nexport default nextConfig;\n",
        "app/page.tsx": "export default function Home() {}\n",
    }))
    web = plan.services[0]
    assert (web.runtime, web.framework, web.port) == ("static", "next", 8080)
    assert web.build_command == "npm ci && npm run build"
    assert web.start_command == "python3 -m http.server 8080 --directory out"


@pytest.mark.parametrize("root_files", [
    {"package.json": pkg({}, {"start": "turbo run start", "build": "turbo run build"}, workspaces=["apps/*"])},
    {"package.json": pkg({}, {"start": "pnpm -r start"}), "pnpm-workspace.yaml": "packages:\n  - apps/*\n"},
    {"package.json": pkg({}, {"start": "npm run start --workspaces"})},
])
def test_workspace_root_that_starts_its_packages_is_not_a_service(make_repo, root_files):
    plan = analyse_repo(make_repo({
        **root_files,
        "apps/api/package.json": pkg({"express": "4"}, {"start": "node index.js"}),
        "apps/site/index.html": "<h1>site</h1>",
    }))
    assert [(s.name, s.runtime, s.root) for s in plan.services] == [("api", "node", "apps/api"),
                                                                     ("site", "static", "apps/site")]


def test_django_project_in_a_subfolder_of_its_requirements_is_one_service(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "Django==5.0\ngunicorn\ncelery[redis]\npsycopg2-binary\n",
        "backend/manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
        "backend/proj/__init__.py": "", "backend/proj/wsgi.py": "application = get_wsgi_application()\n",
        "backend/proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
        "backend/proj/urls.py": "urlpatterns = [path('healthz/', health)]\n",
        "backend/proj/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n",
    }))
    assert [(s.name, s.root) for s in plan.services] == [("web", "."), ("worker", ".")]
    web, worker = plan.services
    assert web.start_command == "gunicorn --chdir backend proj.wsgi:application --bind 0.0.0.0:8000"
    assert web.build_command == "pip install -r requirements.txt" and web.health_check_path == "/healthz/"
    assert worker.start_command == "celery --workdir backend -A proj worker --loglevel=INFO"
    assert plan.database.engine == "postgres"


def test_go_module_with_several_binaries_gets_one_service_each(make_repo):
    plan = analyse_repo(make_repo({
        "go.mod": "module example.com/shop\n\ngo 1.22\n",
        "cmd/api/main.go": 'package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("/healthz", nil)\n'
                           '\thttp.ListenAndServe(":8090", nil)\n}\n',
        "cmd/worker/main.go": "package main\n\nfunc main() {\n\tfor {\n\t}\n}\n",
        "internal/store/store.go": "package store\n",
        "tools/gen/main.go": "package main\n\nfunc main() {}\n",  # a code generator, not a service
    }))
    assert [(s.name, s.kind, s.port, s.build_command, s.start_command) for s in plan.services] == [
        ("web", "web", 8090, "go build -o bin/api ./cmd/api", "./bin/api"),
        ("worker", "worker", None, "go build -o bin/worker ./cmd/worker", "./bin/worker")]
    assert plan.services[0].health_check_path == "/healthz"
    assert evidence(plan, "services[1].kind").source == "cmd/worker/main.go:1"


def test_name_option_and_invalid_name(make_repo):
    from hivemind.errors import ReconError

    root = make_repo({"index.html": "hi"})
    assert analyse_repo(root, name="shop-site", description="d").name == "shop-site"
    with pytest.raises(ReconError, match="invalid name 'Bad Name'"):
        analyse_repo(root, name="Bad Name")


def test_plan_is_stage_one_sized_with_evidence_origins(make_repo):
    plan = analyse_repo(make_repo({"package.json": pkg({"express": "4", "pg": "8"}, {"start": "node index.js"})}))
    assert plan.stage == "stage-1"
    assert plan.services[0].instance_type == "t3.micro" and plan.services[0].min_instances == 1
    assert plan.database.instance_class == "db.t3.micro" and not plan.database.multi_az
    assert {e.origin for e in plan.evidence} == {"detector", "default"}
    assert all(e.source == "default" or ":" in e.source or e.source.endswith(".json") for e in plan.evidence)


def test_flask_app_factory_with_gunicorn(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "Flask\ngunicorn\n",
        "shop/__init__.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n",
    }))
    assert plan.services[0].start_command == "gunicorn shop:create_app() --bind 0.0.0.0:5000"


def test_dockerfile_cmd_port_for_a_language_app(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "fastapi\nuvicorn\n", "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8500"]\n',
    }))
    assert plan.services[0].port == 8500
    assert plan.services[0].start_command == "uvicorn app.main:app --host 0.0.0.0 --port 8500"


def test_next_without_start_script_runs_next_start(make_repo):
    plan = analyse_repo(make_repo({"package.json": pkg({"next": "14", "react": "18"}, {"build": "next build"}),
                                   "pnpm-lock.yaml": ""}))
    web = plan.services[0]
    assert web.build_command == "pnpm install --frozen-lockfile && pnpm run build"
    assert web.start_command == "npx next start -p 3000"


def test_plain_php_is_served_by_the_builtin_server(make_repo):
    plan = analyse_repo(make_repo({"public/index.php": "<?php echo 'hi';\n", "public/ping.php": "<?php echo 'ok';\n"}))
    web = plan.services[0]
    assert (web.runtime, web.framework, web.port) == ("php", None, 8000)
    assert web.start_command == "php -S 0.0.0.0:8000 -t public"


@pytest.mark.parametrize("start, builder, out", [
    ("react-scripts start", "react-scripts", "build"), ("vite", "vite", "dist"), ("ng serve", "@angular/cli", "dist"),
])
def test_front_end_dev_server_is_not_a_node_service(make_repo, start, builder, out):
    plan = analyse_repo(make_repo({"package.json": pkg({"react": "18", builder: "1"}, {"start": start, "build": "x"})}))
    web = plan.services[0]
    assert web.runtime == "static"
    assert web.start_command == f"python3 -m http.server 8080 --directory {out}"


def test_compose_built_service_tells_its_container_port(make_repo):
    plan = analyse_repo(make_repo({
        "api/package.json": pkg({"koa": "2"}, {"start": "node index.js"}),
        "docker-compose.yml": "services:\n  api:\n    build: ./api\n    ports:\n      - \"8080:4000\"\n"
                              "  worker:\n    build: {context: ./missing}\n    ports: [9000]\n",
    }))
    assert plan.services[0].port == 4000
    assert evidence(plan, "services[0].port").source == "docker-compose.yml:2"
