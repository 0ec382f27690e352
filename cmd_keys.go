package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gqlauth/gqlauth/auth"
)

// keysFlags declares the flags of `keys generate`, for parsing and --help.
func keysFlags(out io.Writer) (fs *flag.FlagSet, alg, path *string, bits *int) {
	fs = newFlagSet("keys generate", out)
	alg = fs.String("algorithm", auth.AlgEdDSA, "EdDSA, ES256 or RS256")
	path = fs.String("out", "", "file to write the PKCS#8 PEM private key to (created 0600; never overwritten)")
	bits = fs.Int("rsa-bits", 3072, "RS256 only: modulus size")
	return fs, alg, path, bits
}

// cmdKeys runs `keys generate`: a new private key for JWT_PRIVATE_KEY_FILE.
// It needs no configuration or database, so a key can be made before the
// first deployment. Rotating is: generate, point JWT_PRIVATE_KEY_FILE at
// the new file, restart; tokens signed with the old key stay valid until
// they expire, because every replica keeps accepting and publishing it.
func cmdKeys(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		return errors.New("usage: gqlauth keys generate --algorithm EdDSA|ES256|RS256 --out FILE")
	}
	fs, alg, path, bits := keysFlags(stdout)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("keys generate: --out FILE is required (the private key is never printed)")
	}
	pemBytes, err := auth.GenerateKey(*alg, *bits)
	if err != nil {
		return err
	}
	key, err := auth.ParsePrivateKey(*alg, pemBytes)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	if _, err := f.Write(pemBytes); err != nil {
		f.Close()
		return fmt.Errorf("keys generate: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s private key %s (kid %s)\nuse it with: JWT_ALGORITHM=%s JWT_PRIVATE_KEY_FILE=%s\n",
		*alg, *path, key.ID, *alg, *path)
	return nil
}
