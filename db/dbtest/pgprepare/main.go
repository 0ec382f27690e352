// Command pgprepare runs before `make test`: it checks that the PostgreSQL
// at TEST_DATABASE_URL answers and creates the database it names when it
// is missing, so that an unreachable server fails the run at once with one
// line saying what to set, rather than once per test.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := dbtest.Prepare(ctx, dbtest.BaseURL()); err != nil {
		fmt.Fprintln(os.Stderr, "make test:", err)
		os.Exit(1)
	}
}
