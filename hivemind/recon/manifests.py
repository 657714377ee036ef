"""Dependency manifests, parsed: which packages a folder declares, where, and whether they ship.

Detectors decide from these lists, never from a regex over the raw file, so a commented-out
`# psycopg2`, a `// indirect` Go requirement, a test-scoped Maven driver or a gem in the
`:development` group is not taken for something the deployed app uses. Every parser is lenient:
a file that does not parse yields nothing, never an exception.
"""
from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .repo import RepoView, is_app_path, join, parent_of

PYTHON_MANIFESTS = ("requirements.txt", "pyproject.toml", "Pipfile", "setup.py", "setup.cfg")
ALL_MANIFESTS = ("package.json", *PYTHON_MANIFESTS, "go.mod", "pom.xml", "build.gradle", "build.gradle.kts",
                 "Gemfile", "Gemfile.lock", "composer.json")
MAX_INCLUDE_DEPTH = 5


@dataclass(frozen=True)
class Dependency:
    name: str  # normalised: lower-case; Python names with '-'; Go module path; Maven 'group:artifact'
    path: str
    line: int | None
    dev: bool = False  # a development/test-only group or scope: not installed in production
    optional: bool = False  # an extra or optional group: installed only when asked for
    extras: tuple[str, ...] = ()  # celery[redis] -> ("redis",)


def normalise_python(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _line_of(lines: list[str], pattern: re.Pattern[str], start: int = 0) -> int | None:
    return next((i + 1 for i in range(start, len(lines)) if pattern.search(lines[i])), None)


def _quoted_line(lines: list[str], name: str) -> int | None:
    return _line_of(lines, re.compile(r"""["']""" + re.escape(name) + r"""["'\[<>=~!;\s]""", re.IGNORECASE))


# --- Node -------------------------------------------------------------------------------------
def parse_package_json(text: str, rel: str) -> list[Dependency]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    lines = text.splitlines()
    deps = []
    for section, dev, optional in (("dependencies", False, False), ("optionalDependencies", False, True),
                                   ("peerDependencies", False, True), ("devDependencies", True, False)):
        block = data.get(section)
        if isinstance(block, dict):
            for name in block:
                line = _line_of(lines, re.compile(r'"' + re.escape(str(name)) + r'"\s*:'))
                deps.append(Dependency(str(name).lower(), rel, line, dev=dev, optional=optional))
    return deps


# --- Python -----------------------------------------------------------------------------------
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def _requirement(spec: str) -> tuple[str, tuple[str, ...]] | None:
    """'celery[redis]>=5 ; python_version>"3"' -> ('celery', ('redis',))."""
    match = _REQ_NAME.match(spec)
    if not match:
        return None
    extras = tuple(e.strip().lower() for e in (match.group(2) or "").split(",") if e.strip())
    return normalise_python(match.group(1)), extras


def parse_requirements(repo: RepoView, rel: str, depth: int = 0, seen: frozenset[str] = frozenset()) -> list[Dependency]:
    """requirements.txt, following `-r other.txt` includes (bounded, no cycles)."""
    deps: list[Dependency] = []
    dev = bool(re.search(r"(?:^|[/_-])(?:dev|test|tests|testing|lint|docs)(?:[._-]|$)", rel.rsplit("/", 1)[-1]))
    for number, raw in enumerate(repo.lines(rel), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = re.match(r"^(?:-r|--requirement)\s*=?\s*(\S+)", line)
        if include:
            target = _resolve(parent_of(rel), include.group(1))
            if target and target in repo.fileset and target not in seen and depth < MAX_INCLUDE_DEPTH:
                deps.extend(parse_requirements(repo, target, depth + 1, seen | {rel}))
            continue
        if line.startswith("-"):
            continue  # -e ., --index-url, -c constraints: not a named dependency
        parsed = _requirement(line)
        if parsed:
            deps.append(Dependency(parsed[0], rel, number, dev=dev, extras=parsed[1]))
    return deps


def _resolve(base: str, target: str) -> str | None:
    parts = [] if base == "." else base.split("/")
    for piece in target.split("/"):
        if piece == "..":
            if not parts:
                return None
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts) or None


def _specs(values: object) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def parse_pyproject(text: str, rel: str) -> list[Dependency]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return []
    lines = text.splitlines()
    found: list[tuple[str, tuple[str, ...], bool, bool]] = []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    for spec in _specs(project.get("dependencies")):
        if parsed := _requirement(spec):
            found.append((*parsed, False, False))
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for group, specs in optional.items():
            is_dev = str(group).lower() in ("dev", "test", "tests", "lint", "docs")
            for spec in _specs(specs):
                if parsed := _requirement(spec):
                    found.append((*parsed, is_dev, True))
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):  # PEP 735: development groups, never installed by `pip install .`
        for specs in groups.values():
            for spec in _specs(specs):
                if parsed := _requirement(spec):
                    found.append((*parsed, True, False))
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        for section, dev in (("dependencies", False), ("dev-dependencies", True)):
            block = poetry.get(section)
            if isinstance(block, dict):
                for name, value in block.items():
                    if name.lower() != "python":
                        extras = tuple(value.get("extras", [])) if isinstance(value, dict) else ()
                        opt = isinstance(value, dict) and bool(value.get("optional"))
                        found.append((normalise_python(name), extras, dev, opt))
        groups = poetry.get("group")
        if isinstance(groups, dict):
            for group, spec in groups.items():
                block = spec.get("dependencies") if isinstance(spec, dict) else None
                if isinstance(block, dict):
                    dev = group.lower() != "main"
                    found.extend((normalise_python(n), (), dev, False) for n in block)
    return [Dependency(name, rel, _quoted_line(lines, name) or _bare_line(lines, name), dev=dev, optional=opt,
                       extras=extras) for name, extras, dev, opt in found]


def _bare_line(lines: list[str], name: str) -> int | None:
    pattern = name.replace("-", "[-_.]")
    return _line_of(lines, re.compile(r"(?i)^\s*" + pattern + r"\s*="))


def parse_pipfile(text: str, rel: str) -> list[Dependency]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return []
    lines = text.splitlines()
    deps = []
    for section, dev in (("packages", False), ("dev-packages", True)):
        block = data.get(section)
        if isinstance(block, dict):
            for name, value in block.items():
                extras = tuple(value.get("extras", [])) if isinstance(value, dict) else ()
                norm = normalise_python(name)
                deps.append(Dependency(norm, rel, _bare_line(lines, norm) or _quoted_line(lines, name), dev=dev,
                                       extras=extras))
    return deps


_SETUP_REQ = re.compile(r"""["']([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*(?:[<>=!~;][^"']*)?)["']""")
_INSTALL_REQUIRES_PY = re.compile(r"install_requires\s*=\s*\[(.*?)\]", re.DOTALL)
_INSTALL_REQUIRES_CFG = re.compile(r"^install_requires\s*=\s*\n((?:[ \t]+\S.*\n?)+)", re.MULTILINE)


def parse_setup(text: str, rel: str) -> list[Dependency]:
    """setup.py's install_requires list (read, never executed) or setup.cfg's install_requires option."""
    deps: list[Dependency] = []
    if rel.endswith(".py"):
        match = _INSTALL_REQUIRES_PY.search(text)
        specs = [(m.group(1), match.start(1) + m.start()) for m in _SETUP_REQ.finditer(match.group(1))] if match else []
    else:
        match = _INSTALL_REQUIRES_CFG.search(text)
        specs = []
        if match:
            offset = match.start(1)
            for line in match.group(1).splitlines(keepends=True):
                if line.strip() and not line.strip().startswith("#"):
                    specs.append((line.strip(), offset))
                offset += len(line)
    for spec, offset in specs:
        if parsed := _requirement(spec):
            deps.append(Dependency(parsed[0], rel, text.count("\n", 0, offset) + 1, extras=parsed[1]))
    return deps


# --- Go ---------------------------------------------------------------------------------------
def parse_go_mod(text: str, rel: str) -> list[Dependency]:
    """Direct requirements only: a `// indirect` one is a dependency of a dependency."""
    deps = []
    block = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("require ("):
            block = True
            continue
        if block and line.startswith(")"):
            block = False
            continue
        spec = line[len("require "):] if line.startswith("require ") else (line if block else "")
        if not spec or spec.startswith("//"):
            continue
        indirect = "// indirect" in spec
        module = spec.split()[0]
        deps.append(Dependency(module.lower(), rel, number, dev=indirect))
    return deps


# --- Ruby -------------------------------------------------------------------------------------
_GEM = re.compile(r"""^\s*gem\s+['"]([\w.-]+)['"](.*)$""")
_GROUP = re.compile(r"^\s*group\s+(.+?)\s+do\b")


def parse_gemfile(text: str, rel: str) -> list[Dependency]:
    deps = []
    groups: list[bool] = []  # one entry per open `group ... do`: True when development/test only
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0]
        if match := _GROUP.match(line):
            names = set(re.findall(r":(\w+)", match.group(1)))
            groups.append(bool(names) and names <= {"development", "test"})
            continue
        if re.match(r"^\s*end\b", line) and groups:
            groups.pop()
            continue
        if match := _GEM.match(line):
            inline = set(re.findall(r"group[s]?:\s*\[?([^\]]+)", match.group(2)))
            inline_names = set(re.findall(r":(\w+)", " ".join(inline)))
            dev = any(groups) or (bool(inline_names) and inline_names <= {"development", "test"})
            deps.append(Dependency(match.group(1).lower(), rel, number, dev=dev))
    return deps


def parse_gemfile_lock(text: str, rel: str) -> list[Dependency]:
    """The DEPENDENCIES section: the gems the Gemfile asks for (groups are not recorded there)."""
    deps = []
    inside = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip() == "DEPENDENCIES":
            inside = True
            continue
        if inside:
            if not raw.startswith("  "):
                break
            name = raw.strip().split()[0].rstrip("!")
            deps.append(Dependency(name.lower(), rel, number))
    return deps


# --- PHP --------------------------------------------------------------------------------------
def parse_composer(text: str, rel: str) -> list[Dependency]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    lines = text.splitlines()
    deps = []
    for section, dev in (("require", False), ("require-dev", True)):
        block = data.get(section)
        if isinstance(block, dict):
            for name in block:
                line = _line_of(lines, re.compile(r'"' + re.escape(str(name)) + r'"\s*:'))
                deps.append(Dependency(str(name).lower(), rel, line, dev=dev))
    return deps


# --- Java -------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_pom(text: str, rel: str) -> list[Dependency]:
    try:
        project = ET.fromstring(text)
    except ET.ParseError:
        return []
    lines = text.splitlines()
    deps = []
    for element in project.iter():
        if _local(element.tag) != "dependency":
            continue
        fields = {_local(c.tag): (c.text or "").strip() for c in element}
        group, artifact = fields.get("groupId", ""), fields.get("artifactId", "")
        if not artifact:
            continue
        line = _line_of(lines, re.compile(r"<artifactId>\s*" + re.escape(artifact) + r"\s*</artifactId>"))
        dev = fields.get("scope") in ("test", "provided")
        deps.append(Dependency(f"{group}:{artifact}".lower(), rel, line, dev=dev,
                               optional=fields.get("optional") == "true"))
    return deps


_GRADLE_DEP = re.compile(
    r"""^\s*(\w+)\s*\(?\s*(?:platform\()?['"]([\w.-]+):([\w.-]+)(?::[^'"]*)?['"]""")
_GRADLE_MAP = re.compile(r"""^\s*(\w+)\s*\(?\s*group\s*[:=]\s*['"]([\w.-]+)['"]\s*,\s*name\s*[:=]\s*['"]([\w.-]+)['"]""")


def parse_gradle(text: str, rel: str) -> list[Dependency]:
    deps = []
    in_block_comment = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if in_block_comment:
            if "*/" not in line:
                continue
            in_block_comment, line = False, line.split("*/", 1)[1]
        if "/*" in line and "*/" not in line:
            in_block_comment, line = True, line.split("/*", 1)[0]
        line = line.split("//", 1)[0]
        match = _GRADLE_DEP.match(line) or _GRADLE_MAP.match(line)
        if match:
            configuration = match.group(1)
            dev = configuration.lower().startswith("test") or configuration in ("developmentOnly", "annotationProcessor")
            deps.append(Dependency(f"{match.group(2)}:{match.group(3)}".lower(), rel, number, dev=dev))
    return deps


# --- one entry point ---------------------------------------------------------------------------
def parse_manifest(repo: RepoView, rel: str) -> list[Dependency]:
    """The dependencies one manifest declares (cached on the repository view)."""
    cache = repo.memo.setdefault("manifests", {})
    if rel not in cache:
        cache[rel] = _parse(repo, rel)
    return cache[rel]


def _parse(repo: RepoView, rel: str) -> list[Dependency]:
    name = rel.rsplit("/", 1)[-1]
    text = repo.read(rel)
    if not text:
        return []
    if name == "package.json":
        return parse_package_json(text, rel)
    if name.startswith("requirements") and name.endswith(".txt"):
        return parse_requirements(repo, rel)
    if name == "pyproject.toml":
        return parse_pyproject(text, rel)
    if name == "Pipfile":
        return parse_pipfile(text, rel)
    if name in ("setup.py", "setup.cfg"):
        return parse_setup(text, rel)
    if name == "go.mod":
        return parse_go_mod(text, rel)
    if name == "Gemfile":
        return parse_gemfile(text, rel)
    if name == "Gemfile.lock":
        return parse_gemfile_lock(text, rel)
    if name == "composer.json":
        return parse_composer(text, rel)
    if name == "pom.xml":
        return parse_pom(text, rel)
    if name in ("build.gradle", "build.gradle.kts"):
        return parse_gradle(text, rel)
    return []


def root_dependencies(repo: RepoView, root: str, names: tuple[str, ...] = ALL_MANIFESTS) -> list[Dependency]:
    """Every dependency the manifests of one folder declare (a Gemfile.lock only without a Gemfile)."""
    deps: list[Dependency] = []
    for name in names:
        if name == "Gemfile.lock" and repo.in_root(root, "Gemfile"):
            continue
        if rel := repo.in_root(root, name):
            deps.extend(parse_manifest(repo, rel))
    return deps


def repo_dependencies(repo: RepoView) -> list[Dependency]:
    """Every dependency of every application folder (tests, docs and examples left out)."""
    if "all_deps" not in repo.memo:
        roots = sorted({parent_of(rel) for rel in repo.named(*ALL_MANIFESTS)})
        repo.memo["all_deps"] = [d for root in roots if is_app_path(root) for d in root_dependencies(repo, root)]
    return repo.memo["all_deps"]


def lock_dependencies(repo: RepoView) -> list[Dependency]:
    """Packages installed through others (composer.lock, Gemfile.lock specs): what the app *can*
    talk to, never a claim of what it does (a transitive client is no evidence of use)."""
    if "lock_deps" not in repo.memo:
        deps: list[Dependency] = []
        for rel in repo.named("composer.lock"):
            if not is_app_path(parent_of(rel)):
                continue
            try:
                data = json.loads(repo.read(rel) or "")
            except ValueError:
                continue
            packages = data.get("packages") if isinstance(data, dict) else None
            for package in packages if isinstance(packages, list) else []:
                if isinstance(package, dict) and isinstance(package.get("name"), str):
                    deps.append(Dependency(package["name"].lower(), rel, None))
        repo.memo["lock_deps"] = deps
    return repo.memo["lock_deps"]


def python_dependency(repo: RepoView, root: str, package: str) -> Dependency | None:
    """A shipped (non-dev) Python dependency of `root`, from requirements (with includes), pyproject, Pipfile or setup."""
    wanted = normalise_python(package)
    return next((d for d in root_dependencies(repo, root, PYTHON_MANIFESTS) if d.name == wanted and not d.dev), None)


__all__ = ["Dependency", "join", "parse_manifest", "python_dependency", "repo_dependencies", "root_dependencies"]
