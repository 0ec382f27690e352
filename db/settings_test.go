package db_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

func TestSettingConcurrentCreatorsAgree(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		const n = 8
		got := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := s.Setting(ctx, "k", func() (string, error) { return fmt.Sprintf("v%d", i), nil })
				if err != nil {
					t.Error(err)
				}
				got[i] = v
			}()
		}
		wg.Wait()
		for _, v := range got {
			if v != got[0] || v == "" {
				t.Fatalf("creators disagree: %v", got)
			}
		}
		if v, _ := s.Setting(ctx, "k", func() (string, error) { return "other", nil }); v != got[0] {
			t.Fatalf("stored value changed to %q", v)
		}
	})
}

func TestSQLiteFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "gqlauth.db")
	s, err := db.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v; want no group or other access", p, fi.Mode().Perm())
		}
	}
}
