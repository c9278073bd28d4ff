"""Security sync: the warehouse's roles, schemas, views, grants and credentials follow the model."""
