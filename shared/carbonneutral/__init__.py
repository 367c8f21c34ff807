"""Carbon-neutral platform: the layer shared by every Lambda function.

Sub-packages: ``domain`` (pure logic, no AWS), ``store`` (DynamoDB and S3 adapters),
``web`` (resolver plumbing, problem+json, pages). Importing this package is free.
"""
