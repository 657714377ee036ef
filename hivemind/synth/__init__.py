"""In-process synth of a plan into a cloud assembly, with checks, cost and an assembly cache.

Importing this package does not import aws_cdk; only a cache miss does.
"""
from .assembly import AssemblyError, MissingContextError, read_assembly
from .result import StackInfo, SynthResult
from .run import OutdirError, default_outdir, synthesize
from .source import load_plan_arg

__all__ = [
    "AssemblyError", "MissingContextError", "OutdirError", "StackInfo", "SynthResult", "default_outdir",
    "load_plan_arg", "read_assembly", "synthesize",
]
