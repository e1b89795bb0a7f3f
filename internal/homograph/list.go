// Package homograph reads, validates and generates homograph lists: a JSON object whose keys are
// protected domains (assets) and whose values are lists of their lookalikes (SPEC.md).
//
// # Reading and writing
//
// ParseList and LoadFile decode a list and report every bad key or value with its line and
// column; Validate checks a list built in memory; Merge unites two lists; Marshal writes one
// with sorted keys and values, so the same list always gives the same bytes.
//
// # Generating
//
// Generate replaces the hand-typed list of the XSOAR "Create list for PTH" playbook. Each fuzzer
// changes the label left of the public suffix (or the suffix itself) and keeps any subdomain:
//
//   - the dnstwist fuzzers, under dnstwist's names and at least its output: addition,
//     bitsquatting, cyrillic, homoglyph, hyphenation, insertion, omission, repetition,
//     replacement, subdomain, transposition, vowel-swap, dictionary, tld-swap, various;
//   - plural; confusable (Unicode TR39 lookalikes in one script per label, and only in scripts
//     the TLD's registry accepts); numeral-swap (p4ypal, onepassword); sld-swap (co.uk and com);
//     combosquat (brand and keywords).
//
// Every candidate passes the IDNA2008 registration rules and DNS length limits; the original
// never appears in its own list; output is sorted and deterministic.
package homograph

// List maps each protected domain to its homographs and lookalikes. Values may be Unicode or
// punycode, with or without a TLD.
type List map[string][]string
