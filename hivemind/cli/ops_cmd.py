"""`hivemind dashboard ID` and `hivemind logs ID`: the deployment's CloudWatch views from the terminal."""
from __future__ import annotations
