"""Storage adapters: DynamoDB (the source of truth) and S3 (rendered artefacts)."""
