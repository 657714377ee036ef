"""What the app needs from the user (item 8 of issue 13): env vars read with no default are listed
under `needs:` with evidence, and `unmet_needs` names those no service sets."""
from __future__ import annotations

import json

import pytest

from hivemind.plan import DeploymentPlan
from hivemind.plan.needs import unmet_needs
from hivemind.recon import analyse_repo

NODE = {"package.json": json.dumps({"dependencies": {"express": "4", "joi": "17", "mongoose": "8"},
                                    "scripts": {"start": "node src/index.js"}})}


def test_required_settings_are_needs_with_evidence(make_repo):
    config = ("const schema = Joi.object().keys({\n  NODE_ENV: Joi.string().valid('production').required(),\n"
              "  PORT: Joi.number().default(3000),\n  MONGODB_URL: Joi.string().required().description('url'),\n"
              "  SMTP_HOST: Joi.string(),\n  // OLD_KEY: Joi.string().required(),\n})\n"
              "if (!process.env.JWT_SECRET) throw new Error('JWT_SECRET')\n")
    plan = analyse_repo(make_repo({**NODE, "src/config.js": config}))
    assert [(n.name, n.source) for n in plan.needs] == [
        ("JWT_SECRET", "src/config.js:8"), ("MONGODB_URL", "src/config.js:4"), ("NODE_ENV", "src/config.js:2")]
    assert "Joi" in plan.needs[1].reason


@pytest.mark.parametrize("code, expected", [
    ("import os\nSECRET = os.environ['SECRET_KEY']\nos.environ['FLAG'] = '1'\n", ["SECRET_KEY"]),
    ("import os\nHOSTS = os.environ.get('ALLOWED_HOSTS').split(' ')\nDSN = os.environ.get('SENTRY_DSN')\n",
     ["ALLOWED_HOSTS"]),
    ("import os\nX = os.environ.get('A', 'default')\nY = os.getenv('B')\n", []),
    ("from pydantic_settings import BaseSettings\nclass Settings(BaseSettings):\n    API_KEY: str\n"
     "    DEBUG: bool = False\n    SENTRY_DSN: str | None = None\n", ["API_KEY"]),
])
def test_python_reads_without_a_default(make_repo, code, expected):
    plan = analyse_repo(make_repo({"requirements.txt": "flask\n",
                                   "app.py": "from flask import Flask\napp = Flask(__name__)\n", "settings.py": code}))
    assert [n.name for n in plan.needs] == expected


def test_what_the_plan_provides_is_no_need(make_repo):
    plan = analyse_repo(make_repo({
        "requirements.txt": "flask\npsycopg2\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "settings.py": "import os\nDB = os.environ['DATABASE_URL']\nPORT = os.environ['PORT']\n",
    }))
    assert plan.database is not None and plan.needs == []


def test_compose_required_variables_of_the_app_service(make_repo):
    compose = ("services:\n  backend:\n    build: .\n    environment:\n      SECRET_KEY: ${SECRET_KEY:?Variable not set}\n"
               "      DATABASE_URL: postgresql://u:${POSTGRES_PASSWORD:?}@db/app\n"
               "  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD:?}\n")
    plan = analyse_repo(make_repo({"requirements.txt": "fastapi\nuvicorn\npsycopg\n",
                                   "main.py": "from fastapi import FastAPI\napp = FastAPI()\n", "compose.yml": compose}))
    assert [(n.name, n.source) for n in plan.needs] == [("SECRET_KEY", "compose.yml:5")]


def _plan(**extra) -> DeploymentPlan:
    return DeploymentPlan.model_validate({
        "name": "shop", "services": [{"name": "web", "runtime": "node", "port": 3000, "env": {"NODE_ENV": "production"},
                                      "secrets": {"JWT_SECRET": "arn:aws:secretsmanager:us-east-1:1:secret:jwt"}}],
        "needs": [{"name": "NODE_ENV", "source": "a.js:1"}, {"name": "JWT_SECRET", "source": "a.js:2"},
                  {"name": "MONGODB_URL", "source": "a.js:3"}, {"name": "DATABASE_URL", "source": "a.js:4"},
                  {"name": "MONGODB_URL", "source": "b.js:1"}],
        **extra,
    })


def test_unmet_needs_names_what_no_service_sets():
    assert unmet_needs(_plan()) == ["MONGODB_URL", "DATABASE_URL"]
    assert unmet_needs(_plan(database={"engine": "postgres", "version": "16"})) == ["MONGODB_URL"]


def test_a_need_must_be_an_env_name():
    with pytest.raises(ValueError):
        DeploymentPlan.model_validate({"name": "shop", "services": [{"name": "web", "runtime": "node"}],
                                       "needs": [{"name": "not a name", "source": "x"}]})


def test_reads_on_a_branch_taken_only_when_set_are_no_needs(make_repo):
    settings = ("import os\nif (\n    'CDN_TOKEN' in os.environ\n    or 'CDN_KEY' in os.environ\n):\n"
                "    CACHE = {\n        'ZONE': os.environ['CDN_ZONE'],\n    }\n"
                "if 'S3_BUCKET' in os.environ:\n    BUCKET = os.environ['S3_BUCKET']\nSECRET = os.environ['SECRET_KEY']\n")
    plan = analyse_repo(make_repo({"requirements.txt": "flask\n",
                                   "app.py": "from flask import Flask\napp = Flask(__name__)\n", "settings.py": settings}))
    assert [n.name for n in plan.needs] == ["SECRET_KEY"]


def test_python_rules_do_not_fire_in_javascript(make_repo):
    plan = analyse_repo(make_repo({**NODE, "src/env.ts": "export const key = env('STRIPE_KEY')\n"}))
    assert plan.needs == []
