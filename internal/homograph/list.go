// Package homograph reads, validates and generates homograph lists: a JSON object whose keys are
// protected domains (assets) and whose values are lists of their lookalikes (SPEC.md).
package homograph

// List maps each protected domain to its homographs and lookalikes. Values may be Unicode or
// punycode, with or without a TLD.
type List map[string][]string
