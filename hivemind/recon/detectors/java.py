"""Java: Spring Boot via Maven (pom.xml) or Gradle; server.port from application config."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..repo import RepoView, is_app_path, parent_of

_SPRING_BOOT = re.compile(r"spring-boot")
_ACTUATOR = re.compile(r"spring-boot-starter-actuator")
_PROPERTIES_PORT = re.compile(r"^\s*server\.port\s*[=:]\s*\$?\{?(?:PORT:)?(\d{2,5})")
_YAML_PORT = re.compile(r"^\s+port:\s*\$?\{?(?:PORT:)?(\d{2,5})")
_ARTIFACT = re.compile(r"^\s{4}<artifactId>([^<]+)</artifactId>")
_VERSION = re.compile(r"^\s{4}<version>([^<]+)</version>")
DEFAULT_PORT = 8080
CONFIG_DIR = "src/main/resources"


def detect(repo: RepoView, found: Findings) -> None:
    builds = repo.named("pom.xml", "build.gradle", "build.gradle.kts")
    for rel in builds:
        root = parent_of(rel)
        if not is_app_path(root) or found.service(root):
            continue
        hit = repo.first(rel, _SPRING_BOOT)
        if hit is None:
            continue
        draft = found.add_service(root)
        maven = rel.endswith("pom.xml")
        draft.claim("runtime", "java", rel, None, "Maven/Gradle build present", Rank.MANIFEST)
        draft.claim("framework", "spring-boot", rel, hit[0], "uses Spring Boot", Rank.MANIFEST)
        if maven:
            tool = "./mvnw" if repo.in_root(root, "mvnw") else "mvn"
            draft.claim("build_command", f"{tool} -q -DskipTests package", rel, None, "Maven build", Rank.SCRIPT)
            artifact, version = repo.first(rel, _ARTIFACT), repo.first(rel, _VERSION)
            jar = f"target/{artifact[1].group(1)}-{version[1].group(1)}.jar" if artifact and version else "target/*.jar"
            draft.claim("start_command", f"java -jar {jar}", rel, artifact[0] if artifact else None,
                        "the Spring Boot jar Maven builds", Rank.SCRIPT)
        else:
            tool = "./gradlew" if repo.in_root(root, "gradlew") else "gradle"
            draft.claim("build_command", f"{tool} bootJar -x test", rel, None, "Gradle Spring Boot build", Rank.SCRIPT)
            draft.claim("start_command", "java -jar build/libs/*.jar", rel, None, "the jar bootJar builds", Rank.SCRIPT)
        for name, pattern in (("application.properties", _PROPERTIES_PORT), ("application.yml", _YAML_PORT),
                              ("application.yaml", _YAML_PORT)):
            config = repo.in_root(root, f"{CONFIG_DIR}/{name}")
            if config and (port_hit := repo.first(config, pattern)):
                draft.claim("port", int(port_hit[1].group(1)), config, port_hit[0], "server.port", Rank.CONFIG)
                break
        if actuator := repo.first(rel, _ACTUATOR):
            draft.claim("health_check_path", "/actuator/health", rel, actuator[0],
                        "Spring Boot Actuator health endpoint", Rank.MANIFEST)
        draft.claim("port", DEFAULT_PORT, None, None, "Spring Boot default port", Rank.DEFAULT)
        draft.claim("reads_port_env", True, None, None, "Spring Boot honours $PORT via server.port", Rank.DEFAULT)
