"""HiveMind: repository -> typed plan -> CDK stacks -> CloudFormation deployment."""

__version__ = "0.1.0"
