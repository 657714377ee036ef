"""An EC2 app fleet: launch template (IMDSv2, encrypted gp3 root), Auto Scaling group, role."""
from __future__ import annotations

from typing import Sequence

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct


class AppFleet(Construct):
    """Instances of one service. No SSH: operators use SSM Session Manager.

    With `signal_timeout`, each instance reports the exit status of its user data to
    CloudFormation (cfn-signal), so a create or rolling update only succeeds once the minimum
    capacity has booted successfully, and fails fast otherwise. `user_data` must then be a Linux
    UserData (`UserData.for_linux()`), which receives the exit trap.

    `target_group_arns` are plain values (e.g. resolved from SSM parameters at deploy time), so
    the stack holding the fleet has no CloudFormation import of the load balancer's stack.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: Sequence[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        user_data: ec2.UserData,
        instance_type: str = "t3.micro",
        min_capacity: int = 1,
        max_capacity: int = 1,
        root_volume_gb: int = 8,
        machine_image: ec2.IMachineImage | None = None,
        public_ip: bool = False,
        target_group_arns: Sequence[str] = (),
        group_name: str | None = None,
        cpu_target_percent: int = 60,
        xray: bool = False,
        rolling_batch_size: int = 1,
        signal_timeout: Duration | None = Duration.minutes(15),
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="App instances: SSM access, CloudWatch agent, own artifact and secrets only",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"),
                iam.ManagedPolicy.from_aws_managed_policy_name("CloudWatchAgentServerPolicy"),
            ],
        )
        if xray:
            self.role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AWSXRayDaemonWriteAccess"))

        ec2_type = ec2.InstanceType(instance_type)
        if machine_image is None:
            # The AMI's architecture must match the type's: an x86_64 image does not boot on Graviton (t4g, m7g, ...).
            arm = ec2_type.architecture == ec2.InstanceArchitecture.ARM_64
            machine_image = ec2.MachineImage.latest_amazon_linux2023(
                cpu_type=ec2.AmazonLinuxCpuType.ARM_64 if arm else ec2.AmazonLinuxCpuType.X86_64)
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            machine_image=machine_image,
            instance_type=ec2_type,
            role=self.role,
            security_group=security_group,
            user_data=user_data,
            require_imdsv2=True,
            http_put_response_hop_limit=2 if xray else 1,
            associate_public_ip_address=public_ip,
            detailed_monitoring=False,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        root_volume_gb, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3, delete_on_termination=True
                    ),
                )
            ],
        )
        has_targets = bool(target_group_arns)
        signals = (
            autoscaling.Signals.wait_for_min_capacity(timeout=signal_timeout)
            if signal_timeout is not None and min_capacity > 0 else None
        )
        self.group = autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=list(subnets)),
            launch_template=self.launch_template,
            min_capacity=min_capacity,
            # Room for one batch above the minimum: a rolling update launches the new instances
            # before it terminates old ones (CloudFormation requires MinInstancesInService < MaxSize).
            max_capacity=max(max_capacity, min_capacity + rolling_batch_size),
            auto_scaling_group_name=group_name,
            health_checks=(
                autoscaling.HealthChecks.with_additional_checks(
                    additional_types=[autoscaling.AdditionalHealthCheckType.ELB], grace_period=Duration.minutes(5))
                if has_targets else autoscaling.HealthChecks.ec2(grace_period=Duration.minutes(5))
            ),
            # A launch template change replaces instances one batch at a time while every old
            # instance keeps serving until its replacement has signalled healthy: never fewer than
            # min_capacity in service, also for a one-instance fleet (no downtime on a rolling update).
            update_policy=autoscaling.UpdatePolicy.rolling_update(
                max_batch_size=rolling_batch_size,
                min_instances_in_service=min_capacity,
                wait_on_resource_signals=signals is not None,
                pause_time=signal_timeout if signals is not None else None,
            ),
            group_metrics=[autoscaling.GroupMetrics.all()],
            signals=signals,
        )
        if signals is not None:
            user_data.add_signal_on_exit_command(self.group)
        if has_targets:
            cfn_group: autoscaling.CfnAutoScalingGroup = self.group.node.default_child  # type: ignore[assignment]
            cfn_group.target_group_arns = list(target_group_arns)
        if max_capacity > min_capacity:
            self.group.scale_on_cpu_utilization("CpuTarget", target_utilization_percent=cpu_target_percent)

    def grant_read_object(self, bucket: str, key: str) -> None:
        """Read of exactly one object (the build artifact)."""
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"arn:aws:s3:::{bucket}/{key}"])
        )

    def grant_read_write_objects(self, bucket: str, keys: Sequence[str]) -> None:
        """Read and write exactly these objects (e.g. a build shared between instances)."""
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["s3:GetObject", "s3:PutObject"], resources=[f"arn:aws:s3:::{bucket}/{key}" for key in keys]))

    def grant_secret_read(self, secret_arn: str) -> None:
        self.role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secret_arn]))

    def grant_describe_cache(self, replication_group_arn: str) -> None:
        """Find a Redis replication group's endpoint at boot."""
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["elasticache:DescribeReplicationGroups"], resources=[replication_group_arn])
        )

    def grant_parameter_read(self, parameter_arn: str) -> None:
        self.role.add_to_policy(iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter_arn]))
