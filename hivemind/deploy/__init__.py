"""Deploy engine: change sets per stack, a DAG executed in parallel, what-if, replacement guard."""
from .changeset import ChangeSetContext, ResourceChange, StackPreview, StackSpec
from .engine import DeployEngine, EngineResult, StackOutcome, dependency_order
from .errors import ChecksFailed, DeployError, ReplacementRefused
from .events import EventTracker, RootCause, StackEvent, root_causes

__all__ = [
    "ChangeSetContext", "ResourceChange", "StackPreview", "StackSpec", "DeployEngine", "EngineResult",
    "StackOutcome", "dependency_order", "ChecksFailed", "DeployError", "ReplacementRefused",
    "EventTracker", "RootCause", "StackEvent", "root_causes",
]
