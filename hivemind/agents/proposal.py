"""What the Recon agent returns: field changes to the draft plan, each with its evidence."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

MAX_CHANGES = 40


class FieldChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    field: str = Field(description="Dotted plan path: services[0].port, services[1].start_command, database.engine, "
                                   "cache, services[2] (index = number of services appends a service)")
    value: JsonValue = Field(description="The new value as JSON: string, number, boolean, null, or an object for a "
                                         "whole section")
    source: str = Field(description="Evidence: 'path:line' of a repository file that shows it, or 'description' "
                                    "when it comes from the user's description")
    reason: str = Field(description="One sentence: what the evidence shows")


class ReconProposal(BaseModel):
    model_config = ConfigDict(extra="ignore")

    changes: list[FieldChange] = Field(default_factory=list, max_length=MAX_CHANGES,
                                       description="Only changes with evidence; an empty list when the draft is right")
    summary: str = Field("", description="One or two sentences on what the application is")
