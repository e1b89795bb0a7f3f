package incident

import "testing"

// For the external tests (package incident_test), which drive the store with the packages
// that use it.

// PostgresSchemaForTest is postgresSchema: a fresh PostgreSQL schema's URL, or a skip.
var PostgresSchemaForTest = func(t *testing.T) string { return postgresSchema(t) }
