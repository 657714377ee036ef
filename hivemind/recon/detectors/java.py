"""Java: Spring Boot via Maven (pom.xml) or Gradle; server.port from application config."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import yaml

from ..draft import Findings, Rank
from ..ports import STORE_PORTS
from ..repo import RepoView, is_app_path, parent_of

# The starter artifacts, or the Gradle plugin id (dependencies may come from a version catalog).
_SPRING_BOOT = re.compile(r"spring-boot|org\.springframework\.boot")
_ACTUATOR = re.compile(r"spring-boot-starter-actuator")
_PROPERTIES_PORT = re.compile(r"^\s*server\.port\s*[=:]\s*\$?\{?(?:PORT:)?(\d{2,5})")
# `${PORT:8081}` or `8081`, as a YAML value of server.port.
_PORT_VALUE = re.compile(r"^\s*\$?\{?(?:PORT:)?(\d{2,5})\}?\s*$")
_GRADLE_VERSION = re.compile(r"""^\s*version\s*=\s*['"]([^'"]+)['"]""")
_GRADLE_NAME = re.compile(r"""^\s*rootProject\.name\s*=\s*['"]([^'"]+)['"]""")
DEFAULT_PORT = 8080
CONFIG_DIR = "src/main/resources"


def _child_text(element: ET.Element, name: str) -> str | None:
    """Text of a direct child, whatever XML namespace the pom declares."""
    for child in element:
        if child.tag.rsplit("}", 1)[-1] == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def maven_jar(repo: RepoView, rel: str) -> tuple[str, int | None] | None:
    """(target/<finalName or artifactId-version>.jar, line) from the project's own coordinates,
    never from <parent> or a dependency; None when the pom does not parse or names no artifact."""
    try:
        project = ET.fromstring(repo.read(rel) or "")
    except ET.ParseError:
        return None
    artifact = _child_text(project, "artifactId")
    if artifact is None:
        return None
    parent = next((c for c in project if c.tag.rsplit("}", 1)[-1] == "parent"), None)
    version = _child_text(project, "version") or (_child_text(parent, "version") if parent is not None else None)
    build = next((c for c in project if c.tag.rsplit("}", 1)[-1] == "build"), None)
    final = _child_text(build, "finalName") if build is not None else None
    if final and "${" not in final:
        name = final
    elif version and "${" not in version:
        name = f"{artifact}-{version}"
    else:
        return None
    # The project's own <artifactId> is the last one before <dependencies>/<build> at its depth;
    # the parent's sits inside <parent>, so skip past </parent> when there is one.
    lines = repo.lines(rel)
    start = next((i for i, line in enumerate(lines) if "</parent>" in line), -1) + 1
    line = next((i + 1 for i in range(start, len(lines)) if f"<artifactId>{artifact}</artifactId>" in lines[i]), None)
    return f"target/{name}.jar", line


def gradle_jar(repo: RepoView, root: str, rel: str) -> tuple[str, str, int | None]:
    """(build/libs/<name>-<version>.jar, path, line) when settings and build name them, else the
    glob (bootJar alone writes one jar there)."""
    settings = repo.in_root(root, "settings.gradle.kts") or repo.in_root(root, "settings.gradle")
    name = repo.first(settings, _GRADLE_NAME) if settings else None
    version = repo.first(rel, _GRADLE_VERSION)
    if name and version:
        return f"build/libs/{name[1].group(1)}-{version[1].group(1)}.jar", rel, version[0]
    return "build/libs/*.jar", rel, None


def yaml_server_port(repo: RepoView, rel: str) -> tuple[int, int | None] | None:
    """server.port from application.yml (nested `server: port:` or a flat `server.port:` key), with its line.
    Other `port:` keys (a Redis or database client's) are not the app's port."""
    try:
        documents = list(yaml.safe_load_all(repo.read(rel) or ""))
    except yaml.YAMLError:
        return None
    for document in documents:
        if not isinstance(document, dict):
            continue
        server = document.get("server")
        value = server.get("port") if isinstance(server, dict) else document.get("server.port")
        match = _PORT_VALUE.match(str(value)) if value is not None else None
        if match:
            lines = repo.lines(rel)
            top = next((i for i, line in enumerate(lines) if re.match(r"server\s*:", line)), None)
            line = None
            if top is not None:
                line = next((i + 1 for i in range(top + 1, len(lines)) if re.match(r"\s+port\s*:", lines[i])), None)
            hit = repo.first(rel, re.compile(r"^server\.port\s*:"))
            return int(match.group(1)), line or (hit[0] if hit else None)
    return None


_POM_PACKAGING = re.compile(r"<packaging>\s*pom\s*</packaging>")
_GRADLE_INCLUDE = re.compile(r"""^\s*include\s*\(?\s*['"]""")


def _aggregator(repo: RepoView, root: str, rel: str) -> bool:
    """A parent pom (<packaging>pom</packaging>) or a Gradle root including subprojects and
    holding no sources of its own."""
    if rel.endswith("pom.xml"):
        return bool(repo.first(rel, _POM_PACKAGING))
    settings = repo.in_root(root, "settings.gradle") or repo.in_root(root, "settings.gradle.kts")
    prefix = "" if root == "." else root + "/"
    return bool(settings and repo.first(settings, _GRADLE_INCLUDE)) and \
        not any(f.startswith(prefix + "src/main/") for f in repo.files)


def detect(repo: RepoView, found: Findings) -> None:
    builds = repo.named("pom.xml", "build.gradle", "build.gradle.kts")
    for rel in builds:
        root = parent_of(rel)
        if not is_app_path(root) or found.service(root):
            continue
        hit = repo.first(rel, _SPRING_BOOT)
        if hit is None:
            continue
        if _aggregator(repo, root, rel):
            # A parent pom / root build of a multi-module project (<packaging>pom</packaging>,
            # subprojects): its modules are the applications, each planned from its own folder.
            found.exclude(root, rel, hit[0], "a multi-module build's parent: its modules are the applications")
            continue
        draft = found.add_service(root)
        maven = rel.endswith("pom.xml")
        draft.claim("runtime", "java", rel, None, "Maven/Gradle build present", Rank.MANIFEST)
        draft.claim("framework", "spring-boot", rel, hit[0], "uses Spring Boot", Rank.MANIFEST)
        if maven:
            tool = "./mvnw" if repo.in_root(root, "mvnw") else "mvn"
            draft.claim("build_command", f"{tool} -q -DskipTests package", rel, None, "Maven build", Rank.SCRIPT)
            jar = maven_jar(repo, rel)
            draft.claim("start_command", f"java -jar {jar[0] if jar else 'target/*.jar'}", rel, jar[1] if jar else None,
                        "the Spring Boot jar Maven builds", Rank.SCRIPT)
        else:
            tool = "./gradlew" if repo.in_root(root, "gradlew") else "gradle"
            draft.claim("build_command", f"{tool} bootJar -x test", rel, None, "Gradle Spring Boot build", Rank.SCRIPT)
            jar, path, line = gradle_jar(repo, root, rel)
            draft.claim("start_command", f"java -jar {jar}", path, line, "the jar bootJar builds", Rank.SCRIPT)
        for name in ("application.properties", "application.yml", "application.yaml"):
            config = repo.in_root(root, f"{CONFIG_DIR}/{name}")
            if config is None:
                continue
            if name.endswith(".properties"):
                port_hit = repo.first(config, _PROPERTIES_PORT)
                port = (int(port_hit[1].group(1)), port_hit[0]) if port_hit else None
            else:
                port = yaml_server_port(repo, config)
            if port and port[0] not in STORE_PORTS:
                draft.claim("port", port[0], config, port[1], "server.port", Rank.CONFIG)
                break
        if actuator := repo.first(rel, _ACTUATOR):
            draft.claim("health_check_path", "/actuator/health", rel, actuator[0],
                        "Spring Boot Actuator health endpoint", Rank.MANIFEST)
        draft.claim("port", DEFAULT_PORT, None, None, "Spring Boot default port", Rank.DEFAULT)
        draft.claim("reads_port_env", True, None, None, "Spring Boot honours $PORT via server.port", Rank.DEFAULT)
