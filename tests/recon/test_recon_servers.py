"""App factories and the servers a project configures (item 5 of issue 13)."""
from __future__ import annotations

import pytest

from hivemind.recon import analyse_repo


def test_module_level_factory_call_is_the_app_gunicorn_imports(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "flask\ngunicorn\n",
        "app/__init__.py": "from flask import Flask\n\ndef create_app(config):\n    app = Flask(__name__)\n    return app\n",
        "flasky.py": "import os\nfrom app import create_app\napp = create_app(os.getenv('FLASK_CONFIG') or 'default')\n",
    }))
    assert plan.services[0].start_command == "gunicorn flasky:app --bind 0.0.0.0:5000"


def test_fastapi_factory_is_served_with_uvicorn_factory(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "fastapi\nuvicorn\n",
        "main.py": "from fastapi import FastAPI\n\ndef get_application() -> FastAPI:\n    return FastAPI()\n",
    }))
    assert plan.services[0].start_command == "uvicorn main:get_application --factory --host 0.0.0.0 --port 8000"


def test_fastapi_app_from_a_factory_call(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "fastapi\nuvicorn\n",
        "app/main.py": "from app.factory import get_application\napp = get_application()\n",
    }))
    assert plan.services[0].start_command == "uvicorn app.main:app --host 0.0.0.0 --port 8000"


def test_gunicorn_config_file_and_its_bind(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "flask\ngunicorn\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "gunicorn.conf.py": "bind = '0.0.0.0:8081'\nworkers = 4\n",
    }))
    web = plan.services[0]
    assert (web.start_command, web.port) == ("gunicorn -c gunicorn.conf.py app:app", 8081)


def test_django_served_by_uwsgi_never_by_runserver(make_repo):
    plan = analyse_repo(make_repo({
        "manage.py": "", "requirements.txt": "django\nuwsgi\n", "shop/wsgi.py": "application = None\n",
        "uwsgi.ini": "[uwsgi]\nmodule = shop.wsgi:application\nsocket = :8001\n",
    }))
    web = plan.services[0]
    assert "runserver" not in web.start_command
    assert web.start_command == ("uwsgi --ini uwsgi.ini --module shop.wsgi:application "
                                 "--http-socket 0.0.0.0:8001 --master")


@pytest.mark.parametrize("code", [
    "from celery import Celery\n\ndef make_celery(app):\n    return Celery(app.name)\n\ncelery = make_celery(app)\n",
    "from celery import Celery\napp = Celery('proj')\n",
])
def test_celery_app_built_by_a_factory_and_beat_when_scheduled(make_repo, code):
    plan = analyse_repo(make_repo({
        "requirements.txt": "celery[redis]\n",
        "proj/tasks.py": code + "\n",
        "proj/schedule.py": "beat_schedule = {'every-minute': {'task': 'proj.tasks.ping', 'schedule': 60}}\n",
    }))
    assert [(s.name, s.framework) for s in plan.services] == [("beat", "celery-beat"), ("worker", "celery")]
    beat, worker = plan.services
    assert worker.start_command == "celery -A proj.tasks worker --loglevel=INFO"
    assert beat.start_command == "celery -A proj.tasks beat --loglevel=INFO"


def test_no_beat_without_periodic_tasks(make_repo):
    plan = analyse_repo(make_repo({"requirements.txt": "celery[redis]\n",
                                   "tasks.py": "from celery import Celery\napp = Celery('t')\n"}))
    assert [s.framework for s in plan.services] == ["celery"]


def test_port_behind_other_env_vars_and_never_a_mail_port(make_repo):
    import json
    plan = analyse_repo(make_repo({
        "package.json": json.dumps({"dependencies": {"express": "4", "nodemailer": "6"}, "scripts": {"start": "node app.js"}}),
        "app.js": "const t = nodemailer.createTransport({ host: 'smtp', port: 465 })\n"
                  "app.set('port', process.env.PORT || process.env.OPENSHIFT_NODEJS_PORT || 8080)\n",
    }))
    assert plan.services[0].port == 8080


def test_port_default_of_an_app_specific_port_variable(make_repo):
    import json
    plan = analyse_repo(make_repo({
        "package.json": json.dumps({"dependencies": {"express": "4"}, "scripts": {"start": "node server.js"}}),
        "server.js": "const db = process.env.DB_PORT || 5433\nconst PORT = process.env.NODE_DOCKER_PORT || 8080\n",
    }))
    assert plan.services[0].port == 8080


def test_celery_app_from_a_celery_utils_module(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "fastapi\nuvicorn\ncelery[redis]\n",
        "project/celery_utils.py": "from celery import current_app\n\ndef create_celery():\n    return current_app\n",
        "project/main.py": "from fastapi import FastAPI\nfrom project.celery_utils import create_celery\n"
                           "app = FastAPI()\napp.celery_app = create_celery()\ncelery = app.celery_app\n",
    }))
    assert [(s.kind, s.start_command) for s in plan.services] == [
        ("web", "uvicorn project.main:app --host 0.0.0.0 --port 8000"),
        ("worker", "celery -A project.main worker --loglevel=INFO")]
