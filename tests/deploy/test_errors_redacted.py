"""Errors that carry AWS's own text (API messages, endpoint URLs, CloudFormation reasons) reach
the terminal with secret-looking values masked."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from hivemind.aws import AwsError, aws_errors
from hivemind.deploy import DeployError

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_api_error_messages_are_redacted():
    with pytest.raises(AwsError) as exc:
        with aws_errors("creating change sets"):
            raise ClientError({"Error": {"Code": "ValidationError", "Message":
                               f"Template error: MasterUserPassword: hunter2hunter2 and key {SECRET_KEY}"}},
                              "CreateChangeSet")
    text = str(exc.value)
    assert text.startswith("creating change sets: ValidationError: Template error: MasterUserPassword: ***")
    assert "hunter2" not in text and SECRET_KEY not in text


def test_endpoint_urls_with_credentials_are_redacted():
    with pytest.raises(AwsError) as exc:
        with aws_errors("reading stacks"):
            raise EndpointConnectionError(endpoint_url="http://admin:s3cr3tpass@127.0.0.1:9/")
    assert "s3cr3tpass" not in str(exc.value) and "admin:***@127.0.0.1" in str(exc.value)


def test_deploy_errors_quoting_cloudformation_are_redacted():
    error = DeployError("orders-data: change set failed: Parameter 'DbPassword' value 'x' "
                        "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    assert "ghp_" not in str(error) and "token=***" in str(error)
    assert error.exit_code == 1


def test_an_html_error_page_becomes_one_line():
    # moto answers an unknown region with a Flask 500 page; a corporate proxy does the same.
    page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>"
    with pytest.raises(AwsError) as exc:
        with aws_errors("listing deployments in SSM"):
            raise ClientError({"Error": {"Code": "500", "Message": page},
                               "ResponseMetadata": {"HTTPStatusCode": 500}}, "GetParametersByPath")
    assert str(exc.value) == ("listing deployments in SSM: the endpoint answered HTTP 500 with an HTML page, "
                              "not an AWS response (check AWS_ENDPOINT_URL and the region)")


def test_multi_line_messages_are_flattened():
    assert str(DeployError("a\n  b\tc")) == "a b c"
    with pytest.raises(AwsError) as exc:
        with aws_errors("x"):
            raise ClientError({"Error": {"Code": "ValidationError", "Message": "line one\nline two"}}, "Op")
    assert str(exc.value) == "x: ValidationError: line one line two"
