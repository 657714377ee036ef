"""Python: requirements/pyproject/Pipfile name the framework or worker; code names the app object."""
from __future__ import annotations

import re

from ..draft import Findings, Rank, ServiceDraft
from ..manifests import python_dependency
from ..ports import port_in_code, reads_port_env
from ..repo import RepoView, is_app_path, join, parent_of

MANIFEST_NAMES = ("requirements.txt", "pyproject.toml", "Pipfile", "setup.py", "setup.cfg")
ROOT_MARKERS = ("requirements.txt", "pyproject.toml", "Pipfile", "setup.py", "manage.py")
WEB_FRAMEWORKS = ("django", "fastapi", "flask", "starlette", "aiohttp", "sanic")
SERVERS = ("gunicorn", "uvicorn", "hypercorn", "waitress", "daphne", "uwsgi")
WORKERS = ("celery", "rq", "dramatiq", "arq")
DEFAULT_PORTS = {"django": 8000, "fastapi": 8000, "flask": 5000, "starlette": 8000, "aiohttp": 8080,
                 "sanic": 8000, "wsgi": 8000, "asgi": 8000}
ENTRY_FILES = ("main.py", "app.py", "server.py", "wsgi.py", "asgi.py", "api.py", "run.py", "manage.py",
               "application.py", "tasks.py", "worker.py", "celery.py")

_APP_OBJECTS = {
    "fastapi": re.compile(r"^(\w+)\s*(?::\s*\w+\s*)?=\s*FastAPI\("),
    "flask": re.compile(r"^(\w+)\s*=\s*Flask\("),
    "starlette": re.compile(r"^(\w+)\s*=\s*Starlette\("),
    "aiohttp": re.compile(r"^(\w+)\s*=\s*web\.Application\("),
    "sanic": re.compile(r"^(\w+)\s*=\s*Sanic\("),
    "wsgi": re.compile(r"^(application|app)\s*=|^def (application)\("),
}
# An application factory (Flask's create_app pattern), served as `module:create_app()`.
_FACTORY_NAMES = r"(?:create_app|make_app|app_factory|get_app|get_application|build_app|init_app)"
_APP_FACTORY = re.compile(r"^(?:async\s+)?def (" + _FACTORY_NAMES[3:-1] + r")\(")
# `app = create_app()` at module level: the object a server imports (flasky.py, wsgi.py, main.py).
_FACTORY_CALL = re.compile(r"^(\w+)\s*(?::\s*\w+\s*)?=\s*(?:[\w.]+\.)?" + _FACTORY_NAMES + r"\(")
# Module-level Celery apps, built directly or by a factory function (make_celery, celery_init_app).
_CELERY_APP = re.compile(r"^(\w+)\s*=\s*(?:Celery|make_celery|create_celery(?:_app)?|celery_init_app|get_celery(?:_app)?)\("
                         # `celery = app.celery_app` beside `app.celery_app = create_celery()` (a celery_utils module)
                         r"|^(celery)\s*=\s*\w+\.celery(?:_app)?\s*$")
_BEAT_SCHEDULE = re.compile(r"\bbeat_schedule\b|\bCELERY_BEAT_SCHEDULE\b|\bCELERYBEAT_SCHEDULE\b|\badd_periodic_task\b")
_GUNICORN_CONF = ("gunicorn.conf.py", "gunicorn_config.py", "gunicorn.conf", "gunicorn.py")
_BIND = re.compile(r"""^\s*bind\s*=\s*\[?\s*['"][\w.\[\]]*:(\d{2,5})['"]""")
_UWSGI_PORT = re.compile(r"^\s*(?:http|http-socket|socket)\s*=\s*[\w.]*:(\d{2,5})")
_UWSGI_MODULE = re.compile(r"^\s*(?:module|wsgi-file)\s*=\s*(\S+)")
_ARQ_SETTINGS = re.compile(r"^class (WorkerSettings)\b")
_DRAMATIQ_ACTOR = re.compile(r"@dramatiq\.actor")


def dependency_line(repo: RepoView, root: str, package: str) -> tuple[str, int | None] | None:
    """Where `package` is declared as a shipped dependency of the root (requirements with their
    `-r` includes, pyproject, Pipfile, setup.py/cfg), parsed, so comments and dev groups do not count."""
    dep = python_dependency(repo, root, package)
    return (dep.path, dep.line) if dep else None


def module_of(root: str, rel: str) -> str:
    inside = rel if root == "." else rel[len(root) + 1:]
    return inside.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def split_src(module: str) -> tuple[str, str | None]:
    """'src.svc.main' -> ('svc.main', 'src'): in a src layout the package is imported without the
    src. prefix (its own imports say `from svc import ...`), with src on the import path."""
    if module.startswith("src.") and module.count(".") >= 2:
        return module[len("src."):], "src"
    return module, None


def find_object(repo: RepoView, files: list[str], pattern: re.Pattern[str]) -> tuple[str, int, str] | None:
    for rel in files:
        if hit := repo.first(rel, pattern):
            line, match = hit
            return rel, line, next(g for g in match.groups() if g)
    return None


def install_command(repo: RepoView, root: str) -> str:
    if repo.in_root(root, "requirements.txt"):
        return "pip install -r requirements.txt"
    if repo.in_root(root, "Pipfile"):
        return "pip install pipenv && pipenv install --system --deploy"
    return "pip install ."


def detect(repo: RepoView, found: Findings) -> None:
    manifest_roots = {parent_of(rel) for rel in repo.named(*MANIFEST_NAMES)}
    # A Django project in a subfolder (backend/manage.py) of the folder holding its requirements
    # belongs to that folder's service: the requirements must ship with it.
    manage_files = sorted(repo.named("manage.py"), key=lambda rel: (rel.count("/"), rel))
    manage_owner = {rel: _nearest(parent_of(rel), manifest_roots) or parent_of(rel) for rel in manage_files}
    roots = sorted(manifest_roots | set(manage_owner.values()))
    for root in roots:
        if not is_app_path(root):
            continue
        deps = {pkg: where for pkg in (*WEB_FRAMEWORKS, *SERVERS, *WORKERS)
                if (where := dependency_line(repo, root, pkg))}
        manage = next((rel for rel in manage_files if manage_owner[rel] == root), None)
        files = repo.source_files(root, (".py",), prefer=ENTRY_FILES)
        _detect_web(repo, found, root, deps, manage, files)
        _detect_worker(repo, found, root, deps, files, manage)


def _nearest(directory: str, roots: set[str]) -> str | None:
    """The closest folder at or above `directory` that is in `roots`."""
    while True:
        if directory in roots:
            return directory
        if directory == ".":
            return None
        directory = parent_of(directory)


def _detect_web(repo, found, root, deps, manage, files) -> None:
    framework = next((f for f in WEB_FRAMEWORKS if f in deps), None)
    if framework is None and manage:
        framework = "django"
    if framework is None:
        server = next((s for s in SERVERS if s in deps), None)
        if server is None:
            return
        framework = "asgi" if server in ("uvicorn", "hypercorn", "daphne") else "wsgi"
    if framework in deps:
        (manifest, line), why = deps[framework], f"depends on {framework}"
    elif framework == "django":
        manifest, line, why = manage, None, "manage.py present"
    else:
        server = next(s for s in SERVERS if s in deps)
        (manifest, line), why = deps[server], f"depends on {server}, a {framework.upper()} server"
    draft = found.add_service(root)
    draft.claim("runtime", "python", manifest, line, "Python manifest present", Rank.MANIFEST)
    draft.claim("framework", framework, manifest, line, why, Rank.MANIFEST)
    draft.claim("build_command", install_command(repo, root), manifest, None, "install requirements", Rank.SCRIPT)
    _start_command(repo, draft, root, framework, deps, files, manage)

    if hit := port_in_code(repo, files, "py"):
        port, path, line, why = hit
        draft.claim("port", port, path, line, why, Rank.CODE)
    if where := reads_port_env(repo, files):
        draft.claim("reads_port_env", True, where[0], where[1], "reads the PORT environment variable", Rank.CODE)
    draft.claim("port", DEFAULT_PORTS[framework], None, None, f"{framework} default port", Rank.DEFAULT)


def _start_command(repo, draft: ServiceDraft, root, framework, deps, files, manage=None) -> None:
    if framework == "django":
        # The project's modules are imported from manage.py's folder, which may be a subfolder.
        project = parent_of(manage) if manage else root
        sub = "" if project == root else (project if root == "." else project[len(root) + 1:])
        inside = [f for f in files if project == "." or f.startswith(project + "/")]
        wsgi = next((f for f in inside if f.endswith("/wsgi.py") or f == "wsgi.py"), None)
        uwsgi_ini = next((rel for rel in repo.files if rel.rsplit("/", 1)[-1] in ("uwsgi.ini", "uwsgi.yaml")
                          and (root == "." or rel.startswith(root + "/"))), None)
        if wsgi and "gunicorn" in deps:
            chdir = f"--chdir {sub} " if sub else ""
            draft.claim("start_command", f"gunicorn {chdir}{module_of(project, wsgi)}:application --bind 0.0.0.0:{{port}}",
                        wsgi, None, "Django WSGI module served by gunicorn", Rank.DEFAULT - 10)
        elif wsgi and "uwsgi" in deps:
            # uwsgi speaks HTTP itself with --http-socket: the load balancer needs no nginx in front.
            chdir = f"--chdir {sub} " if sub else ""
            ini = ""
            if uwsgi_ini:
                ini = f"--ini {uwsgi_ini if root == '.' else uwsgi_ini[len(root) + 1:]} "
                if port := repo.first(uwsgi_ini, _UWSGI_PORT):
                    draft.claim("port", int(port[1].group(1)), uwsgi_ini, port[0], "uwsgi socket port", Rank.CONFIG)
            draft.claim("start_command", f"uwsgi {ini}{chdir}--module {module_of(project, wsgi)}:application "
                        f"--http-socket 0.0.0.0:{{port}} --master", uwsgi_ini or wsgi, None,
                        "Django WSGI module served by uwsgi", Rank.DEFAULT - 10)
        else:
            draft.claim("start_command", f"python {join(sub or '.', 'manage.py')} runserver 0.0.0.0:{{port}}",
                        manage or join(root, "manage.py"), None,
                        "Django development server (add gunicorn to requirements for production)", Rank.DEFAULT - 10)
        return
    found_app = find_object(repo, files, _APP_OBJECTS.get(framework, _APP_OBJECTS["wsgi"]))
    factory = False
    if found_app is None:
        found_app = find_object(repo, files, _FACTORY_CALL)  # app = create_app() at module level
    if found_app is None and (hit := find_object(repo, files, _APP_FACTORY)):
        found_app, factory = hit, True  # only the factory: the server calls it
    if found_app is None:
        return
    rel, line, obj = found_app
    module, src = split_src(module_of(root, rel))
    target = f"{module}:{obj}"
    if factory and framework not in ("fastapi", "starlette", "asgi", "sanic"):
        target += "()"  # gunicorn calls `module:create_app()`
    if conf := next((repo.in_root(root, name) for name in _GUNICORN_CONF if repo.in_root(root, name)), None):
        if "gunicorn" in deps:
            # The project's own server settings (workers, bind, timeouts); the port it binds is the port.
            inside = conf if root == "." else conf[len(root) + 1:]
            draft.claim("start_command", f"gunicorn -c {inside} {target}", conf, None, "gunicorn with its config file",
                        Rank.DEFAULT - 15)
            if bind := repo.first(conf, _BIND):
                draft.claim("port", int(bind[1].group(1)), conf, bind[0], "gunicorn bind", Rank.CONFIG)
    if framework in ("fastapi", "starlette", "asgi", "sanic"):
        app_dir = f" --app-dir {src}" if src else ""
        flag = " --factory" if factory else ""
        command, why = f"uvicorn {target}{app_dir}{flag} --host 0.0.0.0 --port {{port}}", "ASGI app served by uvicorn"
    elif "gunicorn" in deps:
        worker = " --worker-class aiohttp.GunicornWebWorker" if framework == "aiohttp" else ""
        path = f" --pythonpath {src}" if src else ""
        command, why = f"gunicorn {target}{path} --bind 0.0.0.0:{{port}}{worker}", "WSGI app served by gunicorn"
    elif framework == "flask":
        command, why = f"flask --app {target} run --host 0.0.0.0 --port {{port}}", "Flask app (add gunicorn for production)"
    else:
        command, why = f"python {rel if root == '.' else rel[len(root) + 1:]}", "app module run directly"
    draft.claim("start_command", command, rel, line, why, Rank.DEFAULT - 10)


def _detect_worker(repo, found, root, deps, files, manage=None) -> None:
    worker = next((w for w in WORKERS if w in deps), None)
    if worker is None:
        return
    manifest, dep_line = deps[worker]
    command = None
    where: tuple[str, int | None] = (manifest, dep_line)
    if worker == "celery":
        if hit := find_object(repo, files, _CELERY_APP):
            rel, line, _ = hit
            project = parent_of(manage) if manage else root
            if project != root and rel.startswith(project + "/"):
                # A Django project in a subfolder: import it from there, as manage.py does.
                module, src = module_of(project, rel), project if root == "." else project[len(root) + 1:]
            else:
                module, src = split_src(module_of(root, rel))
            # `-A proj` finds proj.celery (Django layout); a top-level tasks.py is `-A tasks`.
            if module.endswith(".celery"):
                module = module.rsplit(".", 1)[0]
            workdir = f" --workdir {src}" if src else ""
            command, where = f"celery{workdir} -A {module} worker --loglevel=INFO", (rel, line)
    elif worker == "rq":
        command = "rq worker --url $REDIS_URL"
    elif worker == "dramatiq":
        if hit := next(((rel, h[0]) for rel in files if (h := repo.first(rel, _DRAMATIQ_ACTOR))), None):
            command, where = f"dramatiq {module_of(root, hit[0])}", hit
    elif worker == "arq":
        if hit := find_object(repo, files, _ARQ_SETTINGS):
            command, where = f"arq {module_of(root, hit[0])}.WorkerSettings", (hit[0], hit[1])
    if command is None:
        return
    draft = found.add_service(root, "worker")
    draft.claim("kind", "worker", manifest, dep_line, f"depends on {worker}, a task-queue worker", Rank.MANIFEST)
    draft.claim("runtime", "python", manifest, dep_line, "Python manifest present", Rank.MANIFEST)
    draft.claim("framework", worker, manifest, dep_line, f"depends on {worker}", Rank.MANIFEST)
    draft.claim("build_command", install_command(repo, root), manifest, None, "install requirements", Rank.SCRIPT)
    draft.claim("start_command", command, where[0], where[1], f"{worker} worker entry point", Rank.DEFAULT - 10)
    if worker == "celery":
        _celery_beat(repo, found, root, command, files, manifest)


def _celery_beat(repo, found, root, worker_command: str, files, manifest) -> None:
    """Celery beat, when periodic tasks are configured: one scheduler process beside the workers."""
    scheduler = python_dependency(repo, root, "django-celery-beat")
    hit = next(((rel, h[0]) for rel in files if (h := repo.first(rel, _BEAT_SCHEDULE))), None)
    if hit is None and scheduler is None:
        return
    where = hit or (scheduler.path, scheduler.line)
    command = worker_command.replace(" worker --loglevel=INFO", " beat --loglevel=INFO")
    if scheduler is not None:
        command += " --scheduler django_celery_beat.schedulers:DatabaseScheduler"
    beat = found.add_service(root, "beat")
    beat.claim("kind", "worker", where[0], where[1], "periodic tasks configured: Celery beat schedules them", Rank.CODE)
    beat.claim("runtime", "python", manifest, None, "Python manifest present", Rank.MANIFEST)
    beat.claim("framework", "celery-beat", where[0], where[1], "Celery beat scheduler", Rank.CODE)
    beat.claim("build_command", install_command(repo, root), manifest, None, "install requirements", Rank.SCRIPT)
    beat.claim("start_command", command, where[0], where[1], "Celery beat for the periodic tasks", Rank.DEFAULT - 10)
