"""Request and response bodies of the API (camelCase, like the model), documented in the OpenAPI
schema: one module per kind of answer, all on `common.Body`."""
