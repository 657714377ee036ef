"""Find every boto3 call HiveMind makes, by reading its source (an AST scan, nothing is run).

How clients are made here: `client("svc", region)` (hivemind.aws), `read_client("svc", region)`
(hivemind.ops.util), `session.client("svc", ...)`, or a project function that returns one of those
(e.g. deploy.cfn._new_client). Clients then travel in variables, in `self.<attr>`, and as
arguments to project functions; the scan follows all three (to a fixpoint) and records each
`<client>.<operation>(...)`, `get_paginator("<op>")` and `get_waiter("<name>")`.

What it cannot attribute is reported, not guessed: a call whose method is a boto3 operation name of
a service HiveMind uses, on a receiver the scan could not tie to a client, and that no HiveMind
function or method of that name explains (the CloudFormationApi wrapper's methods are HiveMind's).
"""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import botocore.session
from botocore import xform_name

# Functions that return a client of the service named by their first argument.
CLIENT_FACTORIES = frozenset({"client", "read_client"})
# Methods boto3 adds to the S3 client (the transfer manager); they are not service operations.
S3_TRANSFER_METHODS = frozenset({"upload_file", "upload_fileobj", "download_file", "download_fileobj", "copy"})
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, order=True)
class ApiCall:
    service: str          # boto3 client name: cloudformation, elbv2, s3, ...
    method: str           # the client method: create_change_set, upload_file, ...
    operation: str        # the API operation it sends (a waiter's describe call): CreateChangeSet
    via: str              # "call", "paginator" or "waiter"
    where: str            # path:line


@dataclass(frozen=True, order=True)
class UnresolvedCall:
    method: str
    where: str


@dataclass
class ScanResult:
    calls: list[ApiCall]
    unresolved: list[UnresolvedCall]

    @property
    def services(self) -> set[str]:
        return {c.service for c in self.calls}


@functools.lru_cache(maxsize=None)
def _session():
    return botocore.session.get_session()


@functools.lru_cache(maxsize=None)
def operations(service: str) -> dict[str, str]:
    """snake_case method name -> API operation name, from botocore's service model."""
    return {xform_name(op): op for op in _session().get_service_model(service).operation_names}


@functools.lru_cache(maxsize=None)
def waiters(service: str) -> dict[str, str]:
    """snake_case waiter name -> the operation the waiter polls."""
    try:
        model = _session().get_waiter_model(service)
    except Exception:  # a service without waiters
        return {}
    return {xform_name(name): model.get_waiter(name).operation for name in model.waiter_names}


def default_sources() -> list[Path]:
    """HiveMind's own code: the package, the constructs library and the CDK app entry."""
    roots = [PROJECT_ROOT / "hivemind", PROJECT_ROOT / "constructs_lib"]
    files = [p for root in roots if root.is_dir() for p in sorted(root.rglob("*.py"))]
    app = PROJECT_ROOT / "app.py"
    return files + ([app] if app.is_file() else [])


@dataclass
class _Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    module: "_Module"
    cls: str | None
    parent: "_Function | None" = None   # the enclosing function of a closure

    @property
    def annotated(self) -> set[str]:
        """Parameters with a type annotation: typed as something, so not a boto3 client."""
        args = self.node.args
        return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.annotation is not None}

    @functools.cached_property
    def nodes(self) -> list[ast.AST]:
        return list(_own_nodes(self.node))

    @functools.cached_property
    def bindings(self) -> list[tuple[ast.AST, ast.AST]]:
        """(target, value) of every assignment in the function's own body."""
        pairs = []
        for node in self.nodes:
            if isinstance(node, ast.Assign):
                pairs += [(target, node.value) for target in node.targets]
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                pairs.append((node.target, node.value))
        return pairs

    @property
    def params(self) -> list[str]:
        args = self.node.args
        return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


@dataclass
class _Module:
    path: Path
    tree: ast.Module

    @functools.cached_property
    def strings(self) -> set[str]:
        return {n.value for n in ast.walk(self.tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


class _Scanner:
    def __init__(self, paths: list[Path]):
        self.modules = [_Module(p, ast.parse(p.read_text(encoding="utf-8"), str(p))) for p in paths]
        self.functions: dict[str, list[_Function]] = {}
        self.classes: set[str] = set()
        for module in self.modules:
            self._collect(module, module.tree, None, None)
        self.bindings: dict[int, dict[str, set[str]]] = {}   # id(function node) -> param -> services
        self.returns: dict[str, set[str]] = {}               # function name -> services it returns
        self.attrs: dict[str, dict[str, set[str]]] = {}      # class -> self.<attr> -> services

    def _collect(self, module: _Module, node: ast.AST, cls: str | None, parent: _Function | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                self.classes.add(child.name)
                self._collect(module, child, child.name, None)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                fn = _Function(child, module, cls, parent)
                self.functions.setdefault(child.name, []).append(fn)
                self._collect(module, child, cls, fn)  # nested functions see this one's names
            else:
                self._collect(module, child, cls, parent)

    # --- what an expression is ---
    def resolve(self, expr: ast.AST, env: dict[str, set[str]], cls: str | None) -> set[str]:
        if isinstance(expr, ast.Name):
            return env.get(expr.id, set())
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self" and cls:
            return self.attrs.get(cls, {}).get(expr.attr, set())
        if isinstance(expr, ast.IfExp):
            return self.resolve(expr.body, env, cls) | self.resolve(expr.orelse, env, cls)
        if isinstance(expr, ast.Call):
            name = _callee_name(expr.func)
            if name in CLIENT_FACTORIES and expr.args and isinstance(expr.args[0], ast.Constant) \
                    and isinstance(expr.args[0].value, str):
                return {expr.args[0].value}
            if name is not None:
                return set(self.returns.get(name, set()))
        return set()

    def _env(self, fn: _Function) -> dict[str, set[str]]:
        """Names bound to clients inside `fn` (parameters from call sites, then assignments)."""
        env = self._env(fn.parent) if fn.parent is not None else {}
        for name, services in self.bindings.get(id(fn.node), {}).items():
            env.setdefault(name, set()).update(services)
        for _ in range(2):  # twice: an assignment may use a name bound later in the text
            for target, value in fn.bindings:
                self._bind(target, value, env, fn.cls)
        return env

    def _bind(self, target: ast.AST, value: ast.AST, env: dict[str, set[str]], cls: str | None) -> None:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts):
                self._bind(t, v, env, cls)
            return
        services = self.resolve(value, env, cls)
        if not services:
            return
        if isinstance(target, ast.Name):
            env.setdefault(target.id, set()).update(services)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self" and cls:
            self.attrs.setdefault(cls, {}).setdefault(target.attr, set()).update(services)

    def _callees(self, call: ast.Call) -> list[_Function]:
        name = _callee_name(call.func)
        if name is None:
            return []
        if name in self.classes:
            return [f for f in self.functions.get("__init__", []) if f.cls == name]
        return self.functions.get(name, [])

    def propagate(self) -> None:
        """Bind parameters, self attributes and return values until nothing changes."""
        every = [f for fns in self.functions.values() for f in fns]
        for _ in range(20):
            before = self._facts()
            for fn in every:
                env = self._env(fn)
                for node in fn.nodes:
                    if isinstance(node, ast.Return) and node.value is not None:
                        services = self.resolve(node.value, env, fn.cls)
                        if services:
                            self.returns.setdefault(fn.node.name, set()).update(services)
                    if isinstance(node, ast.Call):
                        self._bind_arguments(node, env, fn.cls)
            if self._facts() == before:
                return

    def _facts(self) -> int:
        """How many (name, service) facts are known: they only grow, so equal means done."""
        maps = [*self.bindings.values(), self.returns, *self.attrs.values()]
        return sum(len(services) for m in maps for services in m.values())

    def _bind_arguments(self, call: ast.Call, env: dict[str, set[str]], cls: str | None) -> None:
        for callee in self._callees(call):
            params = callee.params
            if callee.cls is not None and params and params[0] in ("self", "cls"):
                params = params[1:]
            bound = self.bindings.setdefault(id(callee.node), {})
            for index, arg in enumerate(call.args):
                services = self.resolve(arg, env, cls)
                if services and index < len(params):
                    bound.setdefault(params[index], set()).update(services)
            for keyword in call.keywords:
                services = self.resolve(keyword.value, env, cls) if keyword.arg else set()
                if services and keyword.arg in params:
                    bound.setdefault(keyword.arg, set()).update(services)

    # --- the calls ---
    def calls(self) -> ScanResult:
        found: set[ApiCall] = set()
        unresolved: set[UnresolvedCall] = set()
        contexts = [(f.module, f.nodes, f.cls, self._env(f), f.annotated) for fns in self.functions.values() for f in fns]
        contexts += [(m, _own_nodes(m.tree), None, {}, set()) for m in self.modules]  # module-level statements
        for module, nodes, cls, env, typed in contexts:
            for node in nodes:
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    where = f"{_relative(module.path)}:{node.lineno}"
                    receiver = node.func.value
                    services = self.resolve(receiver, env, cls)
                    if services:
                        for service in services:
                            found.update(_api_calls(service, node, module, where))
                    elif self._looks_like_boto3(node.func.attr) and not self._known_other(receiver, typed):
                        unresolved.add(UnresolvedCall(node.func.attr, where))
        return ScanResult(sorted(found), sorted(unresolved))

    def _known_other(self, receiver: ast.AST, typed: set[str]) -> bool:
        """A receiver known not to be a client: a typed parameter (click.Command, ...) or the
        result of a HiveMind function that returns no client (e.g. cfn-lint's runner)."""
        if isinstance(receiver, ast.Name):
            return receiver.id in typed
        return isinstance(receiver, ast.Call) and _callee_name(receiver.func) in self.functions

    def _looks_like_boto3(self, method: str) -> bool:
        if method in self.functions:  # HiveMind's own function or method of that name
            return False
        used = self._used_services()
        return any(method in operations(s) for s in used) or ("s3" in used and method in S3_TRANSFER_METHODS)

    @functools.cache
    def _used_services(self) -> frozenset[str]:
        services: set[str] = set()
        for module in self.modules:
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Call) and _callee_name(node.func) in CLIENT_FACTORIES and node.args \
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    services.add(node.args[0].value)
        return frozenset(services)


def _api_calls(service: str, call: ast.Call, module: _Module, where: str) -> list[ApiCall]:
    method = call.func.attr
    if method in ("get_paginator", "get_waiter"):
        table = operations(service) if method == "get_paginator" else waiters(service)
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names = [first.value]
        else:
            # A name held in a variable (e.g. the deploy engine's _wait(waiter_name)): every name
            # of that kind written in the same module.
            names = sorted(s for s in module.strings if s in table)
        via = "paginator" if method == "get_paginator" else "waiter"
        return [ApiCall(service, name, table[name], via, where) for name in names if name in table]
    if method in operations(service):
        return [ApiCall(service, method, operations(service)[method], "call", where)]
    if service == "s3" and method in S3_TRANSFER_METHODS:
        return [ApiCall(service, method, method, "call", where)]
    return []  # meta, exceptions, can_paginate, close: no request


def _callee_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _own_nodes(scope: ast.AST):
    """Nodes of `scope` without descending into nested functions or classes (they have their own)."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def scan(paths: list[Path] | None = None) -> ScanResult:
    """Every boto3 call in `paths` (default: HiveMind's own code)."""
    files = list(paths) if paths is not None else default_sources()
    return _scan(tuple((p, p.stat().st_mtime_ns) for p in files))


@functools.lru_cache(maxsize=4)
def _scan(files: tuple[tuple[Path, int], ...]) -> ScanResult:
    # Keyed by modification times: a file edited since is scanned again.
    scanner = _Scanner([p for p, _ in files])
    scanner.propagate()
    return scanner.calls()
