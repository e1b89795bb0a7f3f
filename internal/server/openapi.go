package server

import (
	_ "embed"
	"net/http"
)

// openAPI is the API's OpenAPI 3 description. It is written by hand, for readers; a test fails
// when a route Handler serves is missing from it or it names a route that is not served.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(openAPI)
}
