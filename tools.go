//go:build tools

// This file pins the code generator's version in go.mod, so that
// `go run github.com/99designs/gqlgen generate` uses the same gqlgen as the
// runtime library.
package main

import _ "github.com/99designs/gqlgen"
