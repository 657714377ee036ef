"""One module per CloudFormation stack of a deployment (see DESIGN.md, "Stacks")."""
