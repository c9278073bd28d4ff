"""Where transformers' credentials are kept: local files, AWS Secrets Manager or Kubernetes."""
